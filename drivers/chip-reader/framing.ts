// Bytes ↔ frames for the chip-reader link (PROTOCOL.md §1–2). Pure: no I/O, time is passed in.
import { crc32 } from 'node:zlib';

export const SOF = 0xa5;
export const PROTOCOL_VERSION = 0x01;
export const HEADER_BYTES = 8;
export const CRC_BYTES = 4;
export const FRAME_OVERHEAD = HEADER_BYTES + CRC_BYTES;
export const MAX_PAYLOAD_BYTES = 64 * 1024;
// At 115200 baud a byte takes under 0.1 ms; half a second without one inside a frame means the sender stopped.
export const DEFAULT_INTER_BYTE_TIMEOUT_MS = 500;

export interface Frame {
  type: number;
  seq: number;
  payload: Buffer;
}

export type FramingError = 'frame.corrupt' | 'frame.truncated' | 'frame.too-long';

export type DeframerOutput = { kind: 'frame'; frame: Frame } | { kind: 'error'; reason: FramingError; detail: string };

export interface DeframerOptions {
  maxPayloadBytes?: number;
  interByteTimeoutMs?: number;
}

/** Builds one frame. Our own output: a programmer error (bad type, oversize payload) throws. */
export function encodeFrame(frame: Frame, maxPayloadBytes = MAX_PAYLOAD_BYTES): Buffer {
  if (!Number.isInteger(frame.type) || frame.type < 0 || frame.type > 0xff)
    throw new RangeError(`frame type ${frame.type} is not a byte`);
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 0xff)
    throw new RangeError(`frame seq ${frame.seq} is not a byte`);
  if (frame.payload.length > maxPayloadBytes)
    throw new RangeError(`payload of ${frame.payload.length} bytes exceeds ${maxPayloadBytes}`);
  const out = Buffer.alloc(FRAME_OVERHEAD + frame.payload.length);
  out[0] = SOF;
  out[1] = PROTOCOL_VERSION;
  out[2] = frame.type;
  out[3] = frame.seq;
  out.writeUInt32BE(frame.payload.length, 4);
  frame.payload.copy(out, HEADER_BYTES);
  out.writeUInt32BE(crc32(out.subarray(0, HEADER_BYTES + frame.payload.length)), HEADER_BYTES + frame.payload.length);
  return out;
}

const EMPTY = Buffer.alloc(0);

/**
 * The receiving state machine: hunt for SOF, check the header, wait for the body, check the CRC.
 * After an error it stays quiet until the next good frame, so one burst of noise is one report.
 */
export class Deframer {
  private readonly maxPayloadBytes: number;
  private readonly interByteTimeoutMs: number;
  private buffer: Buffer = EMPTY;
  private lastByteAt = 0;
  private resyncing = false;
  private discarded = 0;

  constructor(options: DeframerOptions = {}) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    this.interByteTimeoutMs = options.interByteTimeoutMs ?? DEFAULT_INTER_BYTE_TIMEOUT_MS;
    if (!Number.isInteger(this.maxPayloadBytes) || this.maxPayloadBytes < 0)
      throw new TypeError('maxPayloadBytes must be a non-negative integer');
    if (!(this.interByteTimeoutMs > 0)) throw new TypeError('interByteTimeoutMs must be positive');
  }

  /** Bytes waiting for the rest of their frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /** Bytes thrown away while hunting for a frame start (line noise, garbage). */
  get discardedBytes(): number {
    return this.discarded;
  }

  push(chunk: Buffer, now: number): DeframerOutput[] {
    const out = this.expire(now);
    if (chunk.length === 0) return out;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.lastByteAt = now;
    this.scan(out, false);
    return out;
  }

  /** Declares a started frame truncated when its bytes stopped coming; call it from a timer too. */
  expire(now: number): DeframerOutput[] {
    const out: DeframerOutput[] = [];
    if (this.buffer.length === 0 || now - this.lastByteAt < this.interByteTimeoutMs) return out;
    this.report(
      out,
      'frame.truncated',
      `${this.buffer.length} bytes of a frame, then ${now - this.lastByteAt} ms of silence`,
    );
    // A corrupted LENGTH may have swallowed good frames: look for them in the stale bytes, then drop the rest.
    this.drop(1);
    this.scan(out, true);
    this.discarded += this.buffer.length;
    this.buffer = EMPTY;
    return out;
  }

  private scan(out: DeframerOutput[], stale: boolean): void {
    for (;;) {
      const start = this.buffer.indexOf(SOF);
      if (start < 0) {
        this.drop(this.buffer.length);
        return;
      }
      this.drop(start);
      const buf = this.buffer;
      if (buf.length >= 2 && buf[1] !== PROTOCOL_VERSION) {
        this.drop(1);
        continue;
      }
      if (buf.length < HEADER_BYTES) {
        if (stale) {
          this.drop(1);
          continue;
        }
        return;
      }
      const length = buf.readUInt32BE(4);
      if (length > this.maxPayloadBytes) {
        this.report(out, 'frame.too-long', `header announces ${length} payload bytes, limit ${this.maxPayloadBytes}`);
        this.drop(1);
        continue;
      }
      const total = FRAME_OVERHEAD + length;
      if (buf.length < total) {
        if (stale) {
          this.drop(1);
          continue;
        }
        return;
      }
      const expected = crc32(buf.subarray(0, HEADER_BYTES + length));
      if (buf.readUInt32BE(HEADER_BYTES + length) !== expected) {
        this.report(out, 'frame.corrupt', `CRC mismatch on a ${length}-byte frame of type 0x${buf[2].toString(16)}`);
        this.drop(1);
        continue;
      }
      // Copy: the caller may keep the payload while this buffer is reused by later concatenations.
      out.push({
        kind: 'frame',
        frame: { type: buf[2], seq: buf[3], payload: Buffer.from(buf.subarray(HEADER_BYTES, HEADER_BYTES + length)) },
      });
      this.resyncing = false;
      this.buffer = buf.subarray(total);
    }
  }

  private report(out: DeframerOutput[], reason: FramingError, detail: string): void {
    if (this.resyncing) return;
    this.resyncing = true;
    out.push({ kind: 'error', reason, detail });
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.discarded += n;
    this.buffer = n >= this.buffer.length ? EMPTY : this.buffer.subarray(n);
  }
}
