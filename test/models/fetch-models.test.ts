import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_CACHE_DIR, ensureModels, loadManifest } from '../../models/fetch-models.js';

t.test('the manifest pins four models from the npm package, each with a sha256, licence and role', async (t) => {
  const manifest = await loadManifest();
  t.equal(manifest.source.registry, 'npm');
  t.match(manifest.source.licence, /MIT/);
  t.same(
    manifest.models.map((m) => m.file),
    ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx', 'fr_liveness.onnx'],
  );
  for (const m of manifest.models) t.match(m.sha256, /^[0-9a-f]{64}$/);
});

t.test('an unreadable manifest is a clear models.unavailable, not a crash', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gate06-manifest-'));
  const bad = join(dir, 'manifest.json');
  await writeFile(bad, JSON.stringify({ schema: 1, models: [] }));
  t.match(await ensureModels(dir, { manifestFile: bad }), {
    ok: false,
    reason: 'models.unavailable',
    detail: /manifest/,
  });
});

const cache = await ensureModels(DEFAULT_CACHE_DIR);
if (!cache.ok) {
  t.skip(`model fetch tests: ${cache.detail}`, () => {});
} else {
  t.test('the cache holds every model with its pinned hash', async (t) => {
    const manifest = await loadManifest();
    for (const m of manifest.models) {
      const bytes = await readFile(join(DEFAULT_CACHE_DIR, m.file));
      t.equal(createHash('sha256').update(bytes).digest('hex'), m.sha256, m.file);
    }
  });

  t.test(
    'two processes fetching into an empty folder at once both end with verified files and no temp files',
    async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'gate06-models-'));
      const only = ['fr_landmark.onnx'];
      const [a, b] = await Promise.all([ensureModels(dir, { only }), ensureModels(dir, { only })]);
      t.match(a, { ok: true });
      t.match(b, { ok: true });
      t.same(await readdir(dir), ['fr_landmark.onnx']);
      t.match(
        await ensureModels(dir, { only }),
        { ok: true, value: { fetched: [] } },
        'a second call finds them and fetches nothing',
      );
    },
  );

  t.test('a corrupted model file is detected and replaced', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gate06-models-'));
    await writeFile(join(dir, 'fr_landmark.onnx'), 'not a model');
    t.match(await ensureModels(dir, { only: ['fr_landmark.onnx'] }), {
      ok: true,
      value: { fetched: ['fr_landmark.onnx'] },
    });
  });
}
