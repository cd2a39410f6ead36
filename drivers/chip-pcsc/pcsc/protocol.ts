// The messages between the PC/SC transport (parent) and its child process (which holds the native
// binding). Frames are a 4-byte big-endian length and that many bytes of UTF-8 JSON. Everything the child
// says is untrusted: a native crash can leave half a frame, a stray print can corrupt one, so every frame is
// bounded, parsed and checked against the schema below before the parent acts on it.
import { z } from 'zod';
import type { Result } from '../../../contracts/result.js';

export const FRAME_LENGTH_BYTES = 4;
/**
 * Largest frame either side accepts: an extended-length response (65536 data bytes + SW1 SW2) as base64
 * plus the envelope stays far below it.
 */
export const MAX_FRAME_BYTES = 256 * 1024;
/** ISO 7816-3: an ATR is at most 33 bytes. */
export const MAX_ATR_BYTES = 33;
/** Extended-length Le: 65536 data bytes, then SW1 SW2. */
export const MAX_RESPONSE_BYTES = 65_538;
/** Extended-length command: header, 3-byte Lc, 65535 data bytes, 3-byte Le (ISO 7816-4 §5.1). */
export const MAX_COMMAND_BYTES = 4 + 3 + 65_535 + 3;

/** The shared Result under the name this protocol's decoders use. */
export type Decoded<T, R extends string> = Result<T, R>;

const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')
    .refine((s) => s.length % 4 === 0, 'base64 length is not a multiple of 4');
const readerName = z.string().min(1).max(200);
const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(500);

/** What the child may say. Byte fields are base64. */
export const childMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('ready') }),
  /** The native binding could not be loaded: no restart will help until the machine is fixed. */
  z.strictObject({ t: z.literal('unavailable'), message: text }),
  z.strictObject({ t: z.literal('reader-attached'), reader: readerName }),
  z.strictObject({ t: z.literal('reader-detached'), reader: readerName }),
  z.strictObject({ t: z.literal('card-inserted'), reader: readerName, card: seq, atr: base64(MAX_ATR_BYTES) }),
  z.strictObject({ t: z.literal('card-removed'), reader: readerName, card: seq }),
  z.strictObject({ t: z.literal('reply'), id: seq, data: base64(MAX_RESPONSE_BYTES) }),
  /** A transmit failed; `message` is the binding's text for the PC/SC status (it gives no numeric code). */
  z.strictObject({ t: z.literal('failed'), id: seq, message: text }),
  /** pcscd trouble outside any transmit (service gone, monitor error). */
  z.strictObject({ t: z.literal('error'), message: text }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

/** What the parent says. The child runs our own code, but checks these too (see child-source.ts). */
export type ParentMessage = {
  t: 'transmit';
  id: number;
  reader: string;
  card: number;
  apdu: string;
  maxRecvLength: number;
};

export type FrameRefusal = 'ipc.too-long' | 'ipc.not-json' | 'ipc.bad-message';

export type DeframerOutput =
  | { kind: 'message'; message: ChildMessage }
  | { kind: 'refused'; reason: FrameRefusal; detail: string };

export function encodeFrame(message: ChildMessage | ParentMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_LENGTH_BYTES);
  return frame;
}

/** Parses one frame body. Never throws. */
export function decodeChildMessage(body: Uint8Array): Decoded<ChildMessage, FrameRefusal> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    return { ok: false, reason: 'ipc.not-json', detail: (err as Error).message.slice(0, 200) };
  }
  const parsed = childMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: 'ipc.bad-message',
      detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`.slice(0, 200),
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Splits the child's byte stream into checked messages. A frame with a bad body is refused and the stream
 * goes on; a length beyond MAX_FRAME_BYTES leaves no way to find the next frame, so the deframer stops
 * (`broken`) and the owner restarts the child.
 */
export class ChildDeframer {
  private pending: Buffer = Buffer.alloc(0);
  private brokenReason: string | undefined;

  get broken(): boolean {
    return this.brokenReason !== undefined;
  }

  push(bytes: Uint8Array): DeframerOutput[] {
    if (this.brokenReason !== undefined) return [];
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    const out: DeframerOutput[] = [];
    let at = 0;
    while (this.pending.length - at >= FRAME_LENGTH_BYTES) {
      const length = this.pending.readUInt32BE(at);
      if (length > MAX_FRAME_BYTES) {
        this.brokenReason = `frame of ${length} bytes > ${MAX_FRAME_BYTES}`;
        this.pending = Buffer.alloc(0);
        out.push({ kind: 'refused', reason: 'ipc.too-long', detail: this.brokenReason });
        return out;
      }
      if (this.pending.length - at - FRAME_LENGTH_BYTES < length) break;
      const decoded = decodeChildMessage(
        this.pending.subarray(at + FRAME_LENGTH_BYTES, at + FRAME_LENGTH_BYTES + length),
      );
      at += FRAME_LENGTH_BYTES + length;
      out.push(
        decoded.ok
          ? { kind: 'message', message: decoded.value }
          : { kind: 'refused', reason: decoded.reason, detail: decoded.detail ?? '' },
      );
    }
    this.pending = this.pending.subarray(at);
    return out;
  }
}
