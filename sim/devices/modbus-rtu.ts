// The slave side of Modbus RTU for the simulator: cut requests out of the byte stream, check their CRC,
// build replies. The CRC itself is shared with the driver; test/drivers/turnstile pins it to the
// published Modbus example so the two ends cannot agree on a wrong one.
import { hasValidCrc, withCrc } from '../../drivers/turnstile/rtu.js';

export interface RtuSlaveRequest {
  address: number;
  functionCode: number;
  /** First address (FC01-06). */
  start: number;
  /** Quantity (FC01-04) or the value written (FC05/06). */
  value: number;
}

export interface RtuRequestReaderOptions {
  onRequest(request: RtuSlaveRequest): void;
  onBadFrame?(byteCount: number): void;
  /** A gap this long between bytes starts a new frame (RTU's 3.5-character silence, generous for ptys). */
  frameGapMs?: number;
  now?: () => number;
}

// Every request this board understands (FC01-06) is 8 bytes; longer ones (FC15/16) are not served.
const REQUEST_LENGTH = 8;

export class RtuRequestReader {
  private readonly buffer = Buffer.alloc(REQUEST_LENGTH);
  private length = 0;
  private lastByteAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: RtuRequestReaderOptions) {
    this.now = options.now ?? Date.now;
  }

  push(bytes: Uint8Array): void {
    const now = this.now();
    if (this.length > 0 && now - this.lastByteAt > (this.options.frameGapMs ?? 20)) this.length = 0;
    this.lastByteAt = now;
    for (const byte of bytes) {
      this.buffer[this.length++] = byte;
      if (this.length < REQUEST_LENGTH) continue;
      this.length = 0;
      if (!hasValidCrc(this.buffer)) {
        this.options.onBadFrame?.(REQUEST_LENGTH);
        continue;
      }
      this.options.onRequest({
        address: this.buffer[0],
        functionCode: this.buffer[1],
        start: this.buffer.readUInt16BE(2),
        value: this.buffer.readUInt16BE(4),
      });
    }
  }
}

export function bitsReply(address: number, functionCode: number, bits: readonly boolean[]): Buffer {
  const packed = new Array<number>(Math.ceil(bits.length / 8)).fill(0);
  bits.forEach((bit, i) => {
    if (bit) packed[i >>> 3] |= 1 << (i & 7);
  });
  return withCrc([address, functionCode, packed.length, ...packed]);
}

export function registersReply(address: number, values: readonly number[]): Buffer {
  const body = [address, 0x03, values.length * 2];
  for (const v of values) body.push((v >>> 8) & 0xff, v & 0xff);
  return withCrc(body);
}

export function echoReply(request: RtuSlaveRequest): Buffer {
  const { address, functionCode, start, value } = request;
  return withCrc([address, functionCode, start >>> 8, start & 0xff, value >>> 8, value & 0xff]);
}

export function exceptionReply(request: RtuSlaveRequest, code: number): Buffer {
  return withCrc([request.address, request.functionCode | 0x80, code]);
}

/** A copy of `frame` whose CRC no longer matches (fault injection). */
export function withBrokenCrc(frame: Uint8Array): Buffer {
  const copy = Buffer.from(frame);
  copy[copy.length - 1] ^= 0xff;
  return copy;
}
