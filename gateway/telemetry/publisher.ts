// Drains the outbox to the broker in queue order, QoS 1, and marks a row sent only on its PUBACK.
//
// Up to `maxInFlight` rows are on the wire at once (one TCP stream keeps them in order; one at a time would
// cost a round trip per window, which after a long outage on a mobile uplink is minutes). When the connection
// drops, mqtt.js keeps its in-flight QoS 1 packets and sends them again, first, on reconnect; their promises
// resolve on the PUBACK that follows. So a row stays "in flight" across a reconnect and is not sent twice by
// us; rows that never reached mqtt.js (or were dropped by a process restart) are simply still unsent.
// A redelivery therefore carries the same bytes; the collector's key makes it an overwrite.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Outbox, OutboxTopic } from './outbox.js';

export interface PublisherOptions {
  client: MqttClient;
  outbox: Outbox;
  topicOf: (suffix: OutboxTopic) => string;
  logger: Logger;
  maxInFlight?: number;
  /** Wait before trying a row again after mqtt.js refused it outright (not a disconnect). */
  retryAfterMs?: number;
  /** Turns a row's JSON into the body sent on `topic` (the gate's signature, publication-signature.ts); default as is. */
  encode?: (topic: string, payload: string) => string;
}

export interface PublisherStats {
  published: number;
  publishErrors: number;
  /** PUBACKs for a row that changed while in flight (merged into): it goes out again with the new content. */
  staleAcks: number;
}

export class OutboxPublisher {
  readonly stats: PublisherStats = { published: 0, publishErrors: 0, staleAcks: 0 };
  private readonly inFlight = new Map<number, number>();
  private readonly maxInFlight: number;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = true;
  private idleWaiters: Array<() => void> = [];
  private readonly onConnect = (): void => this.kick();

  constructor(private readonly opts: PublisherOptions) {
    this.maxInFlight = opts.maxInFlight ?? 16;
  }

  start(): void {
    this.stopped = false;
    this.opts.client.on('connect', this.onConnect);
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.opts.client.off('connect', this.onConnect);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.releaseIdleWaiters();
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Something was queued (or the link came back): drain soon, once, after the current transaction. */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.drain();
      } catch (err) {
        // The outbox is in the event store; while it cannot be read the rows wait there, tried again later.
        this.opts.logger.warn({ err: (err as Error)?.message }, 'outbox not readable; will retry');
        this.scheduleRetry();
      }
    });
  }

  /** Resolves true once nothing is unsent or in flight, false if `timeoutMs` passes first. */
  async flush(timeoutMs: number): Promise<boolean> {
    this.kick();
    if (this.isIdle()) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(this.isIdle())));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private isIdle(): boolean {
    return this.inFlight.size === 0 && this.opts.outbox.depth() === 0;
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private drain(): void {
    if (this.stopped || !this.opts.client.connected) return;
    const room = this.maxInFlight - this.inFlight.size;
    if (room <= 0) return;
    const rows = this.opts.outbox.unsent(this.maxInFlight + this.inFlight.size).filter((r) => !this.inFlight.has(r.id));
    if (rows.length === 0 && this.inFlight.size === 0) this.releaseIdleWaiters();
    for (const row of rows.slice(0, room)) {
      this.inFlight.set(row.id, row.rev);
      const topic = this.opts.topicOf(row.topic);
      // Signed when sent, not when queued: a row merged into while unsent is signed once, with its final content.
      const body = this.opts.encode ? this.opts.encode(topic, row.payload) : row.payload;
      this.opts.client.publishAsync(topic, body, { qos: 1, retain: false }).then(
        () => {
          this.inFlight.delete(row.id);
          try {
            if (this.opts.outbox.markSent(row.id, row.rev)) this.stats.published += 1;
            else this.stats.staleAcks += 1;
          } catch (err) {
            // Not marked sent: it goes out again later, which the collector's keys make harmless.
            this.opts.logger.warn(
              { err: (err as Error)?.message, outboxId: row.id },
              'sent row not marked; resent later',
            );
            this.scheduleRetry();
            return;
          }
          this.kick();
        },
        (err: unknown) => {
          this.inFlight.delete(row.id);
          this.stats.publishErrors += 1;
          this.opts.logger.warn({ err: (err as Error)?.message, outboxId: row.id }, 'publish failed; will retry');
          this.scheduleRetry();
        },
      );
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.opts.retryAfterMs ?? 1000);
    this.retryTimer.unref();
  }
}
