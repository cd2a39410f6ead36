import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import t from 'tap';
import {
  Deframer,
  type DeframerOutput,
  encodeFrame,
  FRAME_OVERHEAD,
  type Frame,
  SOF,
} from '../../../drivers/chip-reader/framing.js';

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  seq: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

const framesOf = (outs: DeframerOutput[]) => outs.flatMap((o) => (o.kind === 'frame' ? [o.frame] : []));
const errorsOf = (outs: DeframerOutput[]) => outs.flatMap((o) => (o.kind === 'error' ? [o.reason] : []));
const sameFrame = (a: Frame, b: Frame) => a.type === b.type && a.seq === b.seq && a.payload.equals(b.payload);

t.test('the CRC is CRC-32 (IEEE) with the standard check value', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

t.test('an encoded frame has SOF, version, type, seq, length, payload and a CRC over all before it', async (t) => {
  const bytes = encodeFrame({ type: 0x10, seq: 7, payload: Buffer.from([0x00, 0x2a]) });
  t.same([...bytes.subarray(0, 10)], [SOF, 0x01, 0x10, 0x07, 0, 0, 0, 2, 0x00, 0x2a]);
  t.equal(bytes.readUInt32BE(10), crc32(bytes.subarray(0, 10)));
  t.equal(bytes.length, FRAME_OVERHEAD + 2);
});

t.test('a frame split across many chunks comes out once, whole', async (t) => {
  const frame = { type: 0x11, seq: 3, payload: Buffer.alloc(1000, 0xa5) };
  const bytes = encodeFrame(frame);
  const d = new Deframer();
  const outs: DeframerOutput[] = [];
  for (let i = 0; i < bytes.length; i += 7) outs.push(...d.push(bytes.subarray(i, i + 7), 0));
  t.equal(outs.length, 1);
  t.ok(sameFrame(framesOf(outs)[0], frame));
  t.equal(d.pendingBytes, 0);
});

t.test('garbage before a frame is skipped silently', async (t) => {
  const frame = { type: 0x01, seq: 0, payload: Buffer.from([0, 0, 0x13, 0x88]) };
  const d = new Deframer();
  const outs = d.push(Buffer.concat([Buffer.from('noise on the line\x00\xff'), encodeFrame(frame)]), 0);
  t.same(errorsOf(outs), []);
  t.equal(framesOf(outs).length, 1);
  t.ok(d.discardedBytes > 0);
});

t.test('a frame with a bad CRC is reported as frame.corrupt and the next frame still arrives', async (t) => {
  const bad = encodeFrame({ type: 0x11, seq: 1, payload: Buffer.from('chunk') });
  bad[9] ^= 0x40;
  const good = { type: 0x13, seq: 2, payload: Buffer.from([0, 1]) };
  const outs = new Deframer().push(Buffer.concat([bad, encodeFrame(good)]), 0);
  t.same(errorsOf(outs), ['frame.corrupt']);
  t.ok(sameFrame(framesOf(outs)[0], good));
});

t.test('a corrupted length that swallows the next frame is recovered by rescanning after the CRC fails', async (t) => {
  const first = encodeFrame({ type: 0x01, seq: 1, payload: Buffer.from([0, 0, 0, 1]) });
  first.writeUInt32BE(20, 4); // claims 20 payload bytes: the second frame becomes "its" payload
  const second = { type: 0x10, seq: 2, payload: Buffer.from([0, 9]) };
  const outs = new Deframer().push(Buffer.concat([first, encodeFrame(second), Buffer.alloc(20)]), 0);
  t.same(errorsOf(outs), ['frame.corrupt']);
  t.ok(framesOf(outs).some((f) => sameFrame(f, second)));
});

t.test('a frame whose bytes stop coming is reported as frame.truncated after the inter-byte timeout', async (t) => {
  const bytes = encodeFrame({ type: 0x11, seq: 1, payload: Buffer.alloc(100) });
  const d = new Deframer({ interByteTimeoutMs: 50 });
  t.same(d.push(bytes.subarray(0, 60), 1000), []);
  t.same(d.expire(1049), [], 'not yet: the gap is shorter than the timeout');
  t.same(errorsOf(d.expire(1050)), ['frame.truncated']);
  t.equal(d.pendingBytes, 0);
});

t.test('bytes arriving after a long gap first close the stale frame as truncated, then parse', async (t) => {
  const stale = encodeFrame({ type: 0x11, seq: 1, payload: Buffer.alloc(100) }).subarray(0, 30);
  const fresh = { type: 0x01, seq: 2, payload: Buffer.from([0, 0, 0, 5]) };
  const d = new Deframer({ interByteTimeoutMs: 50 });
  d.push(stale, 0);
  const outs = d.push(encodeFrame(fresh), 500);
  t.same(errorsOf(outs), ['frame.truncated']);
  t.ok(sameFrame(framesOf(outs)[0], fresh));
});

t.test('a header announcing more than the payload limit is refused at once as frame.too-long', async (t) => {
  const header = Buffer.from([SOF, 0x01, 0x11, 0x00, 0x00, 0x02, 0x00, 0x00]); // 128 KiB
  const outs = new Deframer({ maxPayloadBytes: 64 * 1024 }).push(header, 0);
  t.same(errorsOf(outs), ['frame.too-long']);
});

t.test('one burst of noise gives one error, not one per SOF byte in it', async (t) => {
  const noise = Buffer.alloc(200);
  for (let i = 0; i < noise.length; i += 10) noise.set([SOF, 0x01, 0x11, 0, 0, 0, 0, 1], i);
  const outs = new Deframer().push(
    Buffer.concat([noise, encodeFrame({ type: 1, seq: 0, payload: Buffer.alloc(4) })]),
    0,
  );
  t.equal(errorsOf(outs).length, 1);
  t.equal(framesOf(outs).length, 1);
});

t.test('a deframer refuses nonsense options with a TypeError', async (t) => {
  t.throws(() => new Deframer({ interByteTimeoutMs: 0 }), TypeError);
  t.throws(() => new Deframer({ maxPayloadBytes: -1 }), TypeError);
});

t.test('property: any sequence of valid frames, cut anywhere, comes back unchanged and without errors', async () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
      (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
        const d = new Deframer();
        const outs: DeframerOutput[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length];
          outs.push(...d.push(bytes.subarray(at, at + n), 0));
          at += n;
        }
        const got = framesOf(outs);
        return (
          errorsOf(outs).length === 0 && got.length === frames.length && got.every((f, i) => sameFrame(f, frames[i]))
        );
      },
    ),
  );
});

