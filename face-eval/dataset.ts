// Evaluation datasets: DIR/index.json maps identity -> image paths relative to DIR.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { fail, ok, type Result } from '../contracts/result.js';

const IndexSchema = z.record(z.string().min(1), z.array(z.string().min(1)).min(1));

export interface DatasetImage {
  identity: string;
  /** path relative to the dataset folder, as in index.json */
  file: string;
  absolutePath: string;
}

export type DatasetResult = Result<{ images: DatasetImage[]; identities: number }, 'dataset.invalid'>;

export async function loadDataset(dir: string): Promise<DatasetResult> {
  const indexFile = join(dir, 'index.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(indexFile, 'utf8'));
  } catch (err) {
    return fail('dataset.invalid', `${indexFile}: ${(err as Error).message}`);
  }
  const parsed = IndexSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('dataset.invalid', `${indexFile}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const images: DatasetImage[] = [];
  for (const [identity, files] of Object.entries(parsed.data)) {
    for (const file of files) {
      const rel = normalize(file);
      // an index must not reach outside its folder
      if (isAbsolute(rel) || rel.startsWith(`..${sep}`) || rel === '..')
        return fail('dataset.invalid', `${indexFile}: ${identity}: path ${file} leaves the dataset folder`);
      images.push({ identity, file, absolutePath: join(dir, rel) });
    }
  }
  return ok({ images, identities: Object.keys(parsed.data).length });
}
