// MQTT ingest: subscribes to the gates' telemetry, validates each message against the topic map, and writes
// them in batched transactions. QoS 1 throughout.
//
// Acknowledgement rule: a PUBACK leaves only after the message's transaction has committed (puback-gate.ts),
// so a collector crash loses nothing the broker thinks delivered: with clean:false and a session expiry the
// broker redelivers the unacknowledged messages, and the upserts make the redelivery harmless. Should the
// gate be unavailable (a future mqtt.js without `_sendPacket`), acks go out on receipt and the loss window is
// bounded by what sits in the queue: at most one batch (storage.batchMax) plus one flush interval.
//
// Subscriptions: counts and alarms use `$share/{group}/...` so several collectors split them (MQTT 5). status
// and health are retained, and a broker sends retained messages to a plain subscription only: MQTT 5
// (§4.8.2) does not send retained messages for a shared subscription. So every collector holds plain
// subscriptions to status/health and gets every gate's last status at start; it writes the same rows as its
// peers, which is harmless (last status wins). Brokers without MQTT 5 (aedes) get plain subscriptions for
// everything, with a logged note; the upserts keep that correct, only the work is duplicated.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { logErrorsQuietly, mqttClientOptions } from '../contracts/mqtt-connection.js';
import { resolveSecret } from '../contracts/secrets.js';
import { TOPIC_ROOT } from '../contracts/topics.js';
import type { CollectorConfig } from './config.js';
import type { CollectorMetrics } from './metrics.js';
import { type AckToken, PubackGate } from './puback-gate.js';
import { StatusLedger } from './status-ledger.js';
import { foldBatch } from './storage/batch.js';
import type { CollectorStore } from './storage/types.js';
import { type IngestPolicy, type IngestRecord, type RejectReason, validateMessage } from './validate.js';

export interface IngestOptions {
  mqtt: CollectorConfig['mqtt'];
  store: CollectorStore;
  metrics: CollectorMetrics;
  log: Logger;
  batchMax: number;
  /** the gates' keys and the bounds every message is held to (validate.ts) */
  policy: IngestPolicy;
  /** the small-cell minimum applied to each window's categories before it is stored (contracts/small-cells.ts) */
  categoryMinCount?: number;
  now?: () => number;
}

export interface IngestStatus {
  connected: boolean;
  protocolVersion: 4 | 5 | null;
  shared: boolean;
  subscriptions: string[];
  stored: number;
  rejected: number;
  /** empty retained messages (deletions), neither stored nor rejected */
  ignored: number;
  firstReceivedAt: number | null;
  lastCommitAt: number | null;
}

type Pending = { record: IngestRecord; ack: AckToken | null };

export class Ingest {
  private client: MqttClient | null = null;
  private gate: PubackGate | null = null;
  private readonly queue: Pending[] = [];
  private flushScheduled = false;
  private writing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly lastLog = new Map<string, number>();
  private readonly now: () => number;
  private readonly statuses = new StatusLedger();
  readonly status: IngestStatus = {
    connected: false,
    protocolVersion: null,
    shared: false,
    subscriptions: [],
    stored: 0,
    rejected: 0,
    ignored: 0,
    firstReceivedAt: null,
    lastCommitAt: null,
  };

