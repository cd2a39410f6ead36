// The retry burst after a blink prompt, at a lane whose liveness is required: a second burst that never comes
// is a liveness denial; a camera or model fault on it is not a verdict and goes up like one on the first burst.
import t from 'tap';
import type { Camera } from '../../../drivers/camera/index.js';
import { cameraKey, PipelineFaceCheck } from '../../../gateway/face/face-check.js';

/** 68 distinct points, the same in every frame: a face that does not move at all, so the burst is `uncertain`. */
const STILL = new Float32Array(136).map((_, i) =>
  i % 2 === 0 ? 50 + ((i >> 1) % 10) * 10 : 50 + Math.floor((i >> 1) / 10) * 10,
);
const stillPipeline = {
  landmarkSource: 'ibug68',
  landmarksOnly: async () => ({ ok: true, value: { box: { x: 40, y: 40, w: 120, h: 120 }, landmarks: STILL } }),
  analyze: async () => ({ ok: false, reason: 'face.none' }),
};

/** A camera whose first burst is a still face and whose second does what `second` says. */
function camera(second: () => Promise<Buffer[]>): Camera {
  let bursts = 0;
  return {
    burst: (n: number) =>
      ++bursts === 1 ? Promise.resolve(Array.from({ length: n }, () => Buffer.alloc(1))) : second(),
    snapshot: async () => Buffer.alloc(1),
  } as unknown as Camera;
}

function check(cam: Camera, prompts: string[]) {
  return new PipelineFaceCheck({
    pipeline: stillPipeline as never,
    thresholds: { '1e-2': 0.3, '1e-3': 0.46, '1e-4': 0.525 } as never,
    cameras: new Map([[cameraKey('S1', 'in'), cam]]),
    burst: { frames: 3, intervalMs: 10 },
    retrySlackMs: 50,
    prompt: (p) => void prompts.push(p.step),
  }).check({
    lane: 'S1',
    direction: 'in',
    policy: { requireFor: ['ticket'], targetFmr: '1e-3', liveness: 'required', identifyEnrolled: false } as never,
    reference: {},
  });
}

t.test('a second burst that does not come in time is denied face.liveness-failed, outcome timeout', async (t) => {
  const prompts: string[] = [];
  const r = await check(
    camera(() => new Promise<Buffer[]>(() => {})),
    prompts,
  );
  t.match(r, {
    ok: false,
    reason: 'face.liveness-failed',
    facts: { livenessRetry: true, livenessRetryOutcome: 'timeout' },
  });
  t.same(prompts, ['blink', 'done'], 'the person was asked, and the prompt cleared');
});

t.test('a camera fault on the second burst is not a liveness verdict: it goes up to the decision', async (t) => {
  const prompts: string[] = [];
  await t.rejects(
    check(
      camera(() => Promise.reject(new Error('camera unplugged'))),
      prompts,
    ),
    /camera unplugged/,
  );
  t.same(prompts, ['blink', 'done'], 'the prompt is cleared all the same');
});
