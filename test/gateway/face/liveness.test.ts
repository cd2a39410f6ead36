import t from 'tap';
import {
  actionFor,
  assessLiveness,
  DEFAULT_THRESHOLDS,
  type LivenessFrame,
  livenessFacts,
} from '../../../gateway/face/liveness.js';
import { type FacePose, seededNoise, syntheticFace } from '../../fixtures/liveness/synthetic-face.js';

// Landmark jitter of about 1 % of the inter-ocular distance: what a 68-point CNN shows on a still
// image re-encoded frame to frame (docs/liveness.md, Calibration).
const JITTER_PX = 0.6;
const burst = (poses: FacePose[], seed = 7): LivenessFrame[] => {
  const noise = seededNoise(seed);
  return poses.map((p) => syntheticFace(p, { jitterPx: JITTER_PX, noise }));
};
const still = (n: number): FacePose[] => Array.from({ length: n }, () => ({}));

t.test('a still face with landmark noise is not judged live', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const a = assessLiveness({ frames: burst(still(10), seed), modelScores: [] }, 'required');
    t.not(a.verdict, 'live', `seed ${seed}: ${JSON.stringify(a.signals)}`);
    t.equal(a.action, 'deny');
  }
});

t.test('a photo translated, rotated and scaled by hand is not judged live', async (t) => {
  const poses = Array.from({ length: 10 }, (_, i) => ({
    dx: 8 * i,
    dy: -3 * i,
    rotation: 0.03 * i,
    scale: 1 + 0.02 * i,
  }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.equal(a.verdict, 'spoof', JSON.stringify(a.signals));
  t.ok(a.signals.rigidMotion > 0.08);
});

t.test('a photo tilted in the hand (shear) is not judged live', async (t) => {
  const poses = Array.from({ length: 10 }, (_, i) => ({ dx: 5 * i, shear: 0.03 * i, scale: 1 - 0.01 * i }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.not(a.verdict, 'live', JSON.stringify(a.signals));
});

t.test('a blink in the burst is judged live', async (t) => {
  const poses: FacePose[] = still(10).map((p, i) => ({ ...p, eyeOpen: i === 4 ? 0.1 : i === 5 ? 0.4 : 1 }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.equal(a.verdict, 'live', JSON.stringify(a.signals));
  t.equal(a.action, 'pass');
  t.ok(a.signals.blink > 0.5);
});

t.test('mouth motion is judged live', async (t) => {
  const poses: FacePose[] = still(10).map((_, i) => ({ mouthOpen: i >= 6 ? 0.2 : 0 }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.equal(a.verdict, 'live', JSON.stringify(a.signals));
});

t.test('a blink while the head moves is still judged live', async (t) => {
  const poses: FacePose[] = Array.from({ length: 10 }, (_, i) => ({
    dx: 6 * i,
    rotation: 0.02 * i,
    eyeOpen: i === 7 ? 0.1 : 1,
  }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.equal(a.verdict, 'live', JSON.stringify(a.signals));
});

t.test('a low presentation-attack model score vetoes even with facial motion', async (t) => {
  const poses: FacePose[] = still(10).map((_, i) => ({ eyeOpen: i === 4 ? 0.1 : 1 }));
  const a = assessLiveness({ frames: burst(poses), modelScores: Array(10).fill(0.03) }, 'required');
  t.equal(a.verdict, 'spoof');
  t.match(a.reason, /model/);
});

t.test('a high model score alone does not make a still face live', async (t) => {
  const a = assessLiveness({ frames: burst(still(10)), modelScores: Array(10).fill(0.99) }, 'required');
  t.not(a.verdict, 'live');
});

t.test('too few usable frames is uncertain', async (t) => {
  const frames = burst(still(2));
  frames.push({ landmarks: new Float32Array(10), box: { x: 0, y: 0, w: 1, h: 1 } });
  frames.push({ landmarks: new Float32Array(136).fill(Number.NaN), box: { x: 0, y: 0, w: 1, h: 1 } });
  const a = assessLiveness({ frames, modelScores: [] }, 'required');
  t.equal(a.verdict, 'uncertain');
  t.match(a.reason, /usable frames/);
});

t.test('mode off passes without judging', async (t) => {
  const a = assessLiveness({ frames: burst(still(10)), modelScores: [0.01] }, 'off');
  t.equal(a.action, 'pass');
  t.equal(a.verdict, 'uncertain');
});

t.test('advisory mode flags what required mode denies', async (t) => {
  t.equal(actionFor('spoof', 'advisory'), 'flag');
  t.equal(actionFor('uncertain', 'advisory'), 'flag');
  t.equal(actionFor('spoof', 'required'), 'deny');
  t.equal(actionFor('uncertain', 'required'), 'deny');
  t.equal(actionFor('live', 'required'), 'pass');
  t.equal(actionFor('live', 'advisory'), 'pass');
});

t.test('the verdict does not depend on face size', async (t) => {
  for (const iodPx of [30, 60, 200]) {
    const noise = seededNoise(3);
    const blink = still(10).map((_, i) =>
      syntheticFace({ eyeOpen: i === 3 ? 0.1 : 1 }, { iodPx, jitterPx: JITTER_PX * (iodPx / 60), noise }),
    );
    t.equal(assessLiveness({ frames: blink, modelScores: [] }, 'required').verdict, 'live', `iod ${iodPx}`);
    const flat = still(10).map(() => syntheticFace({}, { iodPx, jitterPx: JITTER_PX * (iodPx / 60), noise }));
    t.not(assessLiveness({ frames: flat, modelScores: [] }, 'required').verdict, 'live', `iod ${iodPx}`);
  }
});

t.test('event facts carry the verdict and numbers only', async (t) => {
  const a = assessLiveness({ frames: burst(still(5)), modelScores: [0.7] }, 'advisory');
  const facts = livenessFacts(a);
  t.equal(facts.liveness, a.verdict);
  t.equal(facts.livenessFlagged, true);
  t.equal(facts.livenessModel, 0.7);
  for (const v of Object.values(facts)) t.ok(['string', 'number', 'boolean'].includes(typeof v));
});

t.test('a small blink (what the coarse landmark model sees of a real one) makes a steady face live', async (t) => {
  const poses: FacePose[] = still(15).map((_, i) => ({ eyeOpen: i === 4 ? 0.8 : i === 5 ? 0.9 : 1 }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.equal(a.verdict, 'live', JSON.stringify(a.signals));
  t.ok(a.signals.blink < DEFAULT_THRESHOLDS.blinkLive, 'below the threshold for a moving face');
});

t.test('the same small eye change on a photo moved by hand is not a blink: it is landmark shake', async (t) => {
  const poses: FacePose[] = Array.from({ length: 15 }, (_, i) => ({
    dx: 8 * i,
    rotation: 0.03 * i,
    scale: 1 + 0.02 * i,
    eyeOpen: i === 4 ? 0.8 : i === 5 ? 0.9 : 1,
  }));
  const a = assessLiveness({ frames: burst(poses), modelScores: [] }, 'required');
  t.ok(a.signals.rigidMotion >= DEFAULT_THRESHOLDS.rigidSpoofMin, JSON.stringify(a.signals));
  t.equal(a.verdict, 'spoof', JSON.stringify(a.signals));
});
