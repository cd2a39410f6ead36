// Published similarity thresholds (models/thresholds.json): the config names a target false match
// rate, and this maps it to a cosine similarity measured on held-out photos.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fail, ok, type Result } from '../../contracts/result.js';

export const DEFAULT_THRESHOLDS_FILE = fileURLToPath(new URL('../../models/thresholds.json', import.meta.url));

const Similarity = z.number().min(-1).max(1);
const ThresholdsFileSchema = z.object({
  schema: z.literal(1),
  similarity: z
    .object({ '1e-2': Similarity, '1e-3': Similarity, '1e-4': Similarity })
    .refine(
      (s) => s['1e-2'] <= s['1e-3'] && s['1e-3'] <= s['1e-4'],
      'thresholds must not fall as the target FMR gets stricter',
    ),
});

export type Thresholds = { '1e-2': number; '1e-3': number; '1e-4': number };
export type ThresholdsResult = Result<Thresholds, 'thresholds.invalid'>;
export type TargetFmr = keyof Thresholds;

export function parseThresholds(raw: unknown, source = 'thresholds'): ThresholdsResult {
  const parsed = ThresholdsFileSchema.safeParse(raw);
  if (!parsed.success) {
    return fail(
      'thresholds.invalid',
      parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  return ok(parsed.data.similarity);
}

/** Reads and validates a thresholds file; throws one clear Error naming the file and the key. */
export async function loadThresholds(file = DEFAULT_THRESHOLDS_FILE): Promise<Thresholds> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read face thresholds: ${(err as Error).message}`);
  }
  const result = parseThresholds(raw, file);
  if (!result.ok) throw new Error(result.detail ?? result.reason);
  return result.value;
}

/**
 * The similarity for a configured target FMR: the published threshold of the nearest FMR that is
 * at least as strict (a target between published points takes the stricter one, never the looser).
 */
export function similarityForTargetFmr(thresholds: Thresholds, targetFmr: number): number {
  if (!(targetFmr > 0)) throw new RangeError(`target FMR must be > 0, got ${targetFmr}`);
  if (targetFmr >= 1e-2) return thresholds['1e-2'];
  if (targetFmr >= 1e-3) return thresholds['1e-3'];
  if (targetFmr >= 1e-4) return thresholds['1e-4'];
  throw new RangeError(`target FMR ${targetFmr} is stricter than any measured threshold (1e-4)`);
}
