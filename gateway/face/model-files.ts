// The face model files the daemon may use: the manifest that pins each file's sha256 (models/manifest.json)
// and the check that the files in a models directory are the pinned ones. Pure reading and hashing: the
// daemon never fetches anything (issue #12). The files are installed by `npm ci` (the package's postinstall
// step runs models/fetch-models.ts, also `npm run models`), which uses this same manifest reader and check,
// so the install step and the daemon agree on what a good file is.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fail, ok, type Result } from '../../contracts/result.js';

export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
export const MANIFEST_FILE = join(MODELS_DIR, 'manifest.json');
/** The dense face mesh (MediaPipe FaceMesh via @vladmandic/human) for liveness landmarks: a second source, same checks. */
export const MESH_MANIFEST_FILE = join(MODELS_DIR, 'mesh-manifest.json');
export const DEFAULT_CACHE_DIR = join(MODELS_DIR, 'cache');

const ManifestSchema = z.object({
  schema: z.literal(1),
  source: z.object({
    registry: z.literal('npm'),
    package: z.string().regex(/^[a-z0-9@/._-]+$/),
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** npm's Subresource Integrity string of the tarball (`npm pack --json`), checked before extracting */
    integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+={0,2}$/),
    licence: z.string().min(1),
    /** the SPDX id the tarball's package.json must declare: a relicensed re-publish is refused */
    licenceSpdx: z.string().min(1),
    /** when the weights carry another licence than the package that ships them (recorded for the NOTICE) */
    weightsLicenceSpdx: z.string().min(1).optional(),
  }),
  models: z
    .array(
      z.object({
        // ONNX models, or a TFJS graph model's topology (.json) and weights (.bin)
        file: z.string().regex(/^[a-z0-9_]+\.(onnx|json|bin)$/),
        pathInPackage: z.string().regex(/^package\/[A-Za-z0-9_./-]+\.(onnx|json|bin)$/),
        bytes: z.number().int().positive(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1),
});
export type ModelManifest = z.infer<typeof ManifestSchema>;
export type ModelEntry = ModelManifest['models'][number];

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

/** The manifest entries (all, or the named subset) whose file in `dir` is absent or not the pinned bytes. */
export async function modelsNotInPlace(dir: string, manifest: ModelManifest, only?: readonly string[]) {
  const missing: ModelEntry[] = [];
  for (const model of manifest.models) {
    if (only && !only.includes(model.file)) continue;
    if (!(await fileMatches(join(dir, model.file), model.sha256))) missing.push(model);
  }
  return missing;
}

export type ModelFilesCheck = Result<void, 'models.unavailable'>;

export const FETCH_MODELS_HINT =
  'install them with `npm ci` in the gate06 folder (its postinstall step; `npm run models` repeats just that step), which fetches them from the npm registry and checks each sha256';

/** Whether `dir` holds the named model files with their pinned hashes; a refusal names the files and the fix. */
export async function checkModelFiles(
  dir: string,
  only: readonly string[],
  manifestFile = MANIFEST_FILE,
): Promise<ModelFilesCheck> {
  let manifest: ModelManifest;
  try {
    manifest = await loadManifest(manifestFile);
  } catch (err) {
    return fail('models.unavailable', `model manifest unreadable: ${(err as Error).message}`);
  }
  const unknown = only.filter((f) => !manifest.models.some((m) => m.file === f));
  if (unknown.length) {
    return fail('models.unavailable', `not in the model manifest: ${unknown.join(', ')}`);
  }
  const missing = await modelsNotInPlace(dir, manifest, only);
  if (missing.length === 0) return ok(undefined);
  return fail(
    'models.unavailable',
    `face model files missing or not the pinned ones in ${dir}: ${missing.map((m) => m.file).join(', ')}; ${FETCH_MODELS_HINT}`,
  );
}
