// Frames ↔ typed messages for the chip-reader link (PROTOCOL.md §3). Pure.
import { fail, ok, type Result } from '../../contracts/result.js';
import type { Frame } from './framing.js';

export const MESSAGE_TYPE = {
  heartbeat: 0x01,
  'card-present': 0x10,
  'card-data': 0x11,
  'read-error': 0x12,
  'card-removed': 0x13,
  ack: 0x80,
  nak: 0x81,
  feedback: 0x82,
} as const;

export type ReaderErrorCode = 'read-failed' | 'access-denied' | 'card-removed';
export type NakReason = 'corrupt' | 'truncated' | 'too-long' | 'out-of-order';
export type FeedbackSignal = 'ok' | 'deny';

const READER_ERROR_CODES: readonly ReaderErrorCode[] = ['read-failed', 'access-denied', 'card-removed'];
const NAK_REASONS: readonly NakReason[] = ['corrupt', 'truncated', 'too-long', 'out-of-order'];
const FEEDBACK_SIGNALS: readonly FeedbackSignal[] = ['ok', 'deny'];

/** CARD_DATA carries readId u16, flags u8, offset u32 before its data. */
export const CHUNK_HEADER_BYTES = 7;
export const MAX_ERROR_TEXT_BYTES = 200;
const FINAL_FLAG = 0x01;

export type ReaderMessage =
  | { type: 'heartbeat'; intervalMs: number }
  | { type: 'card-present'; readId: number }
  | { type: 'card-data'; readId: number; offset: number; final: boolean; data: Buffer }
  | { type: 'read-error'; readId: number; code: ReaderErrorCode; text: string }
  | { type: 'card-removed'; readId: number };

export type GatewayMessage =
  | { type: 'ack'; seq: number }
  | { type: 'nak'; seq: number; reason: NakReason }
  | { type: 'feedback'; signal: FeedbackSignal };

export type Message = ReaderMessage | GatewayMessage;

export type CodecError = 'codec.unknown-type' | 'codec.bad-payload';

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** The payload and type byte of a message; the framing layer adds SOF, seq, length and CRC. */
export function encodeMessage(message: Message): { type: number; payload: Buffer } {
  const type = MESSAGE_TYPE[message.type];
  switch (message.type) {
    case 'heartbeat':
      return { type, payload: u32(message.intervalMs) };
    case 'card-present':
    case 'card-removed':
      return { type, payload: u16(message.readId) };
    case 'card-data':
      return {
        type,
        payload: Buffer.concat([
          u16(message.readId),
          u8(message.final ? FINAL_FLAG : 0),
          u32(message.offset),
          message.data,
        ]),
      };
    case 'read-error': {
      const text = truncateUtf8(message.text, MAX_ERROR_TEXT_BYTES);
      return {
        type,
        payload: Buffer.concat([u16(message.readId), u8(READER_ERROR_CODES.indexOf(message.code) + 1), text]),
      };
    }
    case 'ack':
      return { type, payload: u8(message.seq) };
    case 'nak':
      return { type, payload: Buffer.from([message.seq, NAK_REASONS.indexOf(message.reason) + 1]) };
    case 'feedback':
      return { type, payload: u8(FEEDBACK_SIGNALS.indexOf(message.signal) + 1) };
  }
}

/** Reads a frame's payload as a message; outside bytes, so every field is checked and nothing throws. */
export function decodeMessage(frame: Frame): Result<Message, CodecError> {
  const p = frame.payload;
  const exact = (n: number) => p.length === n;
  const bad = (what: string) =>
    fail('codec.bad-payload' as const, `${what} (type 0x${frame.type.toString(16)}, ${p.length} bytes)`);
  switch (frame.type) {
    case MESSAGE_TYPE.heartbeat:
      return exact(4) ? ok({ type: 'heartbeat', intervalMs: p.readUInt32BE(0) }) : bad('heartbeat needs 4 bytes');
    case MESSAGE_TYPE['card-present']:
      return exact(2) ? ok({ type: 'card-present', readId: p.readUInt16BE(0) }) : bad('card-present needs 2 bytes');
    case MESSAGE_TYPE['card-removed']:
      return exact(2) ? ok({ type: 'card-removed', readId: p.readUInt16BE(0) }) : bad('card-removed needs 2 bytes');
    case MESSAGE_TYPE['card-data']: {
      if (p.length < CHUNK_HEADER_BYTES) return bad('card-data shorter than its chunk header');
      const flags = p[2];
      if ((flags & ~FINAL_FLAG) !== 0) return bad(`card-data has unknown flags 0x${flags.toString(16)}`);
      return ok({
        type: 'card-data',
        readId: p.readUInt16BE(0),
        final: (flags & FINAL_FLAG) !== 0,
        offset: p.readUInt32BE(3),
        data: p.subarray(CHUNK_HEADER_BYTES),
      });
    }
    case MESSAGE_TYPE['read-error']: {
      if (p.length < 3 || p.length > 3 + MAX_ERROR_TEXT_BYTES) return bad('read-error needs 3 to 203 bytes');
      const code = READER_ERROR_CODES[p[2] - 1];
      if (code === undefined) return bad(`read-error code ${p[2]} is unknown`);
      // Invalid UTF-8 becomes U+FFFD: the text is only ever logged.
      return ok({ type: 'read-error', readId: p.readUInt16BE(0), code, text: p.subarray(3).toString('utf8') });
    }
    case MESSAGE_TYPE.ack:
      return exact(1) ? ok({ type: 'ack', seq: p[0] }) : bad('ack needs 1 byte');
    case MESSAGE_TYPE.nak: {
      if (!exact(2)) return bad('nak needs 2 bytes');
      const reason = NAK_REASONS[p[1] - 1];
      return reason === undefined ? bad(`nak reason ${p[1]} is unknown`) : ok({ type: 'nak', seq: p[0], reason });
    }
    case MESSAGE_TYPE.feedback: {
      if (!exact(1)) return bad('feedback needs 1 byte');
      const signal = FEEDBACK_SIGNALS[p[0] - 1];
      return signal === undefined ? bad(`feedback signal ${p[0]} is unknown`) : ok({ type: 'feedback', signal });
    }
    default:
      return fail('codec.unknown-type', `message type 0x${frame.type.toString(16)}`);
  }
}

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): Buffer {
  const full = Buffer.from(text, 'utf8');
  if (full.length <= maxBytes) return full;
  let end = maxBytes;
  while (end > 0 && (full[end] & 0xc0) === 0x80) end--;
  return full.subarray(0, end);
}
