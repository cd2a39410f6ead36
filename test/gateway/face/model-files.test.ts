// The daemon never runs tooling (issue #12): a face lane whose model files are missing or altered refuses
// to start at once with one line naming `npm ci` (which installs them), and nothing is fetched.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { composeGateway } from '../../../gateway/compose.js';
import { serialDevices } from '../../../gateway/devices.js';
import { checkModelFiles, DEFAULT_CACHE_DIR, loadManifest } from '../../../gateway/face/model-files.js';
import { FaceModelsUnavailableError, FacePipeline } from '../../../gateway/face/pipeline.js';
import { createLogger } from '../../../gateway/logger.js';
import { demoConfig } from '../../helpers/harness.js';

const emptyDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-no-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('a pipeline without its model files refuses with a message naming npm ci, fetching nothing', async (t) => {
  const dir = emptyDir();
  const err = await FacePipeline.load({ modelsDir: dir }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof FaceModelsUnavailableError, 'refused with FaceModelsUnavailableError');
  t.match((err as Error).message, /install them with `npm ci`/);
  t.match((err as Error).message, /fr_detect\.onnx, fr_landmark\.onnx, fr_feature\.onnx/);
  t.same(readdirSync(dir), [], 'nothing was fetched into the models dir');
});

t.test('a model file with other bytes than the manifest pins is refused by name', async (t) => {
  const dir = emptyDir();
  const manifest = await loadManifest();
  for (const model of manifest.models) writeFileSync(join(dir, model.file), 'not the pinned model');
  const checked = await checkModelFiles(dir, ['fr_feature.onnx']);
  t.match(checked, { ok: false, reason: 'models.unavailable', detail: /fr_feature\.onnx; install them with `npm ci`/ });
});

t.test('a name the manifest does not hold is refused', async (t) => {
  t.match(await checkModelFiles(emptyDir(), ['fr_unknown.onnx']), {
    ok: false,
    detail: /not in the model manifest: fr_unknown\.onnx/,
  });
});

t.test('a daemon whose face lane has no model files refuses to assemble with one line naming npm ci', async (t) => {
  const config = demoConfig((c) => {
    const entry = c.gate.lanes[1]!.entry!;
    entry.face = { requireFor: ['chip'], targetFmr: '1e-3', liveness: 'off', identifyEnrolled: false };
    c.face.modelsDir = emptyDir();
  });
  const err = await composeGateway({ config, logger: createLogger('silent'), devices: serialDevices() }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.ok(err instanceof FaceModelsUnavailableError, 'the gateway is not built');
  t.notMatch(err?.message, /\n/, 'one line (gate06 gateway prints it after its own name)');
  t.match(err?.message, /fr_detect\.onnx.*install them with `npm ci`/);
});

// npm ci installs the models (package.json postinstall), so the pinned files are always there to check.
t.test('the pinned files npm ci installed are accepted', async (t) => {
  const firstModel = (await loadManifest()).models[0];
  const dir = emptyDir();
  copyFileSync(join(DEFAULT_CACHE_DIR, firstModel.file), join(dir, firstModel.file));
  t.match(await checkModelFiles(dir, [firstModel.file]), { ok: true });
});
