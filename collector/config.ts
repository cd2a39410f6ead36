// The collector's configuration: the single source of truth for keys, types and defaults.
// `config/collector.example.yaml` documents each key; errors name the key (see loadCollectorConfig).
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { configFailure, type LoadResult, parseConfig, readYaml } from '../contracts/config-file.js';
import { MqttConnection, resolveMqttPaths } from '../contracts/mqtt-connection.js';
import { ok } from '../contracts/result.js';
import { SecretRef } from '../contracts/secrets.js';
import { CategoryMinCount } from '../contracts/small-cells.js';

const SiteId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only (1-40)');
const ResetAt = z.union([z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (24 h)'), z.literal('never')]);

/** Asia/Ho_Chi_Minh: UTC+7 since 1975, no daylight saving. */
export const VIETNAM_UTC_OFFSET_MINUTES = 420;

export const SiteKind = z.enum(['tourist', 'industrial', 'station']);
export type SiteKind = z.infer<typeof SiteKind>;

export const CollectorSite = z
  .object({
    id: SiteId,
    name: z.string().max(120).default(''),
    kind: SiteKind,
    /** Overrides the kind's occupancy reset rule (see collector/occupancy.ts). */
    occupancyResetAt: ResetAt.optional(),
  })
  .strict();
export type CollectorSite = z.infer<typeof CollectorSite>;

export const CollectorConfig = z
  .object({
    mqtt: MqttConnection.extend({
      url: z.string().min(1).default('mqtt://127.0.0.1:1883'),
      /** Stable across restarts: with clean:false the broker keeps our QoS 1 backlog under this id. */
      clientId: z.string().min(1).max(128).default('gate06-collector'),
      /** MQTT 5 $share for counts and alarms, so several collectors split the load. Brokers without MQTT 5 get plain subscriptions. */
      sharedSubscription: z.boolean().default(true),
      shareGroup: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,40}$/)
        .default('collector'),
      /** Sites to subscribe to; '+' is every site. One collector per group of sites is a valid deployment. */
      sites: z
        .array(z.union([SiteId, z.literal('+')]))
        .min(1)
        .default(['+']),
      /** How long the broker keeps our session (and queues QoS 1 messages) while we are away. */
      sessionExpirySeconds: z
        .number()
        .int()
        .min(0)
        .default(24 * 3600),
      /** Messages larger than this are rejected (reason "oversize") before parsing. */
      maxPayloadBytes: z
        .number()
        .int()
        .min(256)
        .max(1024 * 1024)
        .default(64 * 1024),
    })
      .strict()
      .prefault({}),
    storage: z
      .object({
        /** Used unless DATABASE_URL is set or postgresUrl is given. */
        sqlitePath: z.string().min(1).default('var/collector.db'),
        postgresUrl: z.string().optional(),
        /** PostgreSQL schema for the collector's tables. */
        postgresSchema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/)
          .default('gate06_collector'),
        /** One transaction holds at most this many messages. */
        batchMax: z.number().int().min(1).max(10000).default(1000),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8090),
        /** IOC clients send `Authorization: Bearer <token>` on /v1. */
        apiToken: SecretRef,
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
        /** Source addresses that may scrape /metrics without the token (a Prometheus on the box: ["127.0.0.1"]). */
        metricsOpenTo: z.array(z.ipv4().or(z.ipv6())).default([]),
      })
      .strict(),
    gates: z
      .object({
        /** A gate is shown offline after this much silence even without a last will (a half-open link sends no will). */
        offlineAfterS: z.number().int().min(10).default(180),
        /**
         * The gates' public keys: a JWKS whose Ed25519 keys have kid "site/gate". A message that does not verify
         * with the key of the gate its topic names is refused, so a gate missing here is refused entirely.
         */
        keysFile: z.string().optional(),
        /** The physical bound on a lane: people (in, out or denied) per second of a window; a turnstile does ~1. */
        maxPersonsPerSecond: z.number().positive().max(100).default(2),
        /**
         * Denied presentations per second of a window on a lane: re-scans, several readers and handhelds. A gate
         * drops a reader's presentations past 5 a second a side before deciding them (gateway lane-readers.ts).
         */
        maxDenialsPerSecond: z.number().positive().max(1000).default(20),
        /** How far ahead of the collector's clock a gate's timestamps may be (gate clocks drift and jump). */
        maxClockSkewS: z.number().int().min(0).max(86_400).default(300),
        /**
         * The oldest window start taken: a gate's outbox holds days of windows across an outage (10,000 rows is a
         * week of minutes, and empty runs fold into one row), so 31 days covers any outage the outbox survives.
         */
        maxWindowAgeDays: z.number().int().min(1).max(3650).default(31),
      })
      .strict()
      .prefault({}),
    analytics: z
      .object({
        /**
         * The small-cell minimum the collector applies to every lane window before storing it, whatever the gate
         * applied (the rule and why 3 by default: contracts/small-cells.ts). Raising it applies to windows stored
         * from then on.
         */
        categoryMinCount: CategoryMinCount,
      })
      .strict()
      .prefault({}),
    /** Vietnam has kept UTC+7 without daylight saving since 1975; day buckets and reset times use this offset. */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(VIETNAM_UTC_OFFSET_MINUTES),
    sites: z.array(CollectorSite).default([]),
  })
  .strict();
