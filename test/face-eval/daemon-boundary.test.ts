import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// The daemon never runs evaluation tooling (DESIGN.md "Layers"): face-eval/ reads datasets and draws ROC
// curves for the CLI, the benchmarks and the threshold derivation, and a gate box has no use for any of it.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sourceFiles(path)));
    else if (/\.(ts|js|mjs)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Import specifiers of static imports, re-exports and dynamic imports written with a string literal. */
function importedPaths(source: string): string[] {
  const specifiers = source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g);
  return [...specifiers].map((m) => m[1]);
}

t.test('the import scanner sees static, re-exported and dynamic imports', async (t) => {
  const source = [
    "import { a } from '../../face-eval/dataset.js';",
    "export { b } from './b.js';",
    "const c = await import('../c.js');",
    "import './side-effect.js';",
  ].join('\n');
  t.same(importedPaths(source), ['../../face-eval/dataset.js', './b.js', '../c.js', './side-effect.js']);
});

t.test('nothing under gateway/ imports the face evaluation tooling', async (t) => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(join(ROOT, 'gateway'))) {
    const imports = importedPaths(await readFile(file, 'utf8'));
    if (imports.some((p) => /(^|\/)face-eval\//.test(p))) offenders.push(relative(ROOT, file));
  }
  t.same(offenders, []);
});

t.test('the runtime face folder holds no evaluation tooling any more', async (t) => {
  const runtime = await readdir(join(ROOT, 'gateway/face'));
  for (const tooling of ['dataset.ts', 'evaluate.ts', 'verification-metrics.ts', 'roc-plot.ts'])
    t.notOk(runtime.includes(tooling), `${tooling} lives in face-eval/`);
});
