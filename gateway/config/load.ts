// Loads the gateway's YAML config: the generic reading and validation is contracts/config-file.ts; here the
// gateway's own schema, its secrets checked at load time and its relative paths resolved.
import { dirname, isAbsolute, resolve } from 'node:path';
import { configFailure, type LoadResult, parseConfig, readYaml } from '../../contracts/config-file.js';
import { resolveMqttPaths } from '../../contracts/mqtt-connection.js';
import { ok } from '../../contracts/result.js';
import type { SecretRef } from '../../contracts/secrets.js';
import { GatewayConfig } from './schema.js';

// The gateway reads its secrets with the contract layer's resolver; re-exported so gateway files keep one import.
export { resolveSecret, SecretError } from '../../contracts/secrets.js';

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
  const checked = checkSecrets(parsed.value);
  if (checked.length) return configFailure('config.invalid', checked);
  return ok(resolvePaths(parsed.value, dirname(resolve(path))));
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
