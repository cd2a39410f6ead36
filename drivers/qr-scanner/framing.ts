// Serial QR scanners send each scan as one line: the payload, then CR, LF or CRLF (a scanner setting).
// This framer cuts lines out of the byte stream, bounds them, and drops a line that stalls half-way
// (a scanner unplugged mid-scan must not glue its half line onto the next scan).
import type { QrRejectReason } from './index.js';

export type FramingRejectReason = Extract<QrRejectReason, 'frame.too-long' | 'frame.timeout'>;

export interface LineFramerOptions {
  /** Longest line in bytes; a longer one is rejected and the framer resyncs at the next terminator. */
  maxLength: number;
  /** A partial line older than this (ms since its last byte) is dropped. */
  interByteTimeoutMs: number;
}

export interface LineFramerSink {
  /** A complete, non-empty line without its terminator. The view is only valid during the call. */
  frame(bytes: Uint8Array): void;
  reject(reason: FramingRejectReason, byteCount: number): void;
}

const CR = 0x0d;
const LF = 0x0a;

export class LineFramer {
  // One buffer for the framer's life: the hot path copies bytes in and hands out a view, no allocation.
  private readonly line: Uint8Array;
  private length = 0;
  private discardingOverlong = false;
  private lastByteAt = 0;

  constructor(
    private readonly options: LineFramerOptions,
    private readonly sink: LineFramerSink,
  ) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
      throw new TypeError(`maxLength must be a positive integer, got ${options.maxLength}`);
    }
    if (!(options.interByteTimeoutMs > 0)) {
      throw new TypeError(`interByteTimeoutMs must be positive, got ${options.interByteTimeoutMs}`);
    }
    this.line = new Uint8Array(options.maxLength);
  }

  /** True while a line has started but not ended. */
  get hasPartial(): boolean {
    return this.length > 0 || this.discardingOverlong;
  }

  /** When the pending partial line goes stale (ms, same clock as push); meaningless without a partial. */
  get partialExpiresAt(): number {
    return this.lastByteAt + this.options.interByteTimeoutMs;
  }

  push(chunk: Uint8Array, now: number): void {
    if (chunk.length === 0) return;
    this.expire(now);
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== CR && byte !== LF) continue;
      this.append(chunk, start, i);
      this.endLine();
      start = i + 1;
    }
    this.append(chunk, start, chunk.length);
    this.lastByteAt = now;
  }

  /** Drops a partial line whose last byte is older than the inter-byte timeout. */
  expire(now: number): void {
    if (!this.hasPartial || now - this.lastByteAt <= this.options.interByteTimeoutMs) return;
    if (!this.discardingOverlong) this.sink.reject('frame.timeout', this.length);
    this.length = 0;
    this.discardingOverlong = false;
  }

  /** Forget any partial line without reporting it (the port was reopened). */
  reset(): void {
    this.length = 0;
    this.discardingOverlong = false;
  }

  private append(chunk: Uint8Array, from: number, to: number): void {
    if (from >= to || this.discardingOverlong) return;
    const room = this.line.length - this.length;
    const count = to - from;
    if (count > room) {
      // Reported at once rather than at the terminator: a stream that never ends its line still shows up.
      this.sink.reject('frame.too-long', this.length + count);
      this.length = 0;
      this.discardingOverlong = true;
      return;
    }
    this.line.set(chunk.subarray(from, to), this.length);
    this.length += count;
  }

  private endLine(): void {
    if (this.discardingOverlong) {
      this.discardingOverlong = false;
      return;
    }
    // An empty line is the LF of a CRLF pair (or a stray terminator): nothing was scanned.
    if (this.length === 0) return;
    const length = this.length;
    this.length = 0;
    this.sink.frame(this.line.subarray(0, length));
  }
}
