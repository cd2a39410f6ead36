// One lane at run time: reader events in, decisions through the decision service, effects of the lane
// machine out to the turnstile and the event log. It knows nothing of HTTP or MQTT.
import type { Logger } from 'pino';
import { readChip } from '../../drivers/chip-pcsc/icao/index.js';
import type { PcscChipReader } from '../../drivers/chip-pcsc/pcsc/index.js';
import type { ChipReader } from '../../drivers/chip-reader/index.js';
import type { QrScanner } from '../../drivers/qr-scanner/index.js';
import type { Turnstile } from '../../drivers/turnstile/index.js';
import type { AlarmService, LogWriter } from '../alarms.js';
import type { Direction, LaneConfig, PolicyConfig } from '../config/schema.js';
import { type CredentialInput, scannedCredential } from '../credentials/establish.js';
import type { DeviceKind, EventBus, LinkState } from '../events.js';
import { ok } from '../reasons.js';
import type { EventStore } from '../store/event-store.js';
import { factEvent } from '../store/types.js';
import type { DecisionOutcome, DecisionRequest, DecisionService } from './decision-service.js';
import type { UnusedGrant } from './lane-ledger.js';
import {
  type Grant,
  initialLaneState,
  isHeldOpen,
  type LaneEffect,
  type LaneInput,
  type LaneMachineState,
  phaseOf,
  step,
} from './lane-machine.js';
import { PcscChipFlow } from './pcsc-chip-flow.js';
import { type HeldPresentation, holdExpired, pairPresentation, scanStartsChipRead, sideOf } from './reader-pairing.js';

export interface LaneDevices {
  turnstile: Turnstile;
  qr: Partial<Record<Direction, QrScanner>>;
  chip: Partial<Record<Direction, ChipReader>>;
  /** Chip readers the gateway drives itself over PC/SC: the QR scan on that side starts the chip read. */
  pcsc?: Partial<Record<Direction, PcscChipReader>>;
}

interface GrantPayload {
  passageFacts: Record<string, string | number | boolean>;
  undo: UnusedGrant | null;
}

export interface LaneControllerDeps {
  config: LaneConfig;
  decisions: DecisionService;
  store: EventStore;
  bus: EventBus;
  alarms: AlarmService;
  devices: LaneDevices;
  /** Bound to this lane (`lane` and `channel`) by the composition root, so its lines do not repeat them. */
  logger: Logger;
  now?: () => number;
  /** policy.chipCloneNotExcluded, for PC/SC chip sides (pcsc-chip-flow.ts). */
  cloneNotExcluded?: PolicyConfig['chipCloneNotExcluded'];
  /** The ICAO chip session; tests may wrap it. */
  readChip?: typeof readChip;
  /** How long a bound ticket waits for the holder's ID card (or the reverse). */
  pairingWindowMs?: number;
  tickMs?: number;
  /**
   * Writes a passage, a timeout or a mode switch to the log, or owes it to the store watch's backlog while the
   * log cannot be written (StoreWatch.writeOrOwe): what already happened at the gate is logged late, never lost.
   */
  write?: LogWriter;
}

export class LaneController {
  readonly id: string;
  private readonly state: LaneMachineState = initialLaneState();
  private readonly now: () => number;
  private readonly links = new Map<string, LinkState>();
  /** A credential waiting for its partner (a bound ticket for the holder's CCCD, or the reverse), per side. */
  private readonly held: Partial<Record<Direction, HeldPresentation>> = {};
  private readonly lastReadFailure: Partial<Record<Direction, number>> = {};
  private readonly chipFlows: Partial<Record<Direction, PcscChipFlow>> = {};
  private tick?: NodeJS.Timeout;
  private lastPhase = '';
  private readonly write: LogWriter;

  constructor(private readonly deps: LaneControllerDeps) {
    this.id = deps.config.id;
    this.now = deps.now ?? Date.now;
    this.write = deps.write ?? ((_what, run) => run());
  }

