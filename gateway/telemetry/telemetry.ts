// The Telemetry feature: counts to the IOC, alarms, status and health over MQTT, and inbound commands.
// Built by the composition root with what it needs; the constructor only stores it, start() wires it up,
// stop() undoes it (Zigbee2MQTT extension style). The lane never calls in here: telemetry listens to the
// event store's commits and to the bus.
//
// Empty windows ARE published, one per window (60 s by default): a zero is then a fact, not a missing
// message, so the IOC can tell "nobody passed" from "not delivered yet" (seq has no gaps), and it doubles as a
// liveness signal for charts. At 1000 gates that is ~17 small messages/s for a broker, which is nothing; during
// an outage runs of empty windows are folded into one outbox row (see outbox.ts), so they cost no capacity.

import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { connectMqtt, logErrorsQuietly } from '../../contracts/mqtt-connection.js';
import {
  createPublicationSigner,
  type PublicationSigner,
  parseSigningKey,
} from '../../contracts/publication-signature.js';
import { fail, ok, type Result } from '../../contracts/result.js';
import { AlarmPayload, type GatePayload, type GateTopic, topicFor } from '../../contracts/topics.js';
import type { AlarmRaiser } from '../alarms.js';
import { resolveSecret as resolveConfiguredSecret } from '../config/load.js';
import type { GatewayConfig, SecretRef } from '../config/schema.js';
import type { Alarm, EventBus } from '../events.js';
import { type Feature, StartRefused } from '../feature.js';
import { ed25519KeyReloader } from '../jwks-reloader.js';
import type { StoredEvent } from '../store/types.js';
import { type CommandHandlers, CommandInbox, type CommandSigning, MAX_COMMAND_BYTES } from './commands.js';
import { CountWindows } from './count-windows.js';
import { buildHealth, ClockWatch, LinkBoard } from './health.js';
import { Outbox } from './outbox.js';
import { OutboxPublisher } from './publisher.js';

/** What telemetry needs of the event store (gateway/store/event-store.ts satisfies it). */
export interface TelemetryStore {
  /** The database file (its file system's free space goes into health). */
  readonly path: string;
  readonly repos: {
    readonly outbox: import('../store/telemetry-repo.js').OutboxRepository;
    readonly countWindows: import('../store/telemetry-repo.js').CountWindowRepository;
    readonly commandIds: import('../store/telemetry-repo.js').CommandIdRepository;
  };
  readonly bootId: string;
  onCommitInTransaction(owner: object, fn: (ev: StoredEvent) => void): void;
  removeOwner?(owner: object): void;
  /** Runs after the database file was opened again (deleted or replaced under the daemon). */
  onReopen?(owner: object, fn: () => void): void;
  transaction<T>(fn: () => T): T;
  sizeBytes(): number;
}

export interface TelemetryDeps {
  config: GatewayConfig;
  store: TelemetryStore;
  bus: EventBus;
  /**
   * Where telemetry's own alarms (clock jump, outbox filling) are raised: the gateway's AlarmService, so they
   * are logged and shown to operators like any other. Telemetry hears them back on `alarm.raised` to send them.
   */
  alarms: AlarmRaiser;
  logger: Logger;
  /** resend defaults to this feature's own resendSince */
  handlers: Omit<CommandHandlers, 'resend'> & Partial<Pick<CommandHandlers, 'resend'>>;
  version: string;
  resolveSecret?: (ref: SecretRef) => Buffer;
  /** for tests: wall clock and a monotonic clock, both ms */
  clock?: { now: () => number; mono: () => number };
  /** for tests: how often due windows are closed and the clock checked (default 1000 ms) */
  tickMs?: number;
  /** for tests: mqtt reconnect period (default 2000 ms) */
  reconnectPeriodMs?: number;
  /** how long stop() waits for the outbox to drain (default 3000 ms) */
  stopFlushMs?: number;
  /**
   * Owes the event log a write until the store is back (StoreWatch.writeOrOwe): lets a free passage OFF
   * command run during a store outage. Without it such a command is refused as cmd.store-unavailable.
   */
  owe?: (what: string, run: () => void) => void;
}

