// The generic half of loading a YAML config, shared by the gateway and the collector: read the file, parse
// the YAML strictly, validate against a zod schema, and turn every problem into one line naming the key.
// Each side keeps its own schema and what it does after validation (paths, secrets checked at load time).
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Failure, ok, type Result } from './result.js';

/** Why a config was refused: the file cannot be read, it is not YAML, or a value is wrong (or a secret unset). */
export type ConfigRejection = 'config.unreadable' | 'config.bad-yaml' | 'config.invalid';
/** A refused config lists every problem, one line each naming the key; `detail` is the same lines joined. */
export type ConfigFailure = Failure<ConfigRejection, { detail: string; problems: string[] }>;
export type LoadResult<T> = Result<T, ConfigRejection, { detail: string; problems: string[] }>;

export const configFailure = (reason: ConfigRejection, problems: string[]): ConfigFailure => ({
  ok: false,
  reason,
  detail: problems.join('\n'),
  problems,
});

/** `gate.lanes.0.turnstile.address: expected number, received string` — one line per problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): LoadResult<z.infer<S>> {
  const parsed = schema.safeParse(input);
  return parsed.success ? ok(parsed.data) : configFailure('config.invalid', formatIssues(parsed.error.issues));
}

/** A config is small; 1 MiB bounds what a wrong path (a log file, a device) can make us parse. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export function readYaml(path: string): LoadResult<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return configFailure('config.unreadable', [
      `(file): cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  if (text.length > MAX_CONFIG_BYTES) return configFailure('config.unreadable', ['(file): config larger than 1 MiB']);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return configFailure(
      'config.bad-yaml',
      doc.errors.map((e) => `(yaml) line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  // Bounded aliases: a "billion laughs" YAML cannot expand into gigabytes. toJS throws on that and on an
  // alias whose anchor is missing (found by fast-check): both are a config error, not a crash.
  try {
    return ok(doc.toJS({ maxAliasCount: 50 }) as unknown);
  } catch (err) {
    return configFailure('config.bad-yaml', [`(yaml): ${(err as Error).message.split('\n')[0].trim()}`]);
  }
}