  async start(): Promise<void> {
    const { devices } = this.deps;
    const t = devices.turnstile;
    t.on('passage', (direction, active) => this.apply({ t: 'sensor', direction, active }));
    t.on('alarm', (active) => {
      if (active) this.deps.alarms.raise('turnstile-alarm', this.id);
    });
    t.on('link', (state, reason) => this.onLink('turnstile', undefined, state, reason));
    for (const d of ['in', 'out'] as const) {
      const pcsc = devices.pcsc?.[d];
      if (pcsc) this.startChipFlow(d, pcsc);
      devices.qr[d]?.on('scan', (text) => {
        const credential = scannedCredential(text);
        const flow = this.chipFlows[d];
        if (flow && scanStartsChipRead(credential, sideOf(this.deps.config, d), true))
          flow.expectCard(text, performance.now());
        else void this.present(d, credential, performance.now());
      });
      devices.qr[d]?.on('rejected', (reason, bytes) => {
        this.deps.logger.warn({ direction: d, reason, bytes }, 'qr frame rejected');
        this.deps.bus.emit('input.rejected', { source: 'qr-scanner', reason });
      });
      devices.qr[d]?.on('link', (state, reason) => this.onLink('qr-scanner', d, state, reason));
      devices.chip[d]?.on('card', (read) =>
        this.present(d, { kind: 'chip', sod: read.sod, dataGroups: read.dataGroups }, performance.now()),
      );
      devices.chip[d]?.on('readError', (error, detail) => {
        this.deps.logger.warn({ direction: d, error, detail: detail.slice(0, 120) }, 'chip read failed');
        this.deps.bus.emit('input.rejected', { source: 'chip-reader', reason: error });
        // The person is standing at the lane with a card that did not read: log it as a denial so the operator
        // sees why. A noisy line can produce bursts of bad frames; one denial per side every 2 s is enough.
        const now = this.now();
        if (now - (this.lastReadFailure[d] ?? 0) < 2000) return;
        this.lastReadFailure[d] = now;
        void this.deps.decisions
          .recordFailure(
            { lane: this.id, direction: d, credential: 'chip', source: 'reader', receivedAt: performance.now() },
            'chip.read-failed',
            { readError: error },
          )
          .catch((err) => this.deps.logger.error({ err }, 'could not log the failed read'));
      });
      devices.chip[d]?.on('link', (state, reason) => this.onLink('chip-reader', d, state, reason));
    }
    this.tick = setInterval(() => this.onTick(), this.deps.tickMs ?? 100);
    this.tick.unref();
    await Promise.all([
      t.start(),
      ...Object.values(devices.qr).map((q) => q.start()),
      ...Object.values(devices.chip).map((c) => c.start()),
      ...Object.values(devices.pcsc ?? {}).map((c) => c.start()),
    ]);
    this.publishState();
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    for (const flow of Object.values(this.chipFlows)) flow.stop();
    const { devices } = this.deps;
    const all = [
      devices.turnstile,
      ...Object.values(devices.qr),
      ...Object.values(devices.chip),
      ...Object.values(devices.pcsc ?? {}),
    ];
    for (const d of all) d.removeAllListeners();
    await Promise.allSettled(all.map((d) => d.stop()));
  }

  get degraded(): boolean {
    return [...this.links.values()].some((s) => s === 'down');
  }

  get freePassage(): boolean {
    return isHeldOpen(this.state);
  }

  snapshot(): {
    lane: string;
    phase: string;
    freePassage: boolean;
    fire: boolean;
    degraded: boolean;
    links: Record<string, LinkState>;
    pending: number;
  } {
    return {
      lane: this.id,
      phase: phaseOf(this.state, this.now()),
      freePassage: this.freePassage,
      fire: this.state.fire,
      degraded: this.degraded,
      links: Object.fromEntries(this.links),
      pending: this.state.grants.in.length + this.state.grants.out.length,
    };
  }

  /** The QR-then-card flow of a PC/SC chip reader on one side (pcsc-chip-flow.ts); its link counts as the chip reader's. */
  private startChipFlow(direction: Direction, reader: PcscChipReader): void {
    const side = sideOf(this.deps.config, direction);
    const failure = { lane: this.id, direction, credential: 'chip' as const, source: 'reader' as const };
    const flow = new PcscChipFlow({
      direction,
      reader,
      timeoutMs: side?.chipReadTimeoutMs ?? 10_000,
      cloneNotExcluded: this.deps.cloneNotExcluded ?? 'deny',
      checksChipFace: side?.face.requireFor.includes('chip') ?? false,
      readChip: this.deps.readChip ?? readChip,
      decide: (read) =>
        this.decide({
          direction,
          credential: { kind: 'chip', sod: read.sod, dataGroups: read.dataGroups },
          supporting: [{ kind: 'cccd-qr', text: read.qrText, parsed: ok(read.qr) }],
          source: 'reader',
          receivedAt: read.receivedAt,
          readerFacts: read.facts,
        }),
      deny: (reason, facts, receivedAt) => this.deps.decisions.recordFailure({ ...failure, receivedAt }, reason, facts),
      prompt: (step) => this.deps.bus.emit('chip.prompt', { lane: this.id, direction, step, ts: this.now() }),
      logger: this.deps.logger,
      now: this.now,
    });
    reader.on('link', (state, reason) => this.onLink('chip-reader', direction, state, reason));
    flow.start();
    this.chipFlows[direction] = flow;
  }