export interface TelemetryStats {
  connected: number;
  outboxDepth: number;
  outboxCapacity: number;
  published: number;
  publishErrors: number;
  staleAcks: number;
  windowsClosed: number;
  alarmsQueued: number;
  alarmsDropped: number;
  alarmsInvalid: number;
  clockJumps: number;
  /** 1 while mqtt.insecureUnsignedCommands is on: a gauge an IOC can alert on. */
  unsignedCommandsObeyed: number;
  commands: Record<string, number>;
}

/** The outbox-filling alarm fires at 90 % and re-arms below 80 %, so it does not flap around the threshold. */
const FILL_ALARM_AT = 0.9;
const FILL_REARM_BELOW = 0.8;
/**
 * Alarms that neither the outbox (the store is down) nor the broker (not connected, or no PUBACK) took are kept
 * in memory until the outbox can take them. An outage raises a handful (store-unavailable, a device or two);
 * a bound keeps a fault that raises one per second from growing the heap.
 */
const MAX_HELD_ALARMS = 200;

export class Telemetry implements Feature {
  readonly name = 'telemetry';
  private client: MqttClient | null = null;
  private outbox!: Outbox;
  private windows!: CountWindows;
  private publisher!: OutboxPublisher;
  private inbox!: CommandInbox;
  private readonly board = new LinkBoard();
  private readonly clockWatch = new ClockWatch();
  private timers: NodeJS.Timeout[] = [];
  private fillAlarmArmed = true;
  /** Alarms owed to the outbox, by id (see MAX_HELD_ALARMS); insertion order is oldest first. */
  private readonly heldAlarms = new Map<string, GatePayload<'alarms'>>();
  private startedMono = 0;
  private diskFreeBytes: number | undefined;
  private readonly counters = { windowsClosed: 0, alarmsQueued: 0, alarmsDropped: 0, alarmsInvalid: 0 };
  private readonly now: () => number;
  private readonly mono: () => number;
  private readonly log: Logger;
  private signer: PublicationSigner | null = null;
  /** The current MQTT connection of this boot: named in the online status and in the last will set for it. */
  private link = newLink();
  /** This start's number (countThisStart); undefined when the log could not be written at start. */
  private bootSeq: number | undefined;

  constructor(private readonly deps: TelemetryDeps) {
    this.now = deps.clock?.now ?? Date.now;
    this.mono = deps.clock?.mono ?? (() => performance.now());
    this.log = deps.logger.child({ channel: 'gate06:telemetry' });
  }

  private topic(suffix: GateTopic): string {
    return topicFor(this.deps.config.site.id, this.deps.config.gate.id, suffix);
  }

