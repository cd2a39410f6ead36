// One lane at run time: presentations from its readers (lane-readers.ts) to the decision service with the
// lane's own config, the lane machine's effects out to the turnstile, and its passages and timeouts handed
// back to the decision service, which logs them. It knows nothing of HTTP or MQTT.
import type { Logger } from 'pino';
import type { readChip } from '../../drivers/chip-pcsc/icao/index.js';
import type { Turnstile } from '../../drivers/turnstile/index.js';
import type { AlarmService, LogWriter } from '../alarms.js';
import type { Direction, LaneConfig, PolicyConfig } from '../config/schema.js';
import type { DeviceKind, EventBus, LinkState } from '../events.js';
import type { EventStore } from '../store/event-store.js';
import { factEvent } from '../store/types.js';
import type { DecisionOutcome, DecisionRequest, DecisionService } from './decision-service.js';
import { type GrantPayload, passageRecord, timedOutGrant } from './lane-ledger.js';
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
import { LaneReaders, type ReaderDevices } from './lane-readers.js';

export interface LaneDevices extends ReaderDevices {
  turnstile: Turnstile;
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
  /** Wall-clock ms: the timestamps of what the lane logs and announces, which people read. */
  now?: () => number;
  /**
   * Monotonic ms (performance.now() unless a test steps it): every duration the lane measures. Grant deadlines,
   * pulse windows and the door-held time on the wall clock would follow an NTP or operator step, timing a grant
   * out while its holder walks through (the ticket's use given back) or keeping a locked arm "unlocked".
   */
  monotonicNow?: () => number;
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
  private readonly monotonicNow: () => number;
  private readonly links = new Map<string, LinkState>();
  private readonly readers: LaneReaders;
  private tick?: NodeJS.Timeout;
  private lastPhase = '';
  private readonly write: LogWriter;

  constructor(private readonly deps: LaneControllerDeps) {
    this.id = deps.config.id;
    this.now = deps.now ?? Date.now;
    this.monotonicNow = deps.monotonicNow ?? (() => performance.now());
    this.write = deps.write ?? ((_what, run) => run());
    this.readers = new LaneReaders({
      config: deps.config,
      devices: deps.devices,
      decisions: deps.decisions,
      decide: (req) => this.decide(req),
      onLink: (device, side, state, reason) => this.onLink(device, side, state, reason),
      bus: deps.bus,
      logger: deps.logger,
      now: this.now,
      monotonicNow: this.monotonicNow,
      cloneNotExcluded: deps.cloneNotExcluded,
      readChip: deps.readChip,
      pairingWindowMs: deps.pairingWindowMs,
    });
  }

  async start(): Promise<void> {
    const t = this.deps.devices.turnstile;
    t.on('passage', (direction, active) => this.apply({ t: 'sensor', direction, active }));
    t.on('alarm', (active) => {
      if (active) this.deps.alarms.raise('turnstile-alarm', this.id);
    });
    t.on('link', (state, reason) => this.onLink('turnstile', undefined, state, reason));
    this.tick = setInterval(() => this.onTick(), this.deps.tickMs ?? 100);
    this.tick.unref();
    await Promise.all([t.start(), this.readers.start()]);
    this.publishState();
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    const t = this.deps.devices.turnstile;
    t.removeAllListeners();
    await Promise.allSettled([this.readers.stop(), t.stop()]);
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
      phase: phaseOf(this.state, this.monotonicNow()),
      freePassage: this.freePassage,
      fire: this.state.fire,
      degraded: this.degraded,
      links: Object.fromEntries(this.links),
      pending: this.state.grants.in.length + this.state.grants.out.length,
    };
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
    const { decision, reason, event } = outcome;
    this.deps.logger.debug({ direction, decision, reason, eventId: event.id, latencyMs: event.latencyMs }, 'decision');
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
      grant: {
        decisionId,
        direction,
        credential,
        deadline: this.monotonicNow() + this.deps.config.passageTimeoutMs,
        payload,
      },
    });
  }

  setFire(active: boolean): void {
    this.apply({ t: 'fire', active });
  }

  setFreePassage(on: boolean): void {
    this.apply({ t: 'free-passage', on });
  }

  private onTick(): void {
    this.readers.tick();
    this.apply({ t: 'tick' });
  }

  private apply(input: LaneInput): void {
    const effects = step(this.state, input, this.monotonicNow(), {
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
        const passage = this.deps.decisions.recordPassage(passageRecord(this.id, fx, this.now()));
        if (fx.alarm)
          alarms.raise(fx.alarm, this.id, { direction: fx.direction, ...(passage ? { passageId: passage.id } : {}) });
        break;
      }
      case 'timeout': {
        const { decisionId } = fx.grant;
        this.deps.decisions
          .recordTimeout(timedOutGrant(this.id, fx.grant, this.now()))
          .then((written) => {
            // The store is down: the refund of the ticket use is owed, and written once the store is back.
            if (written === 'owed')
              logger.warn({ decisionId }, 'timed-out grant owed to the log until the store is back');
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
