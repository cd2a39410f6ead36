// The dense face mesh as the liveness burst's landmark source: its 68 points land on the face, it reads a closed
// eye as closed, and its model files are checked like the other face models (refused by name, nothing fetched).
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { composeGateway } from '../../../gateway/compose.js';
import { serialDevices } from '../../../gateway/devices.js';
import { eyeAspectRatio, interOcularDistance } from '../../../gateway/face/liveness-geometry.js';
import { IBUG68_FROM_MESH, ibug68FromMesh, meshCropRect, meshToImage } from '../../../gateway/face/mesh-landmarks.js';
import { loadMeshModel, MESH_MODEL_FILES } from '../../../gateway/face/mesh-model.js';
import { MESH_MANIFEST_FILE } from '../../../gateway/face/model-files.js';
import { FaceModelsUnavailableError, FacePipeline } from '../../../gateway/face/pipeline.js';
import { createLogger } from '../../../gateway/logger.js';
import { featuresFromLandmarks, scenes } from '../../../sim/devices/virtual-camera.js';
import { faceFixture, MODELS_DIR, skipOrThrowWithoutModels } from '../../fixtures/faces/pipeline.js';
import { fixture } from '../../fixtures/liveness/models.js';
import { demoConfig } from '../../helpers/harness.js';

// Loaded before the first test is queued: tap ends a file whose queue runs dry while it still awaits.
const listenersBefore = {
  unhandledRejection: process.listeners('unhandledRejection'),
  uncaughtException: process.listeners('uncaughtException'),
};
let loaded: { mesh: FacePipeline; ibug: FacePipeline } | { skip: string };
try {
  loaded = {
    mesh: await FacePipeline.load({ modelsDir: MODELS_DIR, landmarks: 'faceMesh' }),
    ibug: await FacePipeline.load({ modelsDir: MODELS_DIR, landmarks: 'ibug68' }),
  };
} catch (err) {
  loaded = skipOrThrowWithoutModels(err);
}
const skip = 'skip' in loaded ? loaded.skip : false;
t.teardown(async () => {
  if ('mesh' in loaded) {
    await loaded.mesh.release();
    await loaded.ibug.release();
  }
});

const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-mesh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test(
  'starting the wasm runtime leaves no process listener behind that would rethrow a rejection',
  { skip },
  async (t) => {
    // Emscripten's Node glue adds both; the daemon logs an unhandled rejection as an alarm and stays up (cli/gateway.ts).
    const added = (now: unknown[], before: unknown[]): unknown[] => now.filter((l) => !before.includes(l));
    t.same(
      added(process.listeners('unhandledRejection'), listenersBefore.unhandledRejection),
      [],
      'no unhandledRejection listener added',
    );
    t.same(
      added(process.listeners('uncaughtException'), listenersBefore.uncaughtException),
      [],
      'no uncaughtException listener added',
    );
  },
);

t.test('the iBUG-68 stand-ins are 68 distinct mesh points', async (t) => {
  t.equal(IBUG68_FROM_MESH.length, 68);
  t.equal(new Set(IBUG68_FROM_MESH).size, 68);
  t.ok(IBUG68_FROM_MESH.every((i) => Number.isInteger(i) && i >= 0 && i < 468));
});

t.test('the crop is the box enlarged 1.5x about its centre, and crop pixels map back into it', async (t) => {
  const rect = meshCropRect({ x: 100, y: 50, w: 80, h: 80, score: 1 });
  t.same(rect, { x: 80, y: 30, side: 120 });
  const mesh = new Float32Array(468 * 3);
  mesh[0] = 96; // point 0 at the crop's centre
  mesh[1] = 96;
  mesh[3] = 192; // point 1 at its bottom-right corner
  mesh[4] = 192;
  const xy = meshToImage(mesh, rect);
  t.same([xy[0], xy[1], xy[2], xy[3]], [140, 90, 200, 150]);
  const ibug = ibug68FromMesh(xy);
  t.equal(ibug.length, 136);
});

t.test('loadMeshModel refuses a models dir without the mesh files, naming them and fetching nothing', async (t) => {
  const dir = tempDir();
  const r = await loadMeshModel(dir);
  t.match(r, {
    ok: false,
    reason: 'models.unavailable',
    detail: /facemesh\.json, facemesh\.bin, iris\.json, iris\.bin; install them with `npm ci`/,
  });
  t.same(readdirSync(dir), []);
});

