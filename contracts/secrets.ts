// Secret references: a secret is never written in a YAML config itself. The gate and the collector both
// read their keys, tokens and passwords through these, so the rule holds on both sides.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A secret names an env variable or a file outside the repo; `demo` is a literal, for simulations only. */
export const SecretRef = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  // Only for the simulator and tests: a literal value, flagged so that it shows up in review and in /healthz.
  z.object({ demo: z.string().min(16) }).strict(),
]);
export type SecretRef = z.infer<typeof SecretRef>;

export class SecretError extends Error {}

/** Secrets come from the environment or from files outside the repository; `demo` values only in simulations. */
export function resolveSecret(ref: SecretRef): Buffer {
  if ('env' in ref) {
    const v = process.env[ref.env];
    if (!v) throw new SecretError(`environment variable ${ref.env} is not set`);
    return Buffer.from(v, 'utf8');
  }
  if ('file' in ref) {
    try {
      return Buffer.from(readFileSync(ref.file, 'utf8').trim(), 'utf8');
    } catch (err) {
      throw new SecretError(`cannot read secret file ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  return Buffer.from(ref.demo, 'utf8');
}
