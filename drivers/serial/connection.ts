// Keeps one serial device connected: opens the port, reopens it with backoff after an unplug or an
// error, and decides when the device counts as up or down. Adapters stack framing on top of it.
import { EventEmitter } from 'node:events';
import type { DeviceKind, LinkState } from '../device.js';
import { DeviceError, type DeviceHealth } from '../device.js';
import { type BackoffPolicy, reconnectDelayMs } from './backoff.js';
import type { SerialPortConfig } from './config.js';
import type { PortOpener, SerialLink } from './link.js';

/**
 * How the connection learns the device is alive.
 * - 'port-open': up while the port is open. A QR scanner is silent until someone scans, so silence says nothing.
 * - 'replies': up on the first valid reply (the adapter calls markSeen), down after `offlineAfterMs`
 *   without one. A polled board that stops answering is offline even though its port is still open.
 */
export type Liveness = { kind: 'port-open' } | { kind: 'replies'; offlineAfterMs: number };

export interface SerialConnectionOptions {
  kind: DeviceKind;
  port: SerialPortConfig;
  opener: PortOpener;
  reconnect: BackoffPolicy;
  liveness: Liveness;
  now?: () => number;
  random?: () => number;
}

export interface SerialConnectionEvents {
  data: [bytes: Buffer];
  /** Emitted on every change, and once at the first verdict (a reader missing at boot is reported down). */
  link: [state: LinkState, reason?: string];
  /** The port (re)opened: adapters drop any half-received frame from the previous link. */
  opened: [];
  /** The open port went away (unplug, error); a reopen is scheduled. */
  closed: [reason: string];
}

export class SerialConnection extends EventEmitter<SerialConnectionEvents> {
  private link: SerialLink | undefined;
  private running = false;
  private opening = false;
  private failedAttempts = 0;
  private everOpened = false;
  private announced: LinkState | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private openedAt = 0;
  private lastSeenAt = 0;
  private reconnects = 0;
  private rejectedFrames = 0;
  private lastError: string | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: SerialConnectionOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get isOpen(): boolean {
    return this.link !== undefined;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    // start() reports the first attempt's outcome through 'link' but never fails: a missing device is retried.
    return this.tryOpen();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    this.retryTimer = this.silenceTimer = undefined;
    const link = this.link;
    this.link = undefined;
    if (link) {
      link.removeAllListeners();
      await link.close();
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.link) {
      return Promise.reject(new DeviceError(`${this.options.port.path}: not connected`, { disconnected: true }));
    }
    return this.link.write(bytes);
  }

  /** A valid frame or reply arrived: the device is alive. */
  markSeen(): void {
    this.lastSeenAt = this.now();
    if (this.link && this.options.liveness.kind === 'replies') this.announce('up');
  }

  /** A frame or reply was malformed (bad CRC, too long, not UTF-8...). */
  countRejected(detail: string): void {
    this.rejectedFrames++;
    this.lastError = detail;
  }

  /** Record a failure that is not a rejected frame (a reply timeout, an exception reply). */
  noteError(detail: string): void {
    this.lastError = detail;
  }

  health(): DeviceHealth {
    const h: DeviceHealth = {
      kind: this.options.kind,
      path: this.options.port.path,
      state: this.announced ?? 'down',
      lastSeenAt: this.lastSeenAt,
      reconnects: this.reconnects,
      rejectedFrames: this.rejectedFrames,
    };
    if (this.lastError !== undefined) h.lastError = this.lastError;
    return h;
  }

  private async tryOpen(): Promise<void> {
    if (!this.running || this.link || this.opening) return;
    this.opening = true;
    let link: SerialLink;
    try {
      link = await this.options.opener(this.options.port);
    } catch (err) {
      this.opening = false;
      this.lastError = err instanceof Error ? err.message : String(err);
      this.announce('down', `open failed: ${this.lastError}`);
      this.scheduleRetry();
      return;
    }
    this.opening = false;
    if (!this.running) {
      await link.close();
      return;
    }
    this.link = link;
    this.failedAttempts = 0;
    if (this.everOpened) this.reconnects++;
    this.everOpened = true;
    this.openedAt = this.now();
    link.on('data', (bytes) => {
      if (this.options.liveness.kind === 'port-open') this.lastSeenAt = this.now();
      this.emit('data', bytes);
    });
    link.once('lost', (reason) => this.onLost(link, reason));
    this.emit('opened');
    if (this.options.liveness.kind === 'port-open') this.announce('up');
    else this.armSilenceCheck(this.options.liveness.offlineAfterMs);
  }

  private onLost(link: SerialLink, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    link.removeAllListeners();
    void link.close();
    clearTimeout(this.silenceTimer);
    this.lastError = reason;
    this.emit('closed', reason);
    this.announce('down', reason);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    const delay = reconnectDelayMs(this.failedAttempts++, this.options.reconnect, this.random);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.tryOpen(), delay);
  }

  // One timer per silence window rather than one per reply: a 50 ms poll would otherwise churn timers.
  private armSilenceCheck(afterMs: number): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.checkSilence(), afterMs);
  }

  private checkSilence(): void {
    if (!this.link || this.options.liveness.kind !== 'replies') return;
    const limit = this.options.liveness.offlineAfterMs;
    const silentFor = this.now() - Math.max(this.lastSeenAt, this.openedAt);
    if (silentFor >= limit) {
      this.lastError = `no reply for ${silentFor} ms`;
      this.announce('down', this.lastError);
      this.armSilenceCheck(limit);
    } else {
      this.armSilenceCheck(limit - silentFor);
    }
  }

  private announce(state: LinkState, reason?: string): void {
    if (this.announced === state) return;
    this.announced = state;
    if (reason === undefined) this.emit('link', state);
    else this.emit('link', state, reason);
  }
}