  /** A credential at a reader on this lane. Bound tickets and ID cards pair up within a short window. */
  async present(
    direction: Direction,
    credential: CredentialInput,
    receivedAt: number,
  ): Promise<DecisionOutcome | null> {
    // Before the held credential is read: nothing else runs between that read and the write below.
    const ticketNamesHolder =
      credential.kind === 'ticket' && (await this.deps.decisions.ticketNamesHolder(credential.token));
    const pairing = pairPresentation({
      held: this.held[direction],
      presented: { credential, receivedAt },
      side: sideOf(this.deps.config, direction),
      ticketNamesHolder,
      now: this.now(),
      windowMs: this.deps.pairingWindowMs ?? 20000,
    });
    this.held[direction] = pairing.held;
    if (pairing.t === 'hold') {
      this.deps.logger.info({ direction, waitingFor: pairing.waitingFor }, 'credential held for pairing');
      return null;
    }
    const { credential: primary, supporting } = pairing;
    return this.decide({
      direction,
      credential: primary,
      ...(supporting ? { supporting } : {}),
      source: 'reader',
      receivedAt: pairing.receivedAt,
    });
  }

  /**
   * Decide for this lane and act on an allow: the serial readers' path and POST /v1/verify's alike, so a
   * networked reader on a lane whose turnstile is down is told so, as a serial one is.
   */
  async decide(req: Omit<DecisionRequest, 'lane'>): Promise<DecisionOutcome> {
    if (this.links.get('turnstile') === 'down') {
      // An allow the gate cannot act on would tell the person and the log something untrue: say why instead.
      return this.deps.decisions.recordFailure(
        { ...req, lane: this.id, credential: req.credential.kind },
        'policy.lane-out-of-service',
        { device: 'turnstile' },
      );
    }
    const outcome = await this.deps.decisions.decideAt(this.deps.config, { ...req, lane: this.id });
    this.afterDecision(req.direction, outcome);
    return outcome;
  }

  private afterDecision(direction: Direction, outcome: DecisionOutcome): void {
    if (!outcome.event) {
      // Not committed: no unlock pulse, whatever the credential was (the decision service answered a deny).
      this.deps.logger.warn({ direction, reason: outcome.reason }, 'decision not committed; the gate stays locked');
      return;
    }
    // The event log is the record of decisions; this line is for following a lane live at debug level.
    this.deps.logger.debug(
      {
        direction,
        decision: outcome.decision,
        reason: outcome.reason,
        eventId: outcome.event.id,
        latencyMs: outcome.event.latencyMs,
      },
      'decision',
    );
    if (outcome.decision !== 'allow') return;
    this.grant(direction, outcome.event.id, outcome.event.credential ?? 'manual', {
      passageFacts: outcome.passageFacts,
      undo: outcome.undo,
    });
  }

  /** An operator's manual open (already logged with its reason by the caller). */
  grant(direction: Direction, decisionId: string, credential: Grant['credential'], payload: GrantPayload): void {
    this.apply({
      t: 'grant',
      grant: { decisionId, direction, credential, deadline: this.now() + this.deps.config.passageTimeoutMs, payload },
    });
  }

  setFire(active: boolean): void {
    this.apply({ t: 'fire', active });
  }

  setFreePassage(on: boolean): void {
    this.apply({ t: 'free-passage', on });
  }

  private onTick(): void {
    for (const d of ['in', 'out'] as const) {
      const h = this.held[d];
      if (holdExpired(h, this.now())) {
        delete this.held[d];
        void this.decide({ direction: d, credential: h.credential, source: 'reader', receivedAt: h.receivedAt }).catch(
          (err) => this.deps.logger.error({ err }, 'decision failed'),
        );
      }
    }
    this.apply({ t: 'tick' });
  }

  private apply(input: LaneInput): void {
    const effects = step(this.state, input, this.now(), {
      unlockMs: this.deps.config.turnstile.unlockPulseMs,
      doorHeldMs: this.deps.config.doorHeldMs,
      tailgateWindowMs: 2000,
      maxGrants: 8,
    });
    for (const fx of effects) {
      try {
        this.execute(fx);
      } catch (err) {
        // A sensor or a timer called in here: a throw would take the daemon down with the gate in whatever state.
        this.deps.logger.error({ err, effect: fx.t }, 'lane effect failed');
      }
    }
    this.publishState();
  }

