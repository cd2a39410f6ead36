// The serial QR scanner: connection (reconnects) → line framer → strict UTF-8 codec → 'scan' events.
import { EventEmitter } from 'node:events';
import type { DeviceHealth, DeviceTimings } from '../device.js';
import type { SerialPortConfig } from '../serial/config.js';
import { SerialConnection } from '../serial/connection.js';
import { openSerialPort, type PortOpener } from '../serial/link.js';
import { decodeScan } from './codec.js';
import { LineFramer } from './framing.js';
import type { QrRejectReason, QrScanner, QrScannerEvents } from './index.js';

/** The shared timings plus the scanner's own bounds on a scan (config `devices.qr*`). */
export interface QrScannerTimings extends DeviceTimings {
  qrMaxLength: number;
  qrInterByteTimeoutMs: number;
}

export interface SerialQrScannerOptions {
  port: SerialPortConfig;
  devices: QrScannerTimings;
  /** Defaults to real serial ports; tests and the simulator pass the mock binding's opener. */
  opener?: PortOpener;
  now?: () => number;
}

export class SerialQrScanner extends EventEmitter<QrScannerEvents> implements QrScanner {
  private readonly connection: SerialConnection;
  private readonly framer: LineFramer;
  private readonly now: () => number;
  private staleLineTimer: NodeJS.Timeout | undefined;

  constructor(options: SerialQrScannerOptions) {
    super();
    this.now = options.now ?? Date.now;
    const { devices } = options;
    this.connection = new SerialConnection({
      kind: 'qr-scanner',
      port: options.port,
      opener: options.opener ?? openSerialPort,
      reconnect: { initialMs: devices.reconnectInitialMs, maxMs: devices.reconnectMaxMs },
      // A scanner is silent while nobody scans: only a port error or close takes it down.
      liveness: { kind: 'port-open' },
      now: this.now,
    });
    this.framer = new LineFramer(
      { maxLength: devices.qrMaxLength, interByteTimeoutMs: devices.qrInterByteTimeoutMs },
      {
        frame: (bytes) => this.onFrame(bytes),
        reject: (reason, byteCount) => this.onReject(reason, byteCount),
      },
    );
    this.connection.on('data', (bytes) => this.onBytes(bytes));
    this.connection.on('opened', () => this.framer.reset());
    this.connection.on('link', (state, reason) => {
      if (reason === undefined) this.emit('link', state);
      else this.emit('link', state, reason);
    });
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  async stop(): Promise<void> {
    clearTimeout(this.staleLineTimer);
    this.staleLineTimer = undefined;
    await this.connection.stop();
    this.framer.reset();
  }

  health(): DeviceHealth {
    return this.connection.health();
  }

  private onBytes(bytes: Buffer): void {
    this.framer.push(bytes, this.now());
    if (this.framer.hasPartial) this.armStaleLineTimer();
  }

  private onFrame(bytes: Uint8Array): void {
    const decoded = decodeScan(bytes);
    if (decoded.ok) this.emit('scan', decoded.value, this.now());
    else this.onReject(decoded.reason, bytes.length);
  }

  private onReject(reason: QrRejectReason, byteCount: number): void {
    this.connection.countRejected(reason);
    this.emit('rejected', reason, byteCount);
  }

  // A stalled half line is only noticed when a timer fires; the framer alone would wait for the next byte.
  private armStaleLineTimer(): void {
    if (this.staleLineTimer) return;
    const wait = Math.max(1, this.framer.partialExpiresAt - this.now() + 1);
    this.staleLineTimer = setTimeout(() => {
      this.staleLineTimer = undefined;
      this.framer.expire(this.now());
      if (this.framer.hasPartial) this.armStaleLineTimer();
    }, wait);
  }
}