  /**
   * Throws StartRefused, naming the key, when the config cannot be used (no mqtt section, an unreadable signing
   * key or command signer JWKS, bad connection options): the site meant something this gate cannot do. A broker
   * that is down is no reason: the client keeps connecting in the background and the outbox holds the counts.
   */
  async start(): Promise<void> {
    const { config, store, bus } = this.deps;
    const mqttCfg = config.mqtt;
    if (!mqttCfg) throw new StartRefused('mqtt: section missing, telemetry is off');
    const signing = commandSigningFrom(mqttCfg, this.log);
    if (!signing.ok) throw new StartRefused(signing.detail ?? signing.reason);
    this.announceCommandSigning(signing.value);
    if (mqttCfg.signingKey) {
      let bytes: Buffer;
      try {
        bytes = (this.deps.resolveSecret ?? resolveConfiguredSecret)(mqttCfg.signingKey);
      } catch (err) {
        throw new StartRefused(`mqtt.signingKey: ${(err as Error).message}`);
      }
      const key = parseSigningKey(bytes);
      if (!key.ok) throw new StartRefused(`mqtt.signingKey: ${key.detail}`);
      this.signer = createPublicationSigner(config.site.id, config.gate.id, key.value);
    } else {
      this.log.warn(
        'mqtt.signingKey is not set: publishing unsigned, and a collector that checks signatures refuses it all',
      );
    }
    const zoneOfLane = new Map(config.gate.lanes.map((l) => [l.id, l.zone]));
    this.outbox = new Outbox(
      store.repos.outbox,
      mqttCfg.outboxMax,
      { categoryMinCount: mqttCfg.categoryMinCount },
      this.now,
    );
    const makeWindows = (): CountWindows =>
      new CountWindows(store.repos.countWindows, this.outbox, {
        site: config.site.id,
        gate: config.gate.id,
        bootId: store.bootId,
        windowMs: mqttCfg.windowSeconds * 1000,
        zoneOfLane: (lane) => zoneOfLane.get(lane),
      });
    this.windows = makeWindows();
    this.bootSeq = this.countThisStart();
    this.inbox = new CommandInbox({
      commandIds: store.repos.commandIds,
      site: config.site.id,
      gate: config.gate.id,
      logger: this.log,
      now: this.now,
      mono: this.mono,
      signing: signing.value,
      rateLimits: mqttCfg.commandRateLimits,
      onRefused: (reason) => bus.emit('input.rejected', { source: 'mqtt-command', reason }),
      transaction: (fn) => store.transaction(fn),
      owe: this.deps.owe,
      handlers: {
        ...this.deps.handlers,
        resend: this.deps.handlers.resend ?? ((cmd) => void this.resendSince(cmd.since)),
      },
    });
    store.transaction(() => {
      this.inbox.init();
      this.windows.closeDue(this.now());
    });
    // A new file after the old one was deleted (its tables made again by the migrations): the command ids
    // remembered go back in. What the lost file held unsent is lost with it.
    store.onReopen?.(this, () => {
      this.windows = makeWindows();
      this.inbox.init();
    });

    const connected = connectMqtt(mqttCfg, {
      clientId: `gate06-${config.site.id}-${config.gate.id}`,
      resolveSecret: this.deps.resolveSecret,
      protocolVersion: mqttCfg.protocolVersion,
      // The largest command (a watchlist) and its MQTT framing: anything larger never reaches this box.
      maximumPacketSize: MAX_COMMAND_BYTES + 1024,
      reconnectPeriodMs: this.deps.reconnectPeriodMs,
      will: this.lastWill(),
    });
    if (!connected.ok) throw new StartRefused(connected.detail ?? connected.reason);
    const client = connected.value;
    this.client = client;
    this.publisher = new OutboxPublisher({
      client,
      outbox: this.outbox,
      topicOf: (s) => this.topic(s),
      logger: this.log,
      encode: (topic, payload) => this.encode(topic, payload),
    });

    // Counting runs inside the event's own transaction; publishing waits until that transaction is over,
    // and is only asked for when the event closed a window into the outbox.
    store.onCommitInTransaction(this, (ev) => {
      if (!this.windows.onCommittedEvent(ev).closed) return;
      this.counters.windowsClosed += 1;
      this.publisher.kick();
    });
    bus.on(this, 'alarm.raised', (alarm) => this.queueAlarm(alarm));
    bus.on(this, 'device.link', (ev) => this.board.onDeviceLink(ev));
    bus.on(this, 'lane.state', (ev) => this.board.onLaneState(ev));

    // mqtt.js builds each CONNECT from client.options.will and emits 'reconnect' just before it: every
    // connection gets a will naming its own link, so a will captured from an earlier connection stays harmless.
    client.on('reconnect', () => {
      this.link = newLink();
      client.options.will = this.lastWill();
    });
    client.on('connect', () => {
      this.log.info('mqtt connected');
      this.publishRetained('status', {
        state: 'online',
        bootId: store.bootId,
        bootSeq: this.bootSeq,
        version: this.deps.version,
        ts: this.now(),
        link: this.link,
      });
      void this.publishHealth();
    });
    client.on('close', () => this.log.debug('mqtt connection closed'));
    logErrorsQuietly(client, this.log);
    client.on('message', (topic, body, packet) => {
      this.inbox
        .receive(topic, body, packet.retain)
        .catch((err: unknown) => this.log.error({ err }, 'command not handled (the store may be unavailable)'));
    });
    client.subscribe(this.inbox.subscription(), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'command subscription failed');
    });

    this.startedMono = this.mono();
    this.clockWatch.observe(this.now(), this.mono());
    this.publisher.start();
    const tick = setInterval(() => this.tick(), this.deps.tickMs ?? 1000);
    const health = setInterval(() => void this.publishHealth(), mqttCfg.healthIntervalS * 1000);
    for (const t of [tick, health]) t.unref();
    this.timers.push(tick, health);
    this.log.info({ windowSeconds: mqttCfg.windowSeconds, outboxMax: mqttCfg.outboxMax }, 'telemetry started');
  }

  /** Closes the open window, drains the outbox for up to stopFlushMs, says offline, disconnects. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.deps.bus.removeOwner(this);
    this.deps.store.removeOwner?.(this);
    const client = this.client;
    if (!client) return;
    this.client = null;
    try {
      this.deps.store.transaction(() => {
        if (this.windows.closeEarly(this.now()).closed) this.counters.windowsClosed += 1;
      });
    } catch (err) {
      // Stopping is when a supervisor restarts a gate whose store failed: the rest of stop() must still run.
      this.log.warn({ err: (err as Error)?.message }, 'open window not closed at stop; it stays in the store');
    }
    if (this.heldAlarms.size > 0)
      this.log.warn(
        { alarms: this.heldAlarms.size },
        'stopping with alarms neither the outbox nor the broker took; they are in the local log only',
      );
    const drained = await this.publisher.flush(this.deps.stopFlushMs ?? 3000);
    if (!drained)
      this.log.warn({ outboxDepth: this.depthOrMinusOne() }, 'stopping with unsent rows; they go out after restart');
    this.publisher.stop();
    if (client.connected) {
      await withTimeout(
        client.publishAsync(
          this.topic('status'),
          this.encode(this.topic('status'), JSON.stringify(this.offlineStatus())),
          {
            qos: 1,
            retain: true,
          },
        ),
        1000,
      );
      await withTimeout(client.endAsync(), 1000);
    }
    await client.endAsync(true);
    this.log.info('telemetry stopped');
  }

  /** Says at every start how this gate treats IOC commands: the two unsafe-looking states must not go unseen. */
  private announceCommandSigning(signing: CommandSigning): void {
    if (signing.mode === 'signed') this.log.info({ kids: [...signing.keys().keys()] }, 'IOC commands must be signed');
    else if (signing.mode === 'disabled')
      this.log.warn(
        'IOC commands are disabled until a signer JWKS is configured (mqtt.commandSignerJwksFile); telemetry still runs',
      );
    else
      this.log.warn(
        'mqtt.insecureUnsignedCommands is true: unsigned IOC commands are obeyed, so anyone who can publish to the broker can open lanes',
      );
  }

  /** Unsent rows in the outbox. */
  outboxDepth(): number {
    return this.outbox.depth();
  }

  /** Queues the kept windows that started at or after `since` again (the IOC's cmd/resend). */
  resendSince(since: number): number {
    const n = this.deps.store.transaction(() => this.outbox.requeueCountsSince(since));
    this.log.info({ since, windows: n }, 'windows queued again');
    this.publisher.kick();
    return n;
  }

  /** Plain numbers for prom-client gauges/counters (the HTTP module owns the registry). */
  stats(): TelemetryStats {
    return {
      connected: this.client?.connected ? 1 : 0,
      outboxDepth: this.depthOrMinusOne(),
      outboxCapacity: this.outbox.capacity,
      ...this.publisher.stats,
      ...this.counters,
      clockJumps: this.clockWatch.jumps,
      unsignedCommandsObeyed: this.inbox.signingMode === 'insecure-unsigned' ? 1 : 0,
      commands: { ...this.inbox.counts },
    };
  }

  /** The outbox depth for stats; -1 while the store cannot be read (locked, gone), rather than a throw. */
  private depthOrMinusOne(): number {
    try {
      return this.outbox.depth();
    } catch {
      return -1;
    }
  }

  /**
   * Timer: close a window nobody closed, watch the clock, watch the outbox level. A store that cannot be
   * written fails only this tick (the store watch has raised store-unavailable); the next tick tries again,
   * and the window stays open in the database meanwhile, so no count is lost.
   */
  tick(): void {
    try {
      const { closed } = this.deps.store.transaction(() => this.windows.closeDue(this.now()));
      if (closed) {
        this.counters.windowsClosed += 1;
        this.publisher.kick();
      }
    } catch (err) {
      this.log.warn({ err: (err as Error)?.message }, 'count window not closed this tick; trying again next tick');
    }
    const step = this.clockWatch.observe(this.now(), this.mono());
    if (step !== null) {
      this.log.warn({ stepMs: step }, 'wall clock stepped');
      this.raise('clock-jump', { stepMs: step });
    }
    try {
      this.checkFill();
    } catch {
      // The outbox level is read from the store; it is checked again next tick.
    }
    this.queueHeldAlarms();
  }

  private checkFill(): void {
    const level = this.outbox.fillLevel();
    if (level < FILL_REARM_BELOW) this.fillAlarmArmed = true;
    if (level >= FILL_ALARM_AT && this.fillAlarmArmed) {
      this.fillAlarmArmed = false;
      this.raise('outbox-filling', { percent: Math.floor(level * 100), capacity: this.outbox.capacity });
    }
  }

  private raise(kind: 'clock-jump' | 'outbox-filling', detail: Record<string, number>): void {
    // Through the one alarm service: it logs the alarm, shows it to operators and announces it on the bus,
    // where our own listener queues it for the IOC like any other.
    this.deps.alarms.raise(kind, null, detail);
  }

  private queueAlarm(alarm: Alarm): void {
    const payload = AlarmPayload.safeParse(stripIdLikeDetail(alarm));
    if (!payload.success) {
      this.counters.alarmsInvalid += 1;
      this.log.warn({ kind: alarm.kind, alarmId: alarm.id }, 'alarm does not fit the alarms topic; not sent');
      return;
    }
    let outcome: ReturnType<Outbox['addAlarm']>;
    try {
      outcome = this.deps.store.transaction(() => this.outbox.addAlarm(payload.data));
    } catch (err) {
      // The outbox lives in the store, which cannot take it (store-unavailable is the alarm that most needs
      // to get out): held for the outbox, and sent straight to the broker meanwhile if connected.
      this.log.warn(
        { kind: alarm.kind, err: (err as Error)?.message },
        'alarm not queued in the outbox; held until it can be, and sent directly if connected',
      );
      this.hold(payload.data);
      this.publishDirectly(payload.data);
      this.counters.alarmsQueued += 1;
      return;
    }
    if (outcome === 'full') {
      this.counters.alarmsDropped += 1;
      this.log.error(
        { kind: alarm.kind, alarmId: alarm.id },
        'outbox full: alarm not queued for the IOC (kept in the local log)',
      );
      return;
    }
    this.counters.alarmsQueued += 1;
    this.publisher.kick();
  }

  private hold(alarm: GatePayload<'alarms'>): void {
    this.heldAlarms.set(alarm.id, alarm);
    if (this.heldAlarms.size <= MAX_HELD_ALARMS) return;
    const [oldestId, oldest] = this.heldAlarms.entries().next().value!;
    this.heldAlarms.delete(oldestId);
    this.counters.alarmsDropped += 1;
    this.log.error({ kind: oldest.kind, alarmId: oldestId }, 'too many alarms held; the oldest is not sent');
  }

  /**
   * Signed like everything else the gate publishes. Only while connected: mqtt.js would otherwise keep the
   * packet in its own memory store as well, and the held copy already covers a link that is down. A PUBACK
   * settles the alarm; the collector keys alarms by id, so a copy also sent from the outbox later is harmless.
   */
  private publishDirectly(alarm: GatePayload<'alarms'>): void {
    const client = this.client;
    if (!client?.connected) return;
    const topic = this.topic('alarms');
    client.publish(topic, this.encode(topic, JSON.stringify(alarm)), { qos: 1 }, (err) => {
      if (err) this.log.warn({ kind: alarm.kind, err: err.message }, 'direct alarm publish failed; still held');
      else this.heldAlarms.delete(alarm.id);
    });
  }

  /** Moves held alarms into the outbox once the store takes writes again; runs every tick. */
  private queueHeldAlarms(): void {
    if (this.heldAlarms.size === 0) return;
    const queued: string[] = [];
    try {
      this.deps.store.transaction(() => {
        for (const [id, alarm] of this.heldAlarms) {
          if (this.outbox.addAlarm(alarm) === 'full') break;
          queued.push(id);
        }
      });
    } catch {
      // Still down: the transaction rolled back, so every alarm stays held for the next tick.
      return;
    }
    for (const id of queued) this.heldAlarms.delete(id);
    if (queued.length > 0) {
      this.log.info({ alarms: queued.length }, 'held alarms queued in the outbox');
      this.publisher.kick();
    }
  }

  /** The offline status for the current link: what the last will says, and what a graceful stop says. */
  private offlineStatus(): GatePayload<'status'> {
    return { state: 'offline', bootId: this.deps.store.bootId, bootSeq: this.bootSeq, link: this.link, ts: this.now() };
  }

  /**
   * Counts this start in the event log file (tel_meta 'boot_seq'), for the status messages: the collector lets
   * a later start online even when this box's clock came back behind the last one's (collector/status-ledger.ts).
   * A log that cannot be written at start only costs that: the statuses go without it, judged by clock alone.
   */
  private countThisStart(): number | undefined {
    const { store } = this.deps;
    try {
      return store.transaction(() => {
        const seq = (store.repos.outbox.counter('boot_seq') ?? 0) + 1;
        store.repos.outbox.setCounter('boot_seq', seq);
        return seq;
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'start not counted: statuses go without bootSeq');
      return undefined;
    }
  }

  private lastWill(): { topic: string; payload: Buffer; qos: 1; retain: true } {
    const topic = this.topic('status');
    return {
      topic,
      payload: Buffer.from(this.encode(topic, JSON.stringify(this.offlineStatus()))),
      qos: 1,
      retain: true,
    };
  }

  /** The body for `topic`: signed with this gate's key when one is configured. */
  private encode(topic: string, json: string): string {
    return this.signer ? this.signer.sign(topic, json) : json;
  }

  private publishRetained(suffix: 'status' | 'health', payload: unknown): void {
    const topic = this.topic(suffix);
    this.client?.publish(topic, this.encode(topic, JSON.stringify(payload)), { qos: 1, retain: true }, (err) => {
      if (err) this.log.debug({ err: err.message, suffix }, 'retained publish failed');
    });
  }

  /** Never rejects: it runs from a timer and on connect, where a rejection would go unhandled. */
  private async publishHealth(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    try {
      const fs = await statfs(dirname(this.deps.store.path));
      this.diskFreeBytes = fs.bavail * fs.bsize;
    } catch {
      // :memory: databases and odd mounts: health still goes out, without disk free
    }
    try {
      this.publishRetained(
        'health',
        buildHealth({
          ts: this.now(),
          bootId: this.deps.store.bootId,
          uptimeS: (this.mono() - this.startedMono) / 1000,
          outboxDepth: this.outbox.depth(),
          outboxCapacity: this.outbox.capacity,
          board: this.board,
          diskFreeBytes: this.diskFreeBytes,
          dbBytes: this.deps.store.sizeBytes(),
          clockJumps: this.clockWatch.jumps,
          commandSigning: this.inbox.signingMode,
        }),
      );
    } catch (err) {
      this.log.warn({ err: (err as Error)?.message }, 'health not published (store unreadable); next interval');
    }
  }
}