export type CollectorConfig = z.infer<typeof CollectorConfig>;

/** What `gate06 demo` and the tests start from: SQLite under var/, a demo token, every site. */
export function defaultCollectorConfig(
  overrides: { mqttUrl?: string; sqlitePath?: string; token?: string; keysFile?: string } = {},
): CollectorConfig {
  return CollectorConfig.parse({
    mqtt: {
      url: overrides.mqttUrl ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      clientId: `gate06-collector-demo-${process.pid}`,
    },
    storage: { sqlitePath: overrides.sqlitePath ?? 'var/collector-demo.db' },
    http: { port: 0, apiToken: { demo: overrides.token ?? 'demo-ioc-token-change-me' } },
    gates: overrides.keysFile ? { keysFile: overrides.keysFile } : {},
  });
}

export type StorageChoice = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

/** DATABASE_URL wins (twelve-factor deployments), then storage.postgresUrl, else SQLite. */
export function chooseStorage(cfg: CollectorConfig, env: NodeJS.ProcessEnv = process.env): StorageChoice {
  const url = env.DATABASE_URL || cfg.storage.postgresUrl;
  return url
    ? { kind: 'postgres', url, schema: cfg.storage.postgresSchema }
    : { kind: 'sqlite', path: cfg.storage.sqlitePath };
}

function checkSecrets(cfg: CollectorConfig): string[] {
  const errors: string[] = [];
  const check = (path: string, ref: SecretRef | undefined): void => {
    if (ref && 'env' in ref && !process.env[ref.env])
      errors.push(`${path}: environment variable ${ref.env} is not set`);
  };
  check('http.apiToken', cfg.http.apiToken);
  check('mqtt.password', cfg.mqtt.password);
  const ids = new Set<string>();
  cfg.sites.forEach((s, i) => {
    if (ids.has(s.id)) errors.push(`sites.${i}.id: duplicate site id ${s.id}`);
    ids.add(s.id);
  });
  return errors;
}

/** Relative paths are relative to the config file. */
function resolvePaths(cfg: CollectorConfig, baseDir: string): CollectorConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const secret = (s: SecretRef | undefined): SecretRef | undefined => (s && 'file' in s ? { file: abs(s.file) } : s);
  return {
    ...cfg,
    mqtt: resolveMqttPaths(cfg.mqtt, abs, secret),
    storage: {
      ...cfg.storage,
      sqlitePath: cfg.storage.sqlitePath === ':memory:' ? ':memory:' : abs(cfg.storage.sqlitePath),
    },
    http: { ...cfg.http, apiToken: secret(cfg.http.apiToken)! },
    gates: { ...cfg.gates, keysFile: cfg.gates.keysFile && abs(cfg.gates.keysFile) },
  };
}

export function validateCollectorConfig(input: unknown): LoadResult<CollectorConfig> {
  const parsed = parseConfig(CollectorConfig, input);
  if (!parsed.ok) return parsed;
  const problems = checkSecrets(parsed.value);
  return problems.length ? configFailure('config.invalid', problems) : parsed;
}

export function loadCollectorConfig(path: string): LoadResult<CollectorConfig> {
  const raw = readYaml(path);
  if (!raw.ok) return raw;
  const checked = validateCollectorConfig(raw.value ?? {});
  return checked.ok ? ok(resolvePaths(checked.value, dirname(resolve(path)))) : checked;
}
