// End to end on simulated hardware: virtual camera -> MJPEG driver -> real face pipeline -> liveness.
// The scenes are synthetic (sim/devices/virtual-camera.ts says what they are and are not).
import t from 'tap';
import { MjpegCamera } from '../../../drivers/camera/mjpeg-camera.js';
import { captureAndAssess } from '../../../gateway/face/liveness-capture.js';
import { featuresFromLandmarks, scenes, VirtualCamera } from '../../../sim/devices/virtual-camera.js';
import { fixture, loadPipeline } from '../../fixtures/liveness/models.js';

const models = await loadPipeline();
const skip = 'skip' in models ? models.skip : false;
t.teardown(() => ('pipeline' in models ? models.pipeline.release() : undefined));

async function rig(t: { teardown(fn: () => Promise<void>): void }) {
  const sim = new VirtualCamera(scenes.empty(), { fps: 10 });
  await sim.start();
  const camera = new MjpegCamera({ url: `${sim.url}/mjpeg`, timeoutMs: 3000 });
  await camera.start();
  t.teardown(async () => {
    await camera.stop();
    await sim.stop();
  });
  return { sim, camera };
}

const PHOTO = 'p9-img12.jpg';

t.test('the live scene (synthetic blinks and mouth motion) is judged live', { skip }, async (t) => {
  if (!('pipeline' in models)) return;
  const { sim, camera } = await rig(t);
  const photo = fixture(PHOTO);
  const lm = await models.pipeline.landmarksOnly(photo);
  if (!lm.ok) throw new Error(lm.detail);
  sim.show(scenes.live([photo], featuresFromLandmarks(lm.value.landmarks)));
  const r = await captureAndAssess(camera, models.pipeline, { mode: 'required', useModel: true });
  t.equal(r.liveness.verdict, 'live', JSON.stringify(r.liveness));
  t.equal(r.liveness.action, 'pass');
  t.ok(r.best.ok, 'the best frame is analysed for the match');
});

t.test('a still photo is not judged live and is denied in required mode', { skip }, async (t) => {
  if (!('pipeline' in models)) return;
  const { sim, camera } = await rig(t);
  sim.show(scenes.stillPhoto(fixture(PHOTO)));
  const r = await captureAndAssess(camera, models.pipeline, { mode: 'required', useModel: true });
  t.not(r.liveness.verdict, 'live', JSON.stringify(r.liveness));
  t.equal(r.liveness.action, 'deny');
});

t.test('a photo moved rigidly is not judged live', { skip }, async (t) => {
  if (!('pipeline' in models)) return;
  const { sim, camera } = await rig(t);
  sim.show(scenes.movingPhoto(fixture(PHOTO)));
  const r = await captureAndAssess(camera, models.pipeline, { mode: 'required' });
  t.not(r.liveness.verdict, 'live', JSON.stringify(r.liveness));
});

t.test('advisory mode flags a still photo instead of denying', { skip }, async (t) => {
  if (!('pipeline' in models)) return;
  const { sim, camera } = await rig(t);
  sim.show(scenes.stillPhoto(fixture(PHOTO)));
  const r = await captureAndAssess(camera, models.pipeline, { mode: 'advisory' });
  t.equal(r.liveness.action, 'flag');
});

t.test('an empty scene gives no face and an uncertain verdict', { skip }, async (t) => {
  if (!('pipeline' in models)) return;
  const { camera } = await rig(t);
  const r = await captureAndAssess(camera, models.pipeline, { mode: 'required', frames: 5 });
  t.match(r.best, { ok: false, reason: 'face.none' });
  t.equal(r.liveness.verdict, 'uncertain');
});
