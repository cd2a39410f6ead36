// The typed event bus: one map from event name to payload, so a listener cannot get a payload wrong.
// Listeners are registered per owner (a feature), and one call removes all of an owner's listeners on stop().

import type { DeviceKind, LinkState } from '../drivers/device.js';
import type { CredentialKind, Direction } from './config/schema.js';
import type { ReasonCode } from './reasons.js';

// Device kinds and link states are the drivers' contract (drivers/device.ts); re-exported for gateway files.
export type { DeviceKind, LinkState } from '../drivers/device.js';

export type AlarmKind =
  | 'forced-passage'
  | 'tailgating'
  | 'door-held'
  | 'device-offline'
  | 'turnstile-alarm'
  | 'fire-alarm'
  | 'watchlist-hit'
  | 'anti-passback'
  | 'outbox-filling'
  | 'clock-jump'
  /** The event log cannot be written (locked, full, read-only, deleted, corrupt): every decision is a deny. */
  | 'store-unavailable'
  /** The store's file system is below its free-space threshold: raised before SQLite starts failing. */
  | 'disk-space-low'
  /** WAL checkpoints keep failing (the database file cannot be written): commits go on, the WAL grows. */
  | 'store-checkpoint-failing'
  /** A promise in the daemon rejected with nobody to handle it: a bug, logged and reported, the daemon stays up. */
  | 'daemon-fault';

export interface Alarm {
  id: string;
  kind: AlarmKind;
  lane: string | null;
  ts: number;
  /** Never personal data: at most a device name, a count or a watchlist entry version. */
  detail?: Record<string, string | number | boolean>;
}

export interface DecisionRecord {
  eventId: string;
  seq: number;
  ts: number;
  lane: string;
  direction: Direction;
  credential: CredentialKind;
  decision: 'allow' | 'deny';
  reason: ReasonCode;
  latencyMs: number;
  idMasked: string | null;
  /** Non-personal extras shown to operators: face score, PA result, document expiry state, category. */
  facts: Record<string, string | number | boolean>;
}

export interface PassageRecord {
  eventId: string;
  seq: number;
  ts: number;
  lane: string;
  direction: Direction;
  /** The decision that unlocked for this passage, or null for a forced passage / free-passage mode. */
  authorizedBy: string | null;
  credential: CredentialKind | null;
  facts: Record<string, string | number | boolean>;
}

export interface GatewayEvents {
  'decision.made': DecisionRecord;
  'passage.seen': PassageRecord;
  'passage.timeout': { lane: string; direction: Direction; decisionId: string; ts: number };
  'alarm.raised': Alarm;
  'alarm.acknowledged': { id: string; by: string; ts: number };
  /** `side` for a lane's per-direction devices (entry and exit readers), absent for the lane's turnstile. */
  'device.link': { lane: string; device: DeviceKind; side?: Direction; state: LinkState; reason?: string; ts: number };
  'lane.state': { lane: string; state: string; freePassage: boolean; degraded: boolean; ts: number };
  'fire.mode': { active: boolean; ts: number };
  /**
   * What a PC/SC chip lane asks of the person now, for the console's live view (PC/SC readers have no LED or
   * buzzer the gateway drives): `hold-card` after the QR scan, `reading` once a card is in the field,
   * `scan-qr-first` for a card put down with no QR scanned, `done` when the read ended (the decision follows).
   */
  'chip.prompt': { lane: string; direction: Direction; step: ChipPromptStep; ts: number };
  /**
   * What a face lane asks of the person now, for the console's live view (no lane has a display the gateway
   * drives): `blink` when a `required` lane's first liveness burst was uncertain and it takes one more,
   * `done` once that burst is taken (the decision follows).
   */
  'face.prompt': { lane: string; direction: Direction; step: FacePromptStep; ts: number };
  /** Bad outside input refused (a garbled frame, an invalid body, a forged command); `reason` is a fixed code. */
  'input.rejected': { source: RejectedInputSource; reason: string };
}

export type ChipPromptStep = 'hold-card' | 'reading' | 'scan-qr-first' | 'done';

export type FacePromptStep = 'blink' | 'done';

export type RejectedInputSource = 'http' | 'qr-scanner' | 'chip-reader' | 'mqtt-command';

type Listener<T> = (payload: T) => void;

export class EventBus<E extends { [K in keyof E]: unknown } = GatewayEvents> {
  private readonly listeners = new Map<keyof E, Array<{ owner: object; fn: Listener<never> }>>();

  on<K extends keyof E>(owner: object, name: K, fn: Listener<E[K]>): void {
    const list = this.listeners.get(name) ?? [];
    list.push({ owner, fn: fn as Listener<never> });
    this.listeners.set(name, list);
  }

  /** A throwing listener must not stop the lane: it is isolated and reported. */
  emit<K extends keyof E>(name: K, payload: E[K]): void {
    for (const { fn } of this.listeners.get(name) ?? []) {
      try {
        (fn as Listener<E[K]>)(payload);
      } catch (err) {
        this.onListenerError(err, String(name));
      }
    }
  }

  removeOwner(owner: object): void {
    for (const [name, list] of this.listeners) {
      this.listeners.set(
        name,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  onListenerError: (err: unknown, event: string) => void = (err, event) => {
    process.emitWarning(`listener for ${event} threw: ${(err as Error)?.message ?? err}`);
  };
}
