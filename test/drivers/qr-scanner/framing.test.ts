import fc from 'fast-check';
import t from 'tap';
import { type FramingRejectReason, LineFramer } from '../../../drivers/qr-scanner/framing.js';

type Out = { frames: string[]; rejects: Array<[FramingRejectReason, number]>; raw: Uint8Array[] };

function framer(maxLength = 32, interByteTimeoutMs = 100) {
  const out: Out = { frames: [], rejects: [], raw: [] };
  const f = new LineFramer(
    { maxLength, interByteTimeoutMs },
    {
      frame: (bytes) => {
        out.raw.push(Uint8Array.from(bytes));
        out.frames.push(Buffer.from(bytes).toString('latin1'));
      },
      reject: (reason, count) => out.rejects.push([reason, count]),
    },
  );
  return { f, out };
}
const b = (s: string) => Buffer.from(s, 'latin1');

t.test('a line ended by CR, LF or CRLF is one frame without its terminator', async (t) => {
  const { f, out } = framer();
  f.push(b('abc\rdef\nghi\r\n'), 0);
  t.same(out.frames, ['abc', 'def', 'ghi']);
  t.same(out.rejects, []);
});

t.test('a frame split across chunks is joined', async (t) => {
  const { f, out } = framer();
  f.push(b('ab'), 0);
  f.push(b('c'), 10);
  f.push(b('d\r'), 20);
  t.same(out.frames, ['abcd']);
});

t.test('empty lines between terminators produce nothing', async (t) => {
  const { f, out } = framer();
  f.push(b('\r\n\r\n\n\r'), 0);
  t.same(out.frames, []);
  t.same(out.rejects, []);
});

t.test('a line of exactly maxLength bytes is accepted', async (t) => {
  const { f, out } = framer(4);
  f.push(b('abcd\r'), 0);
  t.same(out.frames, ['abcd']);
});

t.test(
  'a line longer than maxLength is rejected as frame.too-long and the framer resyncs at the next terminator',
  async (t) => {
    const { f, out } = framer(4);
    f.push(b('abcdefgh'), 0);
    f.push(b('ijk\rok\r'), 1);
    t.equal(out.rejects.length, 1, 'reported once, at the overflow');
    t.equal(out.rejects[0][0], 'frame.too-long');
    t.ok(out.rejects[0][1] > 4, 'the count covers the bytes seen beyond the limit');
    t.same(out.frames, ['ok']);
  },
);

t.test('a partial line that stalls longer than the inter-byte timeout is dropped as frame.timeout', async (t) => {
  const { f, out } = framer(32, 100);
  f.push(b('half'), 0);
  f.expire(100);
  t.same(out.rejects, [], 'not yet stale at exactly the timeout');
  f.expire(101);
  t.same(out.rejects, [['frame.timeout', 4]]);
  f.push(b('next\r'), 102);
  t.same(out.frames, ['next']);
});

t.test('a stale partial line is dropped when the next bytes arrive late, not glued to them', async (t) => {
  const { f, out } = framer(32, 100);
  f.push(b('stale'), 0);
  f.push(b('fresh\r'), 500);
  t.same(out.frames, ['fresh']);
  t.same(out.rejects, [['frame.timeout', 5]]);
});

t.test('reset forgets a partial line silently', async (t) => {
  const { f, out } = framer();
  f.push(b('part'), 0);
  f.reset();
  t.equal(f.hasPartial, false);
  f.push(b('x\r'), 1);
  t.same(out.frames, ['x']);
  t.same(out.rejects, []);
});

t.test('invalid options fail early with a TypeError', async (t) => {
  const sink = { frame() {}, reject() {} };
  t.throws(() => new LineFramer({ maxLength: 0, interByteTimeoutMs: 10 }, sink), TypeError);
  t.throws(() => new LineFramer({ maxLength: 10, interByteTimeoutMs: 0 }, sink), TypeError);
});

const chunkings = fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 });

t.test(
  'property: random bytes never throw and every frame is non-empty, terminator-free and within maxLength',
  async () => {
    fc.assert(
      fc.property(chunkings, fc.integer({ min: 1, max: 64 }), (chunks, maxLength) => {
        const { f, out } = framer(maxLength);
        chunks.forEach((c, i) => f.push(c, i));
        for (const frame of out.raw) {
          if (frame.length === 0 || frame.length > maxLength) return false;
          if (frame.includes(0x0d) || frame.includes(0x0a)) return false;
        }
        return true;
      }),
    );
  },
);

t.test('property: valid lines come out unchanged whatever the chunking and terminator', async () => {
  const line = fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((a) => a.filter((x) => x !== 0x0d && x !== 0x0a))
    .filter((a) => a.length > 0);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(line, fc.constantFrom('\r', '\n', '\r\n')), { minLength: 1, maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (lines, cuts) => {
        const stream = Buffer.concat(lines.flatMap(([l, term]) => [Buffer.from(l), Buffer.from(term, 'latin1')]));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, z) => a - z);
        const { f, out } = framer(40);
        let from = 0;
        for (const p of [...points, stream.length]) {
          f.push(stream.subarray(from, p), 0);
          from = p;
        }
        return (
          out.raw.length === lines.length &&
          out.raw.every((r, i) => Buffer.compare(Buffer.from(r), Buffer.from(lines[i][0])) === 0)
        );
      },
    ),
  );
});

t.test('property: after any garbage and a terminator, a valid line is framed again (resync)', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
      const { f, out } = framer(16);
      f.push(garbage, 0);
      f.push(b('\rGOOD\r'), 1);
      return out.frames[out.frames.length - 1] === 'GOOD';
    }),
  );
});
