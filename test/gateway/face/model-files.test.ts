// The daemon never runs tooling (issue #12): a face lane whose model files are missing or altered refuses
// to start at once with a message naming `npm run models`, and nothing is fetched into its models dir.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkModelFiles, DEFAULT_CACHE_DIR, loadManifest } from '../../../gateway/face/model-files.js';
import { FaceModelsUnavailableError, FacePipeline } from '../../../gateway/face/pipeline.js';

const emptyDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-no-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test(
  'a pipeline without its model files refuses with a message naming npm run models, fetching nothing',
  async (t) => {
    const dir = emptyDir();
    const err = await FacePipeline.load({ modelsDir: dir }).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof FaceModelsUnavailableError, 'refused with FaceModelsUnavailableError');
    t.match((err as Error).message, /npm run models/);
    t.match((err as Error).message, /fr_detect\.onnx, fr_landmark\.onnx, fr_feature\.onnx/);
    t.same(readdirSync(dir), [], 'nothing was fetched into the models dir');
  },
);

t.test('a model file with other bytes than the manifest pins is refused by name', async (t) => {
  const dir = emptyDir();
  const manifest = await loadManifest();
  for (const model of manifest.models) writeFileSync(join(dir, model.file), 'not the pinned model');
  const checked = await checkModelFiles(dir, ['fr_feature.onnx']);
  t.match(checked, { ok: false, reason: 'models.unavailable', detail: /fr_feature\.onnx; run `npm run models`/ });
});

t.test('a name the manifest does not hold is refused', async (t) => {
  t.match(await checkModelFiles(emptyDir(), ['fr_unknown.onnx']), {
    ok: false,
    detail: /not in the model manifest: fr_unknown\.onnx/,
  });
});

const firstModel = (await loadManifest()).models[0];
const pinnedSource = join(DEFAULT_CACHE_DIR, firstModel.file);
t.test(
  'the pinned files in place are accepted',
  { skip: existsSync(pinnedSource) ? false : `${pinnedSource} is absent (run npm run models)` },
  async (t) => {
    const dir = emptyDir();
    copyFileSync(pinnedSource, join(dir, firstModel.file));
    t.match(await checkModelFiles(dir, [firstModel.file]), { ok: true });
  },
);
