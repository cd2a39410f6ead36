// The build's second step: tsc compiles TypeScript only, but the console and the IOC dashboard are browser
// files served from beside their plugin (gateway/console/public/, collector/dashboard/), so dist/ needs copies
// of them at the same relative places. Type declarations are for the type check, not for browsers: left out.
import { cpSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STATIC_DIRS = ['gateway/console/public', 'collector/dashboard'];

for (const dir of STATIC_DIRS) {
  const from = `${ROOT}${dir}`;
  if (!existsSync(from)) throw new Error(`copy-static: ${dir} is missing`);
  cpSync(from, `${ROOT}dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.d.ts') });
}
