import t from 'tap';
import { decodeDetections, nonMaximumSuppression } from '../../../gateway/face/detect.js';

const outputs = (dets: Array<[score: number, x1: number, y1: number, x2: number, y2: number]>) => {
  const scores = new Float32Array(dets.length * 2);
  const boxes = new Float32Array(dets.length * 4);
  dets.forEach(([s, ...b], i) => {
    scores[i * 2] = 1 - s;
    scores[i * 2 + 1] = s;
    boxes.set(b, i * 4);
  });
  return { scores, boxes };
};

t.test('boxes above the threshold map back to image pixels as squares sized by their height', async (t) => {
  const { scores, boxes } = outputs([
    [0.99, 0.25, 0.25, 0.5, 0.75],
    [0.3, 0, 0, 0.1, 0.1],
  ]);
  const faces = decodeDetections(scores, boxes, 2, { width: 640, height: 480 });
  t.equal(faces.length, 1);
  const [f] = faces;
  t.equal(f.h, 0.5 * 240 * 2);
  t.equal(f.w, f.h);
  t.equal(f.x + f.w / 2, ((0.25 + 0.5) / 2) * 320 * 2);
});

t.test('overlapping boxes collapse to the best-scoring one; separate faces stay', async (t) => {
  const { scores, boxes } = outputs([
    [0.9, 0.1, 0.1, 0.4, 0.5],
    [0.95, 0.11, 0.12, 0.41, 0.5],
    [0.8, 0.6, 0.1, 0.9, 0.5],
  ]);
  const faces = decodeDetections(scores, boxes, 1, { width: 320, height: 240 });
  t.equal(faces.length, 2);
  t.equal(faces[0].score, Math.fround(0.95));
});

t.test('NaN scores and inverted boxes are dropped', async (t) => {
  const { scores, boxes } = outputs([
    [Number.NaN, 0.1, 0.1, 0.4, 0.5],
    [0.9, 0.5, 0.5, 0.4, 0.4],
  ]);
  t.same(decodeDetections(scores, boxes, 1, { width: 320, height: 240 }), []);
  t.same(nonMaximumSuppression([], 0.4), []);
});
