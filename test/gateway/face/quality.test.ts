import t from 'tap';
import type { FaceBox } from '../../../gateway/face/detect.js';
import { checkFace, checkFraming, chooseSubject, DEFAULT_QUALITY_LIMITS } from '../../../gateway/face/quality.js';

const box = (x: number, y: number, side: number): FaceBox => ({ x, y, w: side, h: side, score: 0.99 });
const frame = { width: 1280, height: 720 };

t.test('the subject is the largest face; a far smaller background face is no rival', async (t) => {
  const big = box(500, 200, 300);
  const small = box(1100, 20, 80);
  const choice = chooseSubject([small, big], frame);
  t.equal(choice?.subject, big);
  t.same(choice?.rivals, []);
  t.match(checkFraming(choice!), { ok: true });
});

t.test('a slightly larger face at the edge loses to a central one', async (t) => {
  const central = box(540, 260, 200);
  const corner = box(0, 0, 215);
  t.equal(chooseSubject([corner, central], frame)?.subject, central);
});

t.test('two faces of about the same size make the frame ambiguous', async (t) => {
  const choice = chooseSubject([box(200, 200, 250), box(700, 200, 240)], frame);
  t.equal(choice?.rivals.length, 1);
  t.match(checkFraming(choice!), { ok: false, reason: 'face.retake', detail: /similar size/ });
});

t.test('a face below the minimum side asks to step closer', async (t) => {
  const choice = chooseSubject([box(600, 300, DEFAULT_QUALITY_LIMITS.minFaceSidePx - 1)], frame);
  t.match(checkFraming(choice!), { ok: false, reason: 'face.retake', detail: /too small/ });
});

t.test('no faces, no subject', async (t) => {
  t.equal(chooseSubject([], frame), undefined);
});

t.test('pose and blur limits each give their own retake reason', async (t) => {
  const good = { pose: { yaw: 0, pitch: 0.5, rollDeg: 0 }, sharpness: 0.3 };
  t.match(checkFace(good), { ok: true });
  t.match(checkFace({ ...good, pose: { ...good.pose, yaw: 0.8 } }), { detail: /turned/ });
  t.match(checkFace({ ...good, pose: { ...good.pose, pitch: 0.95 } }), { detail: /tipped/ });
  t.match(checkFace({ ...good, pose: { ...good.pose, rollDeg: 45 } }), { detail: /tilted/ });
  t.match(checkFace({ ...good, sharpness: 0.001 }), { detail: /blurred/ });
});
