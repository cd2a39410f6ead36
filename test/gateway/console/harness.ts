// A gateway on simulated hardware (mock serial transport) with the console plugin, three console users and
// a captured log, in a temp dir: what the console, security and privacy tests run against.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { UserStore } from '../../../gateway/auth/users.js';
import { type ComposeOptions, composeGateway } from '../../../gateway/compose.js';
import { loadConfig } from '../../../gateway/config/load.js';
import type { GatewayConfig } from '../../../gateway/config/schema.js';
import type { ConsoleOptions } from '../../../gateway/console/plugin.js';
import type { Gateway } from '../../../gateway/gateway.js';
import { createLogger } from '../../../gateway/logger.js';
import { SimRig } from '../../../sim/rig.js';

export const PASSWORDS = { op: 'operator-pass-0001', sec: 'security-pass-0001', admin: 'admin-pass-000001' } as const;
export const DEMO_PERSONAL_KEY = 'DEMO-personal-key-not-for-production-0001';

export interface Harness {
  gw: Gateway;
  rig: SimRig;
  url: string;
  dir: string;
  dbPath: string;
  config: GatewayConfig;
  /** Every log line the gateway wrote (JSON text). */
  logs: string[];
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  personal?: boolean;
  now?: () => number;
  dir?: string;
  console?: ConsoleOptions;
  extra?: Partial<ComposeOptions>;
  logLevel?: string;
  /** Changes to the demo config before the simulator cables it (a face policy on a lane, say). */
  configure?: (config: GatewayConfig) => void;
}

export function demoConfig(dir: string, personal: boolean): GatewayConfig {
  const loaded = loadConfig(join(import.meta.dirname, '../../../seeds/demo/gateway.yaml'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const config = structuredClone(loaded.config);
  config.store.path = join(dir, 'gateway.db');
  config.http.port = 0;
  config.http.host = '127.0.0.1';
  config.mqtt = undefined;
  config.store.personal = personal
    ? { enabled: true, retentionDays: 30, keyId: 'k1', key: { demo: DEMO_PERSONAL_KEY } }
    : { enabled: false, retentionDays: 30, keyId: 'k1' };
  return config;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gate06-console-'));
  const config = demoConfig(dir, opts.personal ?? false);
  opts.configure?.(config);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(opts.logLevel ?? 'info', sink);
  const rig = await SimRig.start(config, { transport: 'mock', dir: join(dir, 'rig') });
  const gw = await composeGateway({
    config: rig.config,
    logger,
    devices: rig.devices,
    now: opts.now,
    console: { liveHeartbeatMs: 200, ...opts.console },
    ...opts.extra,
  });
  const users = new UserStore(gw.core.store.repos.auth);
  if (!users.get('op')) {
    await users.add('op', 'operator', PASSWORDS.op);
    await users.add('sec', 'security', PASSWORDS.sec);
    await users.add('admin', 'admin', PASSWORDS.admin);
  }
  await gw.start();
  return {
    gw,
    rig,
    url: gw.url,
    dir,
    dbPath: config.store.path,
    config: rig.config,
    logs,
    async stop(o = {}) {
      await gw.stop();
      await rig.stop();
      if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tiny cookie-keeping client for the API: logs in, then sends the session cookie and the CSRF token. */
export class ApiClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async login(name: string, password: string): Promise<Response> {
    const res = await fetch(`${this.base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    if (res.ok) this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    return res;
  }

  fetch(
    path: string,
    init: { method?: string; body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
    const csrf = init.csrf === undefined ? this.csrf : init.csrf;
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    return fetch(`${this.base}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  }
}

export const until = async (cond: () => boolean | Promise<boolean>, what: string, tries = 200): Promise<void> => {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};
