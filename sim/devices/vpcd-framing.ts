// The wire format between pcscd's vpcd driver and a virtual card (vsmartcard, src/vpcd/vpcd.c): every
// message is a 2-byte big-endian length and that many bytes. From the reader, a 1-byte message is a
// control (power off / on / reset / get ATR) and anything longer is a command APDU; the card answers the
// ATR request and every APDU with one message of the same shape, and answers nothing else.
// Pure: bytes in, frames out. The socket lives in vpcd-card.ts.
import { fail, ok, type Result } from '../../gateway/reasons.js';

export const LENGTH_BYTES = 2;
/** The length field is 16 bits, so no message can be longer. */
export const MAX_MESSAGE_BYTES = 0xffff;

export const VPCD_CONTROL = { powerOff: 0, powerOn: 1, reset: 2, getAtr: 4 } as const;
export type VpcdControl = keyof typeof VPCD_CONTROL;

export type VpcdRequest = { kind: 'control'; control: VpcdControl } | { kind: 'apdu'; apdu: Uint8Array };

export type VpcdFramingError = 'vpcd.empty-message' | 'vpcd.unknown-control';

const CONTROL_BY_BYTE = new Map<number, VpcdControl>(
  Object.entries(VPCD_CONTROL).map(([name, byte]) => [byte, name as VpcdControl]),
);

/** Reads one message body from the reader. */
export function decodeRequest(body: Uint8Array): Result<VpcdRequest, VpcdFramingError> {
  if (body.length === 0) return fail('vpcd.empty-message', 'vpcd sent a message of length 0');
  if (body.length === 1) {
    const control = CONTROL_BY_BYTE.get(body[0]!);
    if (control === undefined) return fail('vpcd.unknown-control', `control byte 0x${body[0]!.toString(16)}`);
    return ok({ kind: 'control', control });
  }
  return ok({ kind: 'apdu', apdu: body });
}

/** Frames one message (an ATR or a response APDU); refuses what the 16-bit length cannot carry. */
export function encodeMessage(body: Uint8Array): Result<Buffer, 'vpcd.message-too-long'> {
  if (body.length > MAX_MESSAGE_BYTES) {
    return fail('vpcd.message-too-long', `${body.length} bytes > ${MAX_MESSAGE_BYTES}`);
  }
  const out = Buffer.allocUnsafe(LENGTH_BYTES + body.length);
  out.writeUInt16BE(body.length, 0);
  out.set(body, LENGTH_BYTES);
  return ok(out);
}

/** Splits a TCP byte stream into message bodies; keeps a partial message until the rest arrives. */
export class VpcdDeframer {
  private pending: Buffer = Buffer.alloc(0);

  get pendingBytes(): number {
    return this.pending.length;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    const bodies: Uint8Array[] = [];
    let at = 0;
    while (this.pending.length - at >= LENGTH_BYTES) {
      const length = this.pending.readUInt16BE(at);
      if (this.pending.length - at - LENGTH_BYTES < length) break;
      // Copied, so a body handed out stays valid after the buffer behind it is dropped.
      bodies.push(Uint8Array.from(this.pending.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length)));
      at += LENGTH_BYTES + length;
    }
    this.pending = this.pending.subarray(at);
    return bodies;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}
