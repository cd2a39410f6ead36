// Reads YAML config, validates it against the schema, and turns every problem into one line naming the key.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewayConfig, type MqttConnection, type SecretRef } from './schema.js';

export type LoadResult<T> = { ok: true; config: T } | { ok: false; errors: string[] };

/** `gate.lanes.0.turnstile.address: expected number, received string` — one line per problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): LoadResult<z.infer<S>> {
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, config: parsed.data } : { ok: false, errors: formatIssues(parsed.error.issues) };
}

export function readYaml(path: string): { ok: true; value: unknown } | { ok: false; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      errors: [`(file): cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`],
    };
  }
  if (text.length > 1024 * 1024) return { ok: false, errors: ['(file): config larger than 1 MiB'] };
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.map((e) => `(yaml) line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    };
  }
  return { ok: true, value: doc.toJS({ maxAliasCount: 50 }) };
}

/** Relative file paths in a config are relative to the config file, so a config and its keys can move together. */
export function resolvePaths(config: GatewayConfig, baseDir: string): GatewayConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const secret = (s: SecretRef | undefined): SecretRef | undefined => (s && 'file' in s ? { file: abs(s.file) } : s);
  return {
    ...config,
    site: { ...config.site, idHashKey: secret(config.site.idHashKey)! },
    tickets: { ...config.tickets, jwksFile: abs(config.tickets.jwksFile) },
    chip: config.chip ? { trustStore: abs(config.chip.trustStore) } : undefined,
    watchlist: config.watchlist
      ? {
          ...config.watchlist,
          file: config.watchlist.file ? abs(config.watchlist.file) : undefined,
          signerJwksFile: abs(config.watchlist.signerJwksFile),
        }
      : undefined,
    store: {
      ...config.store,
      path: abs(config.store.path),
      personal: { ...config.store.personal, key: secret(config.store.personal.key) },
    },
    http: {
      ...config.http,
      deviceTokens: config.http.deviceTokens.map((s) => secret(s)!),
      integrationTokens: config.http.integrationTokens.map((s) => secret(s)!),
      staffTokens: config.http.staffTokens.map((s) => secret(s)!),
    },
    mqtt: config.mqtt
      ? {
          ...resolveMqttPaths(config.mqtt, abs, secret),
          commandSignerJwksFile: config.mqtt.commandSignerJwksFile && abs(config.mqtt.commandSignerJwksFile),
          signingKey: secret(config.mqtt.signingKey),
        }
      : undefined,
    face: {
      ...config.face,
      modelsDir: config.face.modelsDir && abs(config.face.modelsDir),
      thresholdsFile: config.face.thresholdsFile && abs(config.face.thresholdsFile),
      enrollmentKey: secret(config.face.enrollmentKey),
    },
  };
}

export function loadConfig(path: string): LoadResult<GatewayConfig> {
  const raw = readYaml(path);
  if (!raw.ok) return raw;
  const parsed = parseConfig(GatewayConfig, raw.value);
  if (!parsed.ok) return parsed;
  const checked = checkSecrets(parsed.config);
  if (checked.length) return { ok: false, errors: checked };
  return { ok: true, config: resolvePaths(parsed.config, dirname(resolve(path))) };
}

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

/** Env-var secrets are checked at load time so a missing one is a config error naming its key, not a crash later. */
function checkSecrets(cfg: GatewayConfig): string[] {
  const errors: string[] = [];
  const check = (path: string, ref: SecretRef | undefined): void => {
    if (ref && 'env' in ref && !process.env[ref.env])
      errors.push(`${path}: environment variable ${ref.env} is not set`);
  };
  check('site.idHashKey', cfg.site.idHashKey);
  cfg.http.deviceTokens.forEach((r, i) => check(`http.deviceTokens.${i}`, r));
  cfg.http.integrationTokens.forEach((r, i) => check(`http.integrationTokens.${i}`, r));
  cfg.http.staffTokens.forEach((r, i) => check(`http.staffTokens.${i}`, r));
  check('store.personal.key', cfg.store.personal.key);
  check('mqtt.password', cfg.mqtt?.password);
  check('mqtt.signingKey', cfg.mqtt?.signingKey);
  check('face.enrollmentKey', cfg.face.enrollmentKey);
  if (cfg.store.personal.enabled && !cfg.store.personal.key)
    errors.push('store.personal.key: required when store.personal.enabled is true');
  return errors;
}

/** The broker connection with its relative paths (TLS files, password file) resolved against `abs`. */
export function resolveMqttPaths<T extends z.infer<typeof MqttConnection>>(
  m: T,
  abs: (p: string) => string,
  secret: (s: SecretRef | undefined) => SecretRef | undefined,
): T {
  const tls = m.tls;
  return {
    ...m,
    password: secret(m.password),
    tls: tls ? { ca: tls.ca && abs(tls.ca), cert: tls.cert && abs(tls.cert), key: tls.key && abs(tls.key) } : undefined,
  };
}
