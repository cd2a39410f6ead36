import sharp from 'sharp';
import t from 'tap';
import { cosineSimilarity, type FaceBox, type FacePipeline } from '../../../gateway/face/pipeline.js';
import { loadThresholds } from '../../../gateway/face/thresholds.js';
import { faceFixture, loadTestPipeline } from '../../fixtures/faces/pipeline.js';

const loaded = await loadTestPipeline();
if ('skip' in loaded) {
  t.skip(`face pipeline tests: ${loaded.skip}`, () => {});
} else {
  await specify(loaded.pipeline);
}

async function specify(pipeline: FacePipeline): Promise<void> {
  t.teardown(() => pipeline.release());
  const thresholds = await loadThresholds();
  const obama1 = faceFixture('genuine-obama-1.jpg');
  const obama2 = faceFixture('genuine-obama-2.jpg');
  const kit1 = faceFixture('genuine-kit-harington-1.jpg');
  const kit2 = faceFixture('genuine-kit-harington-2.jpg');

  const embed = async (bytes: Buffer): Promise<Float32Array> => {
    const r = await pipeline.analyze(bytes);
    if (!r.ok) throw new Error(`fixture rejected: ${r.reason} ${r.detail}`);
    return r.value.embedding;
  };
  /** A square crop 1.6x the detected face, resized to `side`: a face of known size to compose with. */
  const faceTile = async (bytes: Buffer, side: number): Promise<Buffer> => {
    const r = await pipeline.analyze(bytes, { skipQuality: true });
    if (!r.ok) throw new Error(r.detail);
    const meta = await sharp(bytes).metadata();
    const b = r.value.box;
    const s = Math.min(b.w * 1.6, meta.width ?? 0, meta.height ?? 0);
    const left = Math.round(Math.min(Math.max(0, b.x + b.w / 2 - s / 2), (meta.width ?? 0) - s));
    const top = Math.round(Math.min(Math.max(0, b.y + b.h / 2 - s / 2), (meta.height ?? 0) - s));
    return sharp(bytes)
      .extract({ left, top, width: Math.floor(s), height: Math.floor(s) })
      .resize(side, side)
      .png()
      .toBuffer();
  };
  const canvas = (
    width: number,
    height: number,
    tiles: Array<{ input: Buffer; left: number; top: number }>,
  ): Promise<Buffer> =>
    sharp({ create: { width, height, channels: 3, background: { r: 120, g: 125, b: 130 } } })
      .composite(tiles)
      .jpeg({ quality: 92 })
      .toBuffer();

  t.test('genuine pairs score above the FMR 1e-3 threshold and impostor pairs below it', async (t) => {
    const [o1, o2, k1, k2] = await Promise.all([embed(obama1), embed(obama2), embed(kit1), embed(kit2)]);
    const threshold = thresholds['1e-3'];
    t.ok(cosineSimilarity(o1, o2) > threshold, 'obama 1 vs 2');
    t.ok(cosineSimilarity(k1, k2) > threshold, 'kit harington 1 vs 2');
    for (const [a, b] of [
      [o1, k1],
      [o1, k2],
      [o2, k1],
      [o2, k2],
    ]) {
      t.ok(cosineSimilarity(a, b) < threshold, 'impostor pair below threshold');
    }
  });

  t.test(
    'an analysis carries a unit 512-d embedding, 68 landmarks inside the box region and stage timings',
    async (t) => {
      const r = await pipeline.analyze(obama2);
      t.ok(r.ok);
      if (!r.ok) return;
      const { embedding, landmarks, box, timings, quality } = r.value;
      t.equal(embedding.length, 512);
      t.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4, 'L2-normalised');
      t.equal(landmarks.length, 136);
      t.same(quality, { ok: true });
      t.equal(box.w, box.h, 'square box');
      for (let i = 0; i < 68; i++) {
        t.ok(
          landmarks[i * 2] > box.x - box.w * 0.25 && landmarks[i * 2] < box.x + box.w * 1.25,
          `landmark ${i} x near the box`,
        );
      }
      for (const ms of [timings.decodeMs, timings.detectMs, timings.landmarkMs, timings.embedMs]) t.ok(ms >= 0);
    },
  );

  t.test('two faces of similar size side by side ask for a retake: unclear who is presenting', async (t) => {
    const image = await canvas(660, 340, [
      { input: await faceTile(obama2, 300), left: 20, top: 20 },
      { input: await faceTile(kit2, 300), left: 340, top: 20 },
    ]);
    const r = await pipeline.analyze(image);
    t.match(r, { ok: false, reason: 'face.retake', detail: /faces of similar size/ });
  });

  t.test('a small background face does not block: the big central face is the subject', async (t) => {
    const image = await canvas(900, 700, [
      { input: await faceTile(obama2, 420), left: 240, top: 140 },
      { input: await faceTile(kit2, 120), left: 760, top: 20 },
    ]);
    const r = await pipeline.analyze(image);
    t.ok(r.ok, r.ok ? 'accepted' : `${r.reason}: ${r.detail}`);
    if (!r.ok) return;
    t.ok(r.value.facesFound >= 2, 'both faces were seen');
    const centre = (b: FaceBox) => [b.x + b.w / 2, b.y + b.h / 2];
    const [cx, cy] = centre(r.value.box);
    t.ok(cx > 240 && cx < 660 && cy > 140 && cy < 560, 'the chosen box is the big face');
    t.ok(cosineSimilarity(r.value.embedding, await embed(obama1)) > thresholds['1e-3'], 'and it matches its owner');
  });

  t.test('a tiny face asks for a retake: step closer', async (t) => {
    const tiny = await sharp(await faceTile(obama2, 56))
      .jpeg()
      .toBuffer();
    const r = await pipeline.analyze(tiny);
    t.match(r, { ok: false, reason: 'face.retake', detail: /too small/ });
  });

  t.test('a blurred face asks for a retake: hold still', async (t) => {
    const blurred = await sharp(obama2).blur(12).jpeg().toBuffer();
    const r = await pipeline.analyze(blurred);
    t.match(r, { ok: false, reason: 'face.retake', detail: /blurred/ });
  });

  t.test('an image without a face is face.none', async (t) => {
    const empty = await sharp({
      create: { width: 400, height: 300, channels: 3, background: { r: 90, g: 140, b: 60 } },
    })
      .jpeg()
      .toBuffer();
    t.match(await pipeline.analyze(empty), { ok: false, reason: 'face.none', detail: /no face/ });
  });

  t.test('a truncated JPEG is image.invalid with the decoder reason', async (t) => {
    const broken = obama1.subarray(0, Math.floor(obama1.length * 0.4));
    t.match(await pipeline.analyze(broken), { ok: false, reason: 'image.invalid', detail: /jpeg/ });
  });

  t.test('skipQuality still analyses the dominant face and reports the verdict', async (t) => {
    const image = await canvas(660, 340, [
      { input: await faceTile(obama2, 300), left: 20, top: 20 },
      { input: await faceTile(kit2, 300), left: 340, top: 20 },
    ]);
    const r = await pipeline.analyze(image, { skipQuality: true });
    t.ok(r.ok);
    if (r.ok) t.match(r.value.quality, { ok: false, reason: 'face.retake' });
  });

  t.test('landmarksOnly returns the subject box and 68 points without an embedding', async (t) => {
    const r = await pipeline.landmarksOnly(obama2);
    t.ok(r.ok);
    if (r.ok) {
      t.equal(r.value.landmarks.length, 136);
      t.ok(r.value.box.w > 100);
    }
    t.match(await pipeline.landmarksOnly(Buffer.from('nope')), { ok: false, reason: 'image.invalid' });
  });

  t.test('the liveness score, when asked, is a probability', async (t) => {
    const r = await pipeline.analyze(obama2, { liveness: true });
    t.ok(r.ok);
    if (r.ok) {
      t.type(r.value.liveness, 'number');
      t.ok((r.value.liveness ?? -1) >= 0 && (r.value.liveness ?? 2) <= 1);
      t.type(r.value.timings.livenessMs, 'number');
    }
  });
}
