import fc from 'fast-check';
import sharp from 'sharp';
import t from 'tap';
import { decodeImage, MAX_IMAGE_BYTES, sniffFormat } from '../../../gateway/face/image.js';
import { parseNetpbm } from '../../../gateway/face/netpbm.js';
import { faceFixture } from '../../fixtures/faces/pipeline.js';

const jpeg = faceFixture('genuine-kit-harington-2.jpg');
const png = await sharp({
  create: { width: 40, height: 30, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } },
})
  .png()
  .toBuffer();

t.test('a JPEG decodes to interleaved RGB of its size', async (t) => {
  const r = await decodeImage(jpeg);
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.value.width, 630);
    t.equal(r.value.height, 374);
    t.equal(r.value.data.length, 630 * 374 * 3);
  }
});

t.test('a PNG with alpha decodes to 3 channels', async (t) => {
  const r = await decodeImage(png);
  t.ok(r.ok);
  if (r.ok) t.equal(r.value.data.length, 40 * 30 * 3);
});

t.test('a binary PGM decodes to grey RGB', async (t) => {
  const header = Buffer.from('P5\n# comment\n3 2\n255\n');
  const r = await decodeImage(Buffer.concat([header, Buffer.from([0, 50, 100, 150, 200, 255])]));
  t.ok(r.ok);
  if (r.ok) t.same([...r.value.data.subarray(3, 6)], [50, 50, 50]);
});

t.test('a truncated JPEG is image.invalid', async (t) => {
  t.match(await decodeImage(jpeg.subarray(0, 5000)), {
    ok: false,
    reason: 'image.invalid',
    detail: /jpeg could not be decoded/,
  });
});

t.test('empty, oversized and unsupported formats are refused before decoding', async (t) => {
  t.match(await decodeImage(Buffer.alloc(0)), { ok: false, reason: 'image.invalid', detail: /empty/ });
  t.match(await decodeImage(Buffer.alloc(MAX_IMAGE_BYTES + 1, 0xff)), { ok: false, detail: /limit/ });
  t.match(await decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), {
    ok: false,
    detail: /not a JPEG, PNG/,
  });
  t.match(await decodeImage(Buffer.from('GIF89a....')), { ok: false, detail: /not a JPEG, PNG/ });
});

t.test('a decompression bomb (huge declared size) is refused by the pixel limit', async (t) => {
  const bomb = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  t.ok(bomb.length < MAX_IMAGE_BYTES, 'small on the wire');
  t.match(await decodeImage(bomb), { ok: false, reason: 'image.invalid', detail: /pixel/i });
});

t.test('PGM headers out of range are refused with a reason', async (t) => {
  t.match(parseNetpbm(Buffer.from('P5 0 10 255\n'), 1e6), { ok: false, reason: 'image.invalid', detail: /size/ });
  t.match(parseNetpbm(Buffer.from('P5 10 10 65535\n'), 1e6), { ok: false, reason: 'image.invalid', detail: /maxval/ });
  t.match(parseNetpbm(Buffer.from('P5 4000 4000 255\n'), 1e6), { ok: false, reason: 'image.invalid', detail: /limit/ });
  t.match(parseNetpbm(Buffer.from('P5 4 4 255\nabc'), 1e6), {
    ok: false,
    reason: 'image.invalid',
    detail: /truncated/,
  });
  t.match(parseNetpbm(Buffer.from('P5 99999999999 4 255\n'), 1e6), {
    ok: false,
    reason: 'image.invalid',
    detail: /too long/,
  });
});

const checkOutcome = (r: Awaited<ReturnType<typeof decodeImage>>): boolean =>
  r.ok
    ? r.value.data.length === r.value.width * r.value.height * 3
    : r.reason === 'image.invalid' && (r.detail ?? '').length > 0;

t.test('random bytes never crash the decoder: a result or image.invalid with a reason', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => checkOutcome(await decodeImage(bytes))),
    { numRuns: 120 },
  );
});

t.test('random bytes behind a JPEG, PNG or PGM signature never crash the decoder', async () => {
  const signatures = [
    [0xff, 0xd8, 0xff],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    [0x50, 0x35],
    [0x50, 0x36],
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...signatures), fc.uint8Array({ maxLength: 2048 }), async (sig, rest) => {
      const bytes = Uint8Array.from([...sig, ...rest]);
      t.ok(sniffFormat(bytes));
      return checkOutcome(await decodeImage(bytes));
    }),
    { numRuns: 120 },
  );
});

t.test('mutated JPEG and PNG files never crash the decoder', async () => {
  const small = await sharp(jpeg).resize(64, 40).jpeg().toBuffer();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(small, png),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
      fc.option(fc.nat(), { nil: undefined }),
      async (base, flips, cut) => {
        const bytes = Uint8Array.from(base);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
        return checkOutcome(await decodeImage(input));
      },
    ),
    { numRuns: 150 },
  );
});

t.test('random PGM headers never crash the parser', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 64 }), (header, raster) => {
      const r = parseNetpbm(Uint8Array.from([...Buffer.from(`P5${header}`), ...raster]), 1e6);
      return r.ok
        ? r.value.data.length === r.value.width * r.value.height * 3
        : r.reason === 'image.invalid' && (r.detail ?? '').length > 0;
    }),
    { numRuns: 1000 },
  );
});
