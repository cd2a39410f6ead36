import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { decodeMessage, encodeMessage, MESSAGE_TYPE, type Message } from '../../../drivers/chip-reader/codec.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
// Texts that survive UTF-8 both ways and fit the 200-byte limit.
const shortText = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 200);

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('heartbeat' as const), intervalMs: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ type: fc.constant('card-present' as const), readId: u16 }),
  fc.record({ type: fc.constant('card-removed' as const), readId: u16 }),
  fc.record({
    type: fc.constant('card-data' as const),
    readId: u16,
    offset: fc.integer({ min: 0, max: 0xffffffff }),
    final: fc.boolean(),
    data: bytes(500),
  }),
  fc.record({
    type: fc.constant('read-error' as const),
    readId: u16,
    code: fc.constantFrom('read-failed' as const, 'access-denied' as const, 'card-removed' as const),
    text: shortText,
  }),
  fc.record({ type: fc.constant('ack' as const), seq: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    type: fc.constant('nak' as const),
    seq: fc.integer({ min: 0, max: 255 }),
    reason: fc.constantFrom('corrupt' as const, 'truncated' as const, 'too-long' as const, 'out-of-order' as const),
  }),
  fc.record({ type: fc.constant('feedback' as const), signal: fc.constantFrom('ok' as const, 'deny' as const) }),
);

t.test('property: every valid message survives encode then decode', async () => {
  fc.assert(
    fc.property(messageArb, fc.integer({ min: 0, max: 255 }), (message, seq) => {
      const { type, payload } = encodeMessage(message);
      const decoded = decodeMessage({ type, seq, payload });
      return decoded.ok && isDeepStrictEqual(decoded.value, { ...message });
    }),
  );
});

t.test('property: any type byte and payload decode to a message or a codec error, never a throw', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), bytes(300), (type, payload) => {
      const decoded = decodeMessage({ type, seq: 0, payload });
      return decoded.ok || decoded.reason === 'codec.unknown-type' || decoded.reason === 'codec.bad-payload';
    }),
  );
});

t.test('property: a valid message with mutated payload bytes still decodes to a result', async () => {
  fc.assert(
    fc.property(
      messageArb,
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }),
      fc.nat(8),
      (m, edits, cut) => {
        const { type, payload } = encodeMessage(m);
        const mutated = Buffer.from(payload.subarray(0, Math.max(0, payload.length - cut)));
        for (const e of edits) if (mutated.length > 0) mutated[e.at % mutated.length] = e.value;
        const decoded = decodeMessage({ type, seq: 0, payload: mutated });
        return typeof decoded.ok === 'boolean';
      },
    ),
  );
});

t.test('an unknown message type is a codec.unknown-type error', async (t) => {
  const r = decodeMessage({ type: 0x42, seq: 0, payload: Buffer.alloc(0) });
  t.same(r.ok ? null : r.reason, 'codec.unknown-type');
});

t.test('a read error with an unknown code is refused as codec.bad-payload', async (t) => {
  const r = decodeMessage({ type: MESSAGE_TYPE['read-error'], seq: 0, payload: Buffer.from([0, 1, 9]) });
  t.same(r.ok ? null : r.reason, 'codec.bad-payload');
});

t.test('a card-data chunk with unknown flag bits is refused', async (t) => {
  const r = decodeMessage({ type: MESSAGE_TYPE['card-data'], seq: 0, payload: Buffer.from([0, 1, 0x80, 0, 0, 0, 0]) });
  t.same(r.ok ? null : r.reason, 'codec.bad-payload');
});

t.test('a read-error text longer than 200 bytes is cut on a character boundary', async (t) => {
  const { type, payload } = encodeMessage({
    type: 'read-error',
    readId: 1,
    code: 'read-failed',
    text: 'ữ'.repeat(100),
  });
  const r = decodeMessage({ type, seq: 0, payload });
  t.ok(r.ok);
  if (r.ok && r.value.type === 'read-error') {
    t.ok(Buffer.byteLength(r.value.text) <= 200);
    t.notOk(r.value.text.includes('\ufffd'));
  }
});