t.test('loadMeshModel refuses a mesh file whose bytes are not the pinned ones', async (t) => {
  const dir = tempDir();
  for (const f of MESH_MODEL_FILES) copyFileSync(join(MODELS_DIR, f), join(dir, f));
  writeFileSync(join(dir, 'facemesh.bin'), 'not the pinned weights');
  t.match(await loadMeshModel(dir), { ok: false, detail: /not the pinned ones in .*: facemesh\.bin;/ });
});

t.test(
  'a mesh whose pinned files do not load is refused, frees what it loaded, and a later load still works',
  { skip },
  async (t) => {
    const tf = await import('@tensorflow/tfjs-core');
    const dir = tempDir();
    for (const f of MESH_MODEL_FILES) copyFileSync(join(MODELS_DIR, f), join(dir, f));
    // The iris graph is damaged in a way its pin allows (a manifest pinning the damaged bytes): the load itself
    // fails after the face mesh is already in the wasm heap.
    const damaged = Buffer.from('{"modelTopology":');
    writeFileSync(join(dir, 'iris.json'), damaged);
    const manifest = JSON.parse(readFileSync(MESH_MANIFEST_FILE, 'utf8')) as {
      models: { file: string; bytes: number; sha256: string }[];
    };
    const iris = manifest.models.find((m) => m.file === 'iris.json');
    if (!iris) throw new Error('iris.json is not in the mesh manifest');
    iris.bytes = damaged.length;
    iris.sha256 = createHash('sha256').update(damaged).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));

    const tensorsBefore = tf.memory().numTensors;
    const r = await loadMeshModel(dir, join(dir, 'manifest.json'));
    t.match(r, { ok: false, reason: 'models.unavailable', detail: /^the face mesh could not be loaded: / });
    t.equal(tf.memory().numTensors, tensorsBefore, 'the face mesh loaded before the failure was disposed');

    const again = await loadMeshModel(MODELS_DIR);
    t.ok(again.ok, 'the runtime is not left broken: the pinned files load');
    if (again.ok) again.value.release();
  },
);