  private execute(fx: LaneEffect): void {
    const { store, alarms, logger, devices } = this.deps;
    switch (fx.t) {
      case 'unlock': {
        const ms = this.deps.config.turnstile.unlockPulseMs;
        devices.turnstile.pulseUnlock(fx.direction, ms).catch((err: Error) => {
          // The decision stands in the log; the gate stays locked. Operators see the device alarm.
          logger.error({ direction: fx.direction, err: err.message }, 'unlock pulse failed');
        });
        break;
      }
      case 'passage': {
        const payload = fx.grant?.payload as GrantPayload | undefined;
        const passage = this.deps.decisions.recordPassage({
          lane: this.id,
          direction: fx.direction,
          decisionId: fx.grant?.decisionId ?? null,
          credential: fx.grant && fx.grant.credential !== 'manual' ? fx.grant.credential : null,
          facts: { ...(payload?.passageFacts ?? {}), via: fx.via, ...(fx.alarm ? { alarm: fx.alarm } : {}) },
          ts: this.now(),
        });
        if (fx.alarm)
          alarms.raise(fx.alarm, this.id, { direction: fx.direction, ...(passage ? { passageId: passage.id } : {}) });
        break;
      }
      case 'timeout': {
        const { grant } = fx;
        const payload = grant.payload as GrantPayload | undefined;
        this.deps.decisions
          .recordTimeout({
            lane: this.id,
            direction: grant.direction,
            decisionId: grant.decisionId,
            credential: grant.credential === 'manual' ? null : grant.credential,
            undo: payload?.undo ?? null,
            ts: this.now(),
          })
          .then((written) => {
            // The store is down: the refund of the ticket use is owed, and written once the store is back.
            if (written === 'owed')
              logger.warn({ decisionId: grant.decisionId }, 'timed-out grant owed to the log until the store is back');
          })
          .catch((err: unknown) => logger.error({ err }, 'could not log a timed-out grant'));
        break;
      }
      case 'alarm':
        alarms.raise(fx.kind, this.id, { direction: fx.direction });
        break;
      case 'hold-open': {
        const switched = factEvent(
          'free-passage',
          this.id,
          { open: fx.open, fire: this.state.fire, operator: this.state.operatorFree },
          { ts: this.now() },
        );
        // Fire safety before the log: the lane opens (or closes) even when the switch can only be logged later.
        try {
          this.write('free-passage', () => store.append(switched));
        } catch (err) {
          logger.error({ err }, 'free passage switch not logged');
        }
        devices.turnstile
          .setFreePassage(fx.open)
          .catch((err: Error) => logger.error({ err: err.message }, 'free passage switch failed'));
        break;
      }
    }
  }

  /** One slot per device and side: the exit reader being up must not hide a dead entry reader. */
  private onLink(device: DeviceKind, side: Direction | undefined, state: LinkState, reason?: string): void {
    const key = linkKey(device, side);
    const before = this.links.get(key);
    this.links.set(key, state);
    this.deps.bus.emit('device.link', {
      lane: this.id,
      device,
      ...(side ? { side } : {}),
      state,
      reason,
      ts: this.now(),
    });
    // The operator's first question in the log is when a device went and came back: one line each.
    if (state === 'down' && before !== 'down') {
      this.deps.logger.warn({ device, ...(side ? { side } : {}), reason }, 'device link down');
      this.deps.alarms.raise('device-offline', this.id, {
        device,
        ...(side ? { side } : {}),
        ...(reason ? { reason: reason.slice(0, 100) } : {}),
      });
    } else if (state === 'up' && before === 'down') {
      this.deps.logger.info({ device, ...(side ? { side } : {}) }, 'device link back up');
    }
    this.publishState();
  }

  private publishState(): void {
    const s = this.snapshot();
    const key = `${s.phase}|${s.freePassage}|${s.degraded}`;
    if (key === this.lastPhase) return;
    this.lastPhase = key;
    this.deps.bus.emit('lane.state', {
      lane: this.id,
      state: s.phase,
      freePassage: s.freePassage,
      degraded: s.degraded,
      ts: this.now(),
    });
  }
}

/** A lane's link slot: `turnstile`, or a reader with its side (`qr-scanner:in`), as /healthz shows them. */
const linkKey = (device: DeviceKind, side?: Direction): string => (side ? `${device}:${side}` : device);