t.test('property: random bytes never throw and only ever yield CRC-valid frames or known errors', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 10_000 }), (bytes, gap) => {
      const d = new Deframer({ maxPayloadBytes: 1024, interByteTimeoutMs: 100 });
      const outs = [...d.push(Buffer.from(bytes), 0), ...d.expire(gap)];
      return (
        outs.every((o) =>
          o.kind === 'frame'
            ? o.frame.payload.length <= 1024
            : ['frame.corrupt', 'frame.truncated', 'frame.too-long'].includes(o.reason),
        ) &&
        (gap < 100 || d.pendingBytes === 0)
      );
    }),
  );
});

t.test(
  'property: a valid frame with mutated bytes is either delivered unchanged, refused with an error, or still pending',
  async () => {
    fc.assert(
      fc.property(
        frameArb,
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (frame, edits) => {
          const bytes = encodeFrame(frame);
          for (const e of edits) bytes[e.at % bytes.length] = e.value;
          const d = new Deframer({ interByteTimeoutMs: 10 });
          const outs = [...d.push(bytes, 0), ...d.expire(100)];
          const frames = framesOf(outs);
          // A CRC-32 lets no change of up to 4 bytes in a short frame through: a frame that comes out is the original.
          return frames.every((f) => sameFrame(f, frame)) && d.pendingBytes === 0;
        },
      ),
    );
  },
);