t.test(
  'a pipeline asked for the mesh refuses without it; one asked for the 68-point model does not need it',
  async (t) => {
    const dir = tempDir();
    for (const f of ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx'])
      copyFileSync(join(MODELS_DIR, f), join(dir, f));
    const err = await FacePipeline.load({ modelsDir: dir, landmarks: 'faceMesh' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    t.ok(err instanceof FaceModelsUnavailableError);
    t.match(err?.message, /^face mesh model unavailable: .*facemesh\.json, facemesh\.bin/);
    t.notMatch(err?.message, /\n/, 'one line');
    const old = await FacePipeline.load({ modelsDir: dir, landmarks: 'ibug68' });
    t.equal(old.landmarkSource, 'ibug68');
    await old.release();
  },
);

t.test(
  'a liveness model that was missing is opened on a later burst once it is back, without a restart',
  { skip },
  async (t) => {
    const dir = tempDir();
    for (const f of ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx'])
      copyFileSync(join(MODELS_DIR, f), join(dir, f));
    const pipeline = await FacePipeline.load({ modelsDir: dir, landmarks: 'ibug68' });
    t.teardown(() => pipeline.release());
    const photo = faceFixture('genuine-obama-2.jpg');
    await t.rejects(pipeline.analyze(photo, { liveness: true, skipQuality: true }), {
      message: /^liveness model unavailable: .*fr_liveness\.onnx/,
    });
    copyFileSync(join(MODELS_DIR, 'fr_liveness.onnx'), join(dir, 'fr_liveness.onnx'));
    const r = await pipeline.analyze(photo, { liveness: true, skipQuality: true });
    t.ok(r.ok && typeof r.value.liveness === 'number', 'the liveness score comes once the file is in place');
  },
);

t.test('a daemon configured for the mesh without its files refuses to start with one line naming them', async (t) => {
  const dir = tempDir();
  for (const f of ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx'])
    copyFileSync(join(MODELS_DIR, f), join(dir, f));
  const config = demoConfig((c) => {
    c.gate.lanes[1]!.entry!.face = {
      requireFor: ['chip'],
      targetFmr: '1e-3',
      liveness: 'required',
      identifyEnrolled: false,
    };
    c.face.modelsDir = dir;
    c.face.landmarks = 'faceMesh';
  });
  const err = await composeGateway({ config, logger: createLogger('silent'), devices: serialDevices() }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.ok(err instanceof FaceModelsUnavailableError, 'the gateway is not built');
  t.notMatch(err?.message, /\n/, 'one line');
  t.match(err?.message, /face mesh model unavailable: .*facemesh\.json.*install them with `npm ci`/);
});

t.test('a daemon whose face lanes take no liveness neither loads the mesh nor needs its files', async (t) => {
  const dir = tempDir();
  for (const f of ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx'])
    copyFileSync(join(MODELS_DIR, f), join(dir, f));
  const config = demoConfig((c) => {
    c.gate.lanes[1]!.entry!.face = {
      requireFor: ['chip'],
      targetFmr: '1e-3',
      liveness: 'off',
      identifyEnrolled: false,
    };
    c.face.modelsDir = dir;
    c.face.landmarks = 'faceMesh';
  });
  const gateway = await composeGateway({ config, logger: createLogger('silent'), devices: serialDevices() });
  t.teardown(() => gateway.stop());
  t.pass('built without facemesh.json, facemesh.bin, iris.json or iris.bin');
});

const centre = (l: Float32Array, from: number, to: number): [number, number] => {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += l[2 * i];
    y += l[2 * i + 1];
  }
  return [x / (to - from), y / (to - from)];
};

t.test('on a known face the mesh puts eyes, nose and mouth where the 68-point model does', { skip }, async (t) => {
  if (!('mesh' in loaded)) return;
  t.equal(loaded.mesh.landmarkSource, 'faceMesh');
  for (const name of ['p1-img5.jpg', 'p5-img16.jpg', 'p9-img12.jpg']) {
    const photo = fixture(name);
    const m = await loaded.mesh.landmarksOnly(photo);
    const o = await loaded.ibug.landmarksOnly(photo);
    if (!m.ok || !o.ok) throw new Error(`${name}: no face`);
    const iod = interOcularDistance(o.value.landmarks);
    for (const [part, from, to] of [
      ['right eye', 36, 42],
      ['left eye', 42, 48],
      ['nose tip', 30, 31],
      ['inner mouth', 60, 68],
    ] as const) {
      const [mx, my] = centre(m.value.landmarks, from, to);
      const [ox, oy] = centre(o.value.landmarks, from, to);
      t.ok(Math.hypot(mx - ox, my - oy) < 0.15 * iod, `${name} ${part}: within 0.15 IOD of the 68-point model`);
    }
    const [, eyeY] = centre(m.value.landmarks, 36, 48);
    const [, mouthY] = centre(m.value.landmarks, 60, 68);
    t.ok(eyeY < mouthY, `${name}: eyes above the mouth`);
  }
});

t.test(
  'the mesh with Iris eyes reads a synthetic shut eye as a deeper dip than the 68-point model does',
  { skip },
  async (t) => {
    if (!('mesh' in loaded)) return;
    const photo = fixture('p9-img12.jpg');
    const lm = await loaded.ibug.landmarksOnly(photo);
    if (!lm.ok) throw new Error(lm.detail);
    // The prompted blink: frame 0 open, frame 4 shut (sim/devices/virtual-camera.ts BLINK_ON_REQUEST).
    const scene = scenes.blinkWhenAsked(photo, featuresFromLandmarks(lm.value.landmarks));
    const ear = async (pipeline: FacePipeline, i: number): Promise<number> => {
      const r = await pipeline.landmarksOnly(await scene.frame(i));
      if (!r.ok) throw new Error(r.detail);
      return eyeAspectRatio(r.value.landmarks);
    };
    const dip = async (pipeline: FacePipeline): Promise<number> =>
      1 - (await ear(pipeline, 4)) / (await ear(pipeline, 0));
    const mesh = await dip(loaded.mesh);
    const old = await dip(loaded.ibug);
    // Measured on this frame: 33 % with the Iris eyes, 10 % with the mesh's own lid points, 18 % with the 68-point model.
    t.ok(mesh > 0.25, `EAR dip ${(100 * mesh).toFixed(0)} % with the mesh and Iris eyes: more than 25 %`);
    t.ok(mesh > 1.5 * old, `deeper than the 68-point model's ${(100 * old).toFixed(0)} % by half again`);
  },
);
