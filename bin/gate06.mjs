#!/usr/bin/env node
// The gate06 command. Runs the TypeScript sources through tsx, so a clean clone needs no build step;
// a production image may run the compiled dist/ instead (see Dockerfile).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (process.env.GATE06_USE_DIST === '1' && existsSync(compiled)) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
