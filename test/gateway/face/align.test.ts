import fc from 'fast-check';
import t from 'tap';
import { ARCFACE_REFERENCE, applySimilarity, fitSimilarity, inverseAffine } from '../../../gateway/face/align.js';

t.test('the fitted similarity recovers a known rotation, scale and shift exactly', async () => {
  fc.assert(
    fc.property(
      fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
      fc.double({ min: 0.05, max: 20, noNaN: true }),
      fc.double({ min: -500, max: 500, noNaN: true }),
      fc.double({ min: -500, max: 500, noNaN: true }),
      (angle, scale, tx, ty) => {
        const truth = { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx, ty };
        const from = ARCFACE_REFERENCE.map((p) => ({ x: p.x * 3 + 10, y: p.y * 3 - 4 }));
        const fitted = fitSimilarity(
          from,
          from.map((p) => applySimilarity(truth, p)),
        );
        return [
          fitted.a - truth.a,
          fitted.b - truth.b,
          (fitted.tx - truth.tx) / 1000,
          (fitted.ty - truth.ty) / 1000,
        ].every((d) => Math.abs(d) < 1e-6);
      },
    ),
  );
});

t.test('the inverse map sends template points back to the source points', async (t) => {
  const from = ARCFACE_REFERENCE.map((p) => ({ x: p.x * 2.5 + 100, y: p.y * 2.5 + 40 }));
  const s = fitSimilarity(from, ARCFACE_REFERENCE);
  const [a, b, c, d, e, f] = inverseAffine(s);
  for (let i = 0; i < 5; i++) {
    const q = ARCFACE_REFERENCE[i];
    t.ok(Math.abs(a * q.x + b * q.y + c - from[i].x) < 1e-6);
    t.ok(Math.abs(d * q.x + e * q.y + f - from[i].y) < 1e-6);
  }
});

t.test('noisy points give the least-squares fit, not an exact warp of three of them', async (t) => {
  const noisy = ARCFACE_REFERENCE.map((p, i) => ({ x: p.x + (i === 2 ? 6 : 0), y: p.y }));
  const s = fitSimilarity(noisy, ARCFACE_REFERENCE);
  t.ok(Math.abs(Math.atan2(s.b, s.a)) < 0.05, 'a shifted nose barely rotates the face');
  t.ok(Math.abs(Math.hypot(s.a, s.b) - 1) < 0.05, 'nor rescales it');
});
