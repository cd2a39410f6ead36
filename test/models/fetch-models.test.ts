import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  DEFAULT_CACHE_DIR,
  ensureModels,
  loadManifest,
  MANIFEST_FILE,
  MESH_MANIFEST_FILE,
} from '../../models/fetch-models.js';

t.test('the manifest pins four models from the npm package, each with a sha256, licence and role', async (t) => {
  const manifest = await loadManifest();
  t.equal(manifest.source.registry, 'npm');
  t.match(manifest.source.licence, /MIT/);
  t.same(
    manifest.models.map((m) => m.file),
    ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx', 'fr_liveness.onnx'],
  );
  for (const m of manifest.models) t.match(m.sha256, /^[0-9a-f]{64}$/);
  t.match(manifest.source.integrity, /^sha512-/, 'the tarball is pinned like a lockfile entry');
  t.equal(manifest.source.licenceSpdx, 'MIT');
});

t.test('the mesh manifest pins FaceMesh and Iris from @vladmandic/human, with both licences recorded', async (t) => {
  const manifest = await loadManifest(MESH_MANIFEST_FILE);
  t.equal(manifest.source.package, '@vladmandic/human');
  t.equal(manifest.source.licenceSpdx, 'MIT', 'the package as published');
  t.equal(manifest.source.weightsLicenceSpdx, 'Apache-2.0', 'the MediaPipe weights it carries');
  t.same(
    manifest.models.map((m) => m.file),
    ['facemesh.json', 'facemesh.bin', 'iris.json', 'iris.bin'],
  );
  for (const m of manifest.models) t.match(m.sha256, /^[0-9a-f]{64}$/);
  t.match(manifest.source.integrity, /^sha512-/);
});

t.test('npm ci installs the models: package.json runs this fetch as its postinstall step', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  t.match(pkg.scripts.postinstall, /models\/fetch-models\.ts/);
  t.notOk(
    Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).includes('faceplugin-face-recognition-js'),
    'the model package (with its 673-package dependency tree) is not a dependency',
  );
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

  const alteredManifest = async (change: (source: Record<string, unknown>) => void): Promise<string> => {
    const manifest = JSON.parse(await readFile(MANIFEST_FILE, 'utf8'));
    change(manifest.source);
    const file = join(await mkdtemp(join(tmpdir(), 'gate06-manifest-')), 'manifest.json');
    await writeFile(file, JSON.stringify(manifest));
    return file;
  };

  t.test('a tarball whose integrity is not the pinned one is refused and nothing lands', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gate06-models-'));
    const manifestFile = await alteredManifest((s) => {
      s.integrity = `sha512-${Buffer.alloc(64).toString('base64')}`;
    });
    t.match(await ensureModels(dir, { only: ['fr_landmark.onnx'], manifestFile }), {
      ok: false,
      reason: 'models.unavailable',
      detail: /tarball has integrity sha512-\S+, manifest pins sha512-AAAA/,
    });
    t.same(await readdir(dir), []);
  });

  t.test('a package that declares another licence than the manifest expects is refused', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gate06-models-'));
    const manifestFile = await alteredManifest((s) => {
      s.licenceSpdx = 'Apache-2.0';
    });
    t.match(await ensureModels(dir, { only: ['fr_landmark.onnx'], manifestFile }), {
      ok: false,
      detail: /declares licence "MIT", manifest expects Apache-2\.0/,
    });
    t.same(await readdir(dir), []);
  });

  t.test('a corrupted model file is detected and replaced', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gate06-models-'));
    await writeFile(join(dir, 'fr_landmark.onnx'), 'not a model');
    t.match(await ensureModels(dir, { only: ['fr_landmark.onnx'] }), {
      ok: true,
      value: { fetched: ['fr_landmark.onnx'] },
    });
  });
}
