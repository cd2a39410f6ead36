// How to reach an MQTT broker, and the one place that turns that config section into an mqtt.js client: URL,
// credentials and TLS files. Shared by the gateway's telemetry and the collector. Reading files and secrets is the only I/O before
// connecting, and a failure comes back as a value naming the key, like config errors.
//
// protocolVersion defaults to 4 (MQTT 3.1.1): the gateway needs no MQTT 5 feature, and the embedded aedes
// broker used by `gate06 demo` and tests speaks 3.1.1 only. The collector asks for 5 for shared subscriptions.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { fail, ok, type Result } from './result.js';
import { SecretRef } from './secrets.js';

/** The `mqtt` config section's connection part: each side extends it with its own keys. */
export const MqttConnection = z.object({
  url: z.string().min(1),
  username: z.string().optional(),
  password: SecretRef.optional(),
  tls: z
    .object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() })
    .strict()
    .optional(),
});
export type MqttConnection = z.infer<typeof MqttConnection>;

/** The broker connection with its relative paths (TLS files, password file) resolved against `abs`. */
export function resolveMqttPaths<T extends MqttConnection>(
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

export interface MqttConnectionSettings {
  url: string;
  username?: string;
  password?: SecretRef;
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface ConnectOptions {
  clientId: string;
  will?: IClientOptions['will'];
  protocolVersion?: 4 | 5;
  /** clean session: true for the gateway, whose durability is its own outbox (nothing stale is replayed) */
  clean?: boolean;
  /** MQTT 5 only: the largest packet this client accepts; the broker drops larger ones for it (§3.1.2.11.4). */
  maximumPacketSize?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  keepaliveS?: number;
  /** How a SecretRef becomes bytes (contracts/secrets.ts resolveSecret in production). */
  resolveSecret?: (ref: SecretRef) => Buffer;
  readFile?: (path: string) => Buffer;
}

/** A setting that cannot be turned into a connection; `detail` names the key (`mqtt.tls.ca: cannot read ...`). */
export type MqttSettingsRejection = 'mqtt.password' | 'mqtt.tls-file' | 'mqtt.tls-scheme';
export type MqttOptionsResult = Result<{ url: string; options: IClientOptions }, MqttSettingsRejection>;

/** Builds mqtt.js options; TLS files are read here so a missing file is reported once, by key. */
export function mqttClientOptions(settings: MqttConnectionSettings, opts: ConnectOptions): MqttOptionsResult {
  const read = opts.readFile ?? ((p: string) => readFileSync(p));
  const options: IClientOptions = {
    clientId: opts.clientId,
    protocolVersion: opts.protocolVersion ?? 4,
    clean: opts.clean ?? true,
    reconnectPeriod: opts.reconnectPeriodMs ?? 2000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    keepalive: opts.keepaliveS ?? 30,
    will: opts.will,
  };
  if (options.protocolVersion === 5 && opts.maximumPacketSize)
    options.properties = { ...options.properties, maximumPacketSize: opts.maximumPacketSize };
  if (settings.username !== undefined) options.username = settings.username;
  if (settings.password !== undefined) {
    if (!opts.resolveSecret) return fail('mqtt.password', 'mqtt.password: no secret resolver was given');
    try {
      options.password = opts.resolveSecret(settings.password);
    } catch (err) {
      return fail('mqtt.password', `mqtt.password: ${(err as Error).message}`);
    }
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    const path = settings.tls?.[key];
    if (!path) continue;
    try {
      options[key] = read(path);
    } catch (err) {
      return fail(
        'mqtt.tls-file',
        `mqtt.tls.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  const tlsWanted = settings.tls?.ca !== undefined || settings.tls?.cert !== undefined;
  if (tlsWanted && !/^(mqtts|wss):/.test(settings.url)) {
    return fail(
      'mqtt.tls-scheme',
      `mqtt.url: TLS files are configured but ${settings.url.split(':')[0]}:// is not a TLS scheme (use mqtts://)`,
    );
  }
  if (/^(mqtts|wss):/.test(settings.url)) options.rejectUnauthorized = true;
  return ok({ url: settings.url, options });
}

/** A reconnecting client (mqtt.connect does not throw; it retries and emits 'connect' / 'close' / 'error'). */
export function connectMqtt(
  settings: MqttConnectionSettings,
  opts: ConnectOptions,
): Result<MqttClient, MqttSettingsRejection> {
  const built = mqttClientOptions(settings, opts);
  if (!built.ok) return built;
  return ok(mqtt.connect(built.value.url, built.value.options));
}

/**
 * Logs a client's errors without flooding the log during an outage: mqtt.js reports ECONNREFUSED on every
 * reconnect attempt (every couple of seconds), so the same message is logged once, then again at most every
 * `everyMs` with how often it recurred, and the outage's end is logged on the next connect.
 */
export function logErrorsQuietly(client: MqttClient, log: Logger, everyMs = 60_000, now = Date.now): void {
  let last: { message: string; at: number; repeats: number } | null = null;
  client.on('error', (err) => {
    const t = now();
    if (last && last.message === err.message && t - last.at < everyMs) {
      last.repeats += 1;
      return;
    }
    log.warn({ err: err.message, ...(last?.repeats ? { repeatedBefore: last.repeats } : {}) }, 'mqtt error');
    last = { message: err.message, at: t, repeats: 0 };
  });
  client.on('connect', () => {
    if (last) log.info({ lastError: last.message, repeated: last.repeats }, 'mqtt reconnected after errors');
    last = null;
  });
}