  constructor(private readonly opts: IngestOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.opts.policy.keys.size === 0)
      this.opts.log.warn('no gate keys registered (gates.keysFile): every gate message will be refused');
    let client: MqttClient;
    try {
      client = await this.connect(5);
      this.status.protocolVersion = 5;
    } catch (err) {
      if (!/protocol version/i.test((err as Error).message)) throw err;
      this.opts.log.warn(
        'broker does not speak MQTT 5: using MQTT 3.1.1 and plain subscriptions (every collector gets every message)',
      );
      client = await this.connect(4);
      this.status.protocolVersion = 4;
    }
    this.client = client;
    this.gate = new PubackGate(client);
    if (!this.gate.active) this.opts.log.warn('mqtt.js internals changed: PUBACKs go out on receipt, not after commit');
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.qos, packet.messageId));
    client.on('connect', () => (this.status.connected = true));
    client.on('close', () => (this.status.connected = false));
    logErrorsQuietly(client, this.opts.log);
    this.status.connected = true;

    // sharedSubscriptionAvailable absent means available (MQTT 5 §3.2.2.3.15).
    const serverShares =
      this.status.protocolVersion === 5 &&
      (client as unknown as { _serverProperties?: { sharedSubscriptionAvailable?: boolean } })._serverProperties
        ?.sharedSubscriptionAvailable !== false;
    const shared = this.opts.mqtt.sharedSubscription && serverShares;
    if (this.opts.mqtt.sharedSubscription && !shared)
      this.opts.log.warn('shared subscriptions unavailable: using plain subscriptions');
    this.status.shared = shared;
    const topics: string[] = [];
    for (const site of this.opts.mqtt.sites) {
      for (const kind of ['counts', 'alarms'] as const) {
        const t = `${TOPIC_ROOT}/${site}/+/${kind}`;
        topics.push(shared ? `$share/${this.opts.mqtt.shareGroup}/${t}` : t);
      }
      for (const kind of ['status', 'health'] as const) topics.push(`${TOPIC_ROOT}/${site}/+/${kind}`);
    }
    // Before the first message: the retained statuses arrive right after the subscription.
    this.statuses.seed(await this.opts.store.gates());
    await client.subscribeAsync(topics, { qos: 1 });
    this.status.subscriptions = topics;
    this.opts.log.info({ topics, protocolVersion: this.status.protocolVersion }, 'collector subscribed');
  }

  /** Stops taking messages, commits what is queued (so its acks leave), then disconnects. */
  async stop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    if (client) client.removeAllListeners('message');
    if (this.queue.length) this.scheduleFlush();
    // Bounded: with storage down the queue cannot commit; its messages stay unacknowledged and the broker keeps them.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drained(), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (client) await client.endAsync().catch(() => {});
    this.client = null;
  }

  /** Resolves when every message received so far is committed (tests and shutdown). */
  drained(): Promise<void> {
    if (!this.queue.length && !this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private connect(protocolVersion: 4 | 5): Promise<MqttClient> {
    const m = this.opts.mqtt;
    const built = mqttClientOptions(m, {
      clientId: m.clientId,
      protocolVersion,
      // The broker keeps our QoS 1 backlog across a restart: PUBACK only after the commit needs that.
      clean: false,
      resolveSecret,
    });
    if (!built.ok) return Promise.reject(new Error(built.detail ?? built.reason));
    // Bound what the broker may have in flight to us while acks wait on a transaction.
    const opts: IClientOptions = {
      ...built.value.options,
      properties:
        protocolVersion === 5
          ? {
              sessionExpiryInterval: m.sessionExpirySeconds,
              receiveMaximum: 1000,
              maximumPacketSize: m.maxPayloadBytes + 1024,
            }
          : undefined,
    };
    return new Promise((resolve, reject) => {
      const client = mqtt.connect(m.url, opts);
      const fail = (err: Error): void => {
        client.removeListener('connect', ok);
        client.end(true);
        reject(err);
      };
      const ok = (): void => {
        client.removeListener('error', fail);
        resolve(client);
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
  }

  private onMessage(topic: string, payload: Buffer, qos: number, messageId: number | undefined): void {
    const receivedAt = this.now();
    this.status.firstReceivedAt ??= receivedAt;
    if (payload.length === 0) {
      this.status.ignored++;
      // An empty retained message is how a retained status or health is deleted: nothing to store, nothing wrong.
      this.opts.metrics.messages.inc({ topic: topic.split('/').pop() ?? 'unknown', result: 'ignored' });
      return;
    }
    const v = validateMessage(topic, payload, receivedAt, this.opts.policy);
    if (!v.ok) {
      this.reject(topic, v.reason, v.detail);
      return;
    }
    if (v.detailDropped > 0) {
      this.opts.metrics.scrubbed.inc({ reason: 'detail-dropped' }, v.detailDropped);
      // Neither the dropped keys nor their values are logged: they are what might be personal.
      this.logSampled(
        'detail-dropped',
        { topic: topic.slice(0, 200), reason: 'detail-dropped', entries: v.detailDropped },
        'alarm detail not allowed for its kind dropped; the alarm is stored without it',
      );
    }
    if (v.record.kind === 'status') {
      const fresh = this.statuses.judge(v.record.site, v.record.gate, v.record.payload);
      if (!fresh.ok) {
        this.reject(topic, fresh.reason, fresh.detail ?? fresh.reason);
        return;
      }
    }
    const ack = qos > 0 && messageId !== undefined && this.gate ? this.gate.hold(messageId) : null;
    this.queue.push({ record: v.record, ack });
    this.opts.metrics.pending.set(this.queue.length);
    this.scheduleFlush();
  }

  /** Counted and logged (sampled), never stored; its ack goes out unheld: a bad message never becomes good on redelivery. */
  private reject(topic: string, reason: RejectReason, detail: string): void {
    this.status.rejected++;
    const kind = topic.split('/').pop() ?? 'unknown';
    this.opts.metrics.messages.inc({
      topic: ['counts', 'alarms', 'status', 'health'].includes(kind) ? kind : 'unknown',
      result: 'rejected',
    });
    this.opts.metrics.rejected.inc({ reason });
    // The topic names only a site and gate (no personal data); the detail is ours, never the payload's text.
    this.logSampled(reason, { topic: topic.slice(0, 200), reason, detail });
  }

  /** One log line per reason per 10 s: a flood of bad messages must not flood the disk; the counter has the total. */
  private logSampled(reason: string, fields: Record<string, unknown>, message = 'message rejected'): void {
    const t = this.now();
    if ((this.lastLog.get(reason) ?? -Infinity) + 10_000 > t) return;
    this.lastLog.set(reason, t);
    this.opts.log.warn(fields, message);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing || this.retryTimer) return;
    this.flushScheduled = true;
    // A microtask runs after mqtt.js has worked through every packet of the current socket read (it chains
    // them with process.nextTick, which drains first), so one read becomes one transaction, and the acks
    // leave in the same event-loop turn. setImmediate instead waited behind every other socket's I/O:
    // 0.50x of a bare subscriber against 0.9x+ this way (bench/collector.ts, SQLite, Mosquitto).
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.writing = this.flush().finally(() => {
        this.writing = null;
        if (this.queue.length && !this.retryTimer) this.scheduleFlush();
        else if (!this.queue.length) this.wakeIdle();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.opts.batchMax);
    if (!batch.length) return;
    const started = process.hrtime.bigint();
    try {
      await this.opts.store.write(
        foldBatch(
          batch.map((p) => p.record),
          this.opts.categoryMinCount,
        ),
      );
    } catch (err) {
      // Keep the batch at the head and retry: nothing is acknowledged, nothing is dropped.
      this.queue.unshift(...batch);
      this.opts.metrics.writeErrors.inc();
      this.opts.log.error(
        { err: (err as Error).message, messages: batch.length },
        'storage write failed; retrying in 1 s',
      );
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.scheduleFlush();
      }, 1000);
      return;
    }
    this.opts.metrics.writeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.opts.metrics.batchSize.observe(batch.length);
    this.gate?.release(batch.map((p) => p.ack));
    this.status.stored += batch.length;
    this.status.lastCommitAt = this.now();
    this.opts.metrics.pending.set(this.queue.length);
    for (const { record } of batch) {
      this.opts.metrics.messages.inc({ topic: record.kind, result: 'stored' });
      const at =
        record.kind === 'counts' ? record.payload.windowEnd : record.kind === 'alarms' ? record.payload.ts : null;
      if (at !== null)
        this.opts.metrics.ingestLag.observe({ topic: record.kind }, Math.max(0, record.receivedAt - at) / 1000);
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  get pendingCount(): number {
    return this.queue.length;
  }
}