/**
 * Reads the IOC's command-signing JWKS, when configured. A file that is named but unreadable, or holds no
 * Ed25519 key, stops telemetry from starting: the site meant commands to be signed, and a gate that silently
 * took none (or any) would hide that. Once started, the file is re-read when it changes (a rotated IOC key);
 * a later bad file keeps the last good keys and logs why.
 */
export function commandSigningFrom(
  mqttCfg: Pick<NonNullable<GatewayConfig['mqtt']>, 'commandSignerJwksFile' | 'insecureUnsignedCommands'>,
  logger: Pick<Logger, 'info' | 'error'>,
): Result<CommandSigning, 'mqtt.command-signer'> {
  const file = mqttCfg.commandSignerJwksFile;
  if (!file) return ok({ mode: mqttCfg.insecureUnsignedCommands ? 'insecure-unsigned' : 'disabled' });
  try {
    return ok({ mode: 'signed', keys: ed25519KeyReloader(file, 'IOC command signer keys', logger) });
  } catch (err) {
    return fail('mqtt.command-signer', `mqtt.commandSignerJwksFile: ${(err as Error).message}`);
  }
}

/** Defence in depth: alarm detail must never carry an ID number; a long digit run is dropped, not sent. */
function stripIdLikeDetail(alarm: Alarm): Alarm {
  if (!alarm.detail) return alarm;
  const detail = Object.fromEntries(
    Object.entries(alarm.detail).filter(([, v]) => !(typeof v === 'string' && /\d{9,}/.test(v))),
  );
  return { ...alarm, detail };
}

const newLink = (): string => randomBytes(6).toString('hex');

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
