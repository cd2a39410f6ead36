import fc from 'fast-check';
import t from 'tap';
import {
  crc16,
  expectedReplyLength,
  hasValidCrc,
  parseReply,
  readBitsRequest,
  withCrc,
  writeCoilRequest,
  writeRegisterRequest,
} from '../../../drivers/turnstile/rtu.js';

t.test('crc16 matches the CRC-16/MODBUS check value (0x4B37 for "123456789")', async (t) => {
  t.equal(crc16(Buffer.from('123456789', 'ascii')), 0x4b37);
});

t.test('requests carry their CRC low byte first', async (t) => {
  // Modbus over Serial Line example: read 10 holding registers at 0 from slave 1 → ... C5 CD
  t.same([...withCrc([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a])], [0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xc5, 0xcd]);
});

t.test('an FC02 request for 4 inputs from 0 expects a 6-byte reply', async (t) => {
  const req = readBitsRequest(1, 0x02, 0, 4);
  t.same([...req.bytes.subarray(0, 6)], [1, 2, 0, 0, 0, 4]);
  t.equal(req.replyLength, 6);
});

t.test('a read-bits reply decodes bits LSB first', async (t) => {
  const req = readBitsRequest(1, 0x02, 0, 4);
  const r = parseReply(req, withCrc([1, 2, 1, 0b0101]));
  t.same(r, { ok: true, value: { kind: 'bits', bits: [true, false, true, false] } });
});

t.test('a write reply that echoes the request is accepted', async (t) => {
  const req = writeRegisterRequest(1, 0x0200, 30);
  t.same(parseReply(req, req.bytes), { ok: true, value: { kind: 'written' } });
  const coil = writeCoilRequest(1, 3, true);
  t.same(parseReply(coil, coil.bytes), { ok: true, value: { kind: 'written' } });
});

t.test('a reply with a broken CRC is rejected as rtu.bad-crc', async (t) => {
  const req = writeCoilRequest(1, 0, true);
  const bad = Buffer.from(req.bytes);
  bad[7] ^= 1;
  const r = parseReply(req, bad);
  t.equal(r.ok ? 'ok' : r.reason, 'rtu.bad-crc');
});

t.test('a reply from another slave is rejected as rtu.wrong-address', async (t) => {
  const req = readBitsRequest(1, 0x02, 0, 4);
  const r = parseReply(req, withCrc([2, 2, 1, 0]));
  t.equal(r.ok ? 'ok' : r.reason, 'rtu.wrong-address');
});

t.test('an exception reply is 5 bytes and is reported as rtu.exception with its code', async (t) => {
  const req = writeRegisterRequest(1, 0x0209, 10);
  const reply = withCrc([1, 0x86, 2]);
  t.equal(expectedReplyLength(req, reply, 2), 5);
  const r = parseReply(req, reply);
  t.equal(r.ok ? 'ok' : r.reason, 'rtu.exception');
  if (!r.ok) t.match(r.detail, /illegal data address/);
});

t.test('a write reply that differs from the request is rejected as rtu.echo-mismatch', async (t) => {
  const req = writeRegisterRequest(1, 0x0200, 30);
  const r = parseReply(req, withCrc([1, 6, 0x02, 0x00, 0x00, 0x1f]));
  t.equal(r.ok ? 'ok' : r.reason, 'rtu.echo-mismatch');
});

t.test('out-of-range request fields throw a RangeError (programming error, not outside input)', async (t) => {
  t.throws(() => readBitsRequest(1, 0x02, 0, 0), RangeError);
  t.throws(() => writeRegisterRequest(1, 0x10000, 1), RangeError);
});

const requests = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 64 }))
    .map(([s, n]) => readBitsRequest(1, 0x02, s, n)),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.boolean()).map(([c, on]) => writeCoilRequest(1, c, on)),
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 0xffff }))
    .map(([r, v]) => writeRegisterRequest(1, 0x200 + r, v)),
);

t.test('property: random reply bytes never throw and are rejected unless they carry a valid CRC', async () => {
  fc.assert(
    fc.property(requests, fc.uint8Array({ maxLength: 260 }), (req, bytes) => {
      const r = parseReply(req, bytes);
      return r.ok ? hasValidCrc(bytes) : typeof r.reason === 'string';
    }),
  );
});

t.test('property: a valid reply with any one byte changed is rejected', async () => {
  fc.assert(
    fc.property(requests, fc.nat(), fc.integer({ min: 1, max: 255 }), (req, at, flip) => {
      const valid =
        req.functionCode === 0x02
          ? withCrc([1, 2, Math.ceil(req.bitCount / 8), ...new Array(Math.ceil(req.bitCount / 8)).fill(0)])
          : req.bytes;
      const mutated = Buffer.from(valid);
      mutated[at % mutated.length] ^= flip;
      return parseReply(req, mutated).ok === false; // CRC-16 detects every single-byte error
    }),
  );
});
