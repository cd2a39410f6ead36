import fc from 'fast-check';
import sharp from 'sharp';
import t from 'tap';
import { parseDg2 } from '../../../../gateway/credentials/icao/dg2.js';
import { canDecodeJpeg2000 } from '../../../../gateway/credentials/icao/image-support.js';
import * as build from '../../../../sim/cards/icao-build.js';

const jpeg = () =>
  sharp({ create: { width: 24, height: 32, channels: 3, background: { r: 200, g: 150, b: 120 } } })
    .jpeg()
    .toBuffer();
const JP2 = Buffer.concat([Buffer.from('0000000c6a5020200d0a870a', 'hex'), Buffer.alloc(40, 1)]);
const J2K = Buffer.concat([Buffer.from('ff4fff51', 'hex'), Buffer.alloc(40, 2)]);

t.test('the JPEG face image is extracted byte for byte with its declared size', async (t) => {
  const image = await jpeg();
  const r = parseDg2(build.dg2(image, { width: 24, height: 32 }));
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.type, 'jpeg');
  t.ok(r.value.image.equals(image));
  t.same([r.value.width, r.value.height], [24, 32]);
});

t.test('feature points before the image information are skipped', async (t) => {
  const image = await jpeg();
  const r = parseDg2(build.dg2(image, { featurePoints: 3 }));
  t.ok(r.ok && r.value.image.equals(image));
});

t.test('a JPEG 2000 (JP2 box) photo is refused with a clear reason by default', async (t) => {
  const r = parseDg2(build.dg2(JP2));
  t.match(r, { ok: false, reason: 'chip.malformed', detail: /JPEG 2000/ });
});

t.test('a raw JPEG 2000 codestream photo is refused by default and accepted when a decoder exists', async (t) => {
  t.match(parseDg2(build.dg2(J2K)), { ok: false, detail: /JPEG 2000/ });
  const r = parseDg2(build.dg2(J2K), { acceptJpeg2000: true });
  t.equal(r.ok && r.value.type, 'jpeg2000');
});

t.test('the prebuilt sharp on this machine reports whether it decodes JPEG 2000', async (t) => {
  t.type(await canDecodeJpeg2000(), 'boolean');
});

t.test('a biometric data block that is not a 19794-5 facial record is refused', async (t) => {
  const dg = build.tlv(
    0x75,
    build.tlv(0x7f61, build.tlv(0x02, Buffer.from([1])), build.tlv(0x7f60, build.tlv(0x5f2e, Buffer.alloc(60)))),
  );
  t.match(parseDg2(dg), { ok: false, detail: /19794-5/ });
});

t.test('random and mutated DG2 bytes never throw', async () => {
  const valid = build.dg2(await jpeg());
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => typeof parseDg2(Buffer.from(b)).ok === 'boolean'),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (edits, cut) => {
        const copy = Buffer.from(valid);
        for (const [pos, byte] of edits) copy[pos % 80] = byte; // the headers live in the first bytes
        const r1 = parseDg2(copy);
        const r2 = parseDg2(copy.subarray(0, cut % copy.length));
        return [r1, r2].every((r) => r.ok || (r.reason === 'chip.malformed' && Boolean(r.detail)));
      },
    ),
    { numRuns: 2000 },
  );
});
