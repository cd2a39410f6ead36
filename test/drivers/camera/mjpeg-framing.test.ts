import fc from 'fast-check';
import t from 'tap';
import { looksLikeJpeg } from '../../../drivers/camera/jpeg.js';
import { boundaryFromContentType, type FramingEvent, MjpegFramer } from '../../../drivers/camera/mjpeg-framing.js';

const BOUNDARY = 'gate06frame';
const MAX = 4096;

const fakeJpeg = (body: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(body), Buffer.from([0xff, 0xd9])]);

function part(jpeg: Buffer, withLength: boolean, eol = '\r\n'): Buffer {
  const head = [
    `--${BOUNDARY}`,
    'Content-Type: image/jpeg',
    ...(withLength ? [`Content-Length: ${jpeg.length}`] : []),
    '',
    '',
  ].join(eol);
  return Buffer.concat([Buffer.from(head, 'latin1'), jpeg, Buffer.from(eol)]);
}

function feed(framer: MjpegFramer, bytes: Buffer, cuts: number[]): FramingEvent[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const events: FramingEvent[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    events.push(...framer.push(bytes.subarray(prev, p)));
    prev = p;
  }
  return events;
}

const frames = (events: FramingEvent[]): Buffer[] => events.flatMap((e) => (e.kind === 'frame' ? [e.jpeg] : []));

t.test('the boundary is read from the Content-Type, with or without quotes and leading dashes', async (t) => {
  t.equal(boundaryFromContentType('multipart/x-mixed-replace; boundary=myboundary'), 'myboundary');
  t.equal(boundaryFromContentType('multipart/x-mixed-replace;boundary="--my boundary"'), 'my boundary');
  t.equal(boundaryFromContentType('Multipart/X-Mixed-Replace; charset=x; boundary=--abc'), 'abc');
  t.equal(boundaryFromContentType('image/jpeg'), null);
  t.equal(boundaryFromContentType('multipart/x-mixed-replace'), null);
  t.equal(boundaryFromContentType(undefined), null);
});

t.test('frames with Content-Length come out whole, however the stream is chunked', async (t) => {
  const jpegs = [fakeJpeg(Buffer.from('one')), fakeJpeg(Buffer.alloc(1000, 7))];
  const stream = Buffer.concat(jpegs.map((j) => part(j, true)));
  const got = frames(feed(new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }), stream, [1, 5, 30, 31, 700]));
  t.same(got, jpegs);
});

t.test('frames without Content-Length are cut at the next boundary by their JPEG markers', async (t) => {
  const jpegs = [fakeJpeg(Buffer.from('a')), fakeJpeg(Buffer.from('bb'))];
  const stream = Buffer.concat([...jpegs.map((j) => part(j, false)), Buffer.from(`--${BOUNDARY}\r\n`)]);
  t.same(frames(new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }).push(stream)), jpegs);
});

t.test('bare LF line endings and a declared boundary with leading dashes are accepted', async (t) => {
  const jpeg = fakeJpeg(Buffer.from('x'));
  const got = frames(new MjpegFramer({ boundary: `--${BOUNDARY}`, maxFrameBytes: MAX }).push(part(jpeg, true, '\n')));
  t.same(got, [jpeg]);
});

t.test('an oversize part is rejected and the next frame still arrives', async (t) => {
  const big = fakeJpeg(Buffer.alloc(MAX + 10, 1));
  const small = fakeJpeg(Buffer.from('ok'));
  for (const withLength of [true, false]) {
    const framer = new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX });
    const events = feed(framer, Buffer.concat([part(big, withLength), part(small, true)]), [100, 2000, 4000]);
    t.ok(
      events.some((e) => e.kind === 'rejected' && e.reason === 'camera.frame-too-large'),
      `withLength ${withLength}`,
    );
    t.same(frames(events), [small]);
  }
});

t.test('a part that is not a JPEG is rejected with camera.not-jpeg', async (t) => {
  const events = new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }).push(
    part(Buffer.from('<html>503</html>'), true),
  );
  t.match(events, [{ kind: 'rejected', reason: 'camera.not-jpeg' }]);
});

t.test('a malformed Content-Length is rejected with camera.bad-part-headers', async (t) => {
  const bytes = Buffer.from(`--${BOUNDARY}\r\nContent-Length: -5\r\n\r\nxxxx`);
  t.match(new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }).push(bytes), [
    { kind: 'rejected', reason: 'camera.bad-part-headers' },
  ]);
});

t.test('the closing delimiter ends the stream', async (t) => {
  const framer = new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX });
  const events = framer.push(
    Buffer.concat([part(fakeJpeg(Buffer.from('z')), true), Buffer.from(`--${BOUNDARY}--\r\n`)]),
  );
  t.equal(events.at(-1)?.kind, 'end');
  t.same(framer.push(part(fakeJpeg(Buffer.from('late')), true)), []);
});

t.test('the constructor refuses a bad boundary or limit with a TypeError', async (t) => {
  t.throws(() => new MjpegFramer({ boundary: '--', maxFrameBytes: MAX }), TypeError);
  t.throws(() => new MjpegFramer({ boundary: 'b', maxFrameBytes: 0 }), TypeError);
});

// A JPEG body that cannot contain the delimiter by construction: bytes below '-' (0x2d).
const jpegBody = fc.uint8Array({ minLength: 0, maxLength: 600 }).map((b) => fakeJpeg(b.map((x) => x % 0x2d)));

t.test('property: valid streams round-trip under any chunking', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(jpegBody, fc.boolean()), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (parts, cuts) => {
        const stream = Buffer.concat([
          ...parts.map(([j, withLength]) => part(j, withLength)),
          Buffer.from(`--${BOUNDARY}--\r\n`),
        ]);
        const got = frames(feed(new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }), stream, cuts));
        return got.length === parts.length && got.every((g, i) => g.equals(parts[i][0]));
      },
    ),
  );
});

t.test('property: random bytes never throw and the buffer stays bounded', async () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 10 }), (chunks) => {
      const framer = new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: 1024, maxHeaderBytes: 512 });
      for (const c of chunks) {
        for (const e of framer.push(c))
          if (e.kind === 'frame' && (!looksLikeJpeg(e.jpeg) || e.jpeg.length > 1024)) return false;
        if (framer.buffered > 1024 + 512 + 3000 + 64) return false;
      }
      return true;
    }),
  );
});

t.test('property: mutated valid streams never throw and only yield bounded JPEGs', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(jpegBody, fc.boolean()), { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'drop', 'dup')), {
        maxLength: 8,
      }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (parts, mutations, cuts) => {
        let bytes = Buffer.concat(parts.map(([j, l]) => part(j, l)));
        for (const [pos, value, op] of mutations) {
          const i = pos % bytes.length;
          if (op === 'flip') bytes[i] = value;
          else if (op === 'drop') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
          else bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i, i + (value % 64)), bytes.subarray(i)]);
        }
        const events = feed(new MjpegFramer({ boundary: BOUNDARY, maxFrameBytes: MAX }), bytes, cuts);
        return events.every((e) => e.kind !== 'frame' || (looksLikeJpeg(e.jpeg) && e.jpeg.length <= MAX));
      },
    ),
  );
});

t.test('property: any Content-Type string is parsed without throwing', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const b = boundaryFromContentType(`multipart/x-mixed-replace; boundary=${s}`);
      return b === null || (b.length >= 1 && b.length <= 70);
    }),
  );
});
