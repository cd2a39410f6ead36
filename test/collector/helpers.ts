// Shared by the collector tests: a collector on port 0 with a temp SQLite file, subscribed only to the test's
// own sites (tests share one broker), and a way to wait until it has stored what was published.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { CollectorConfig } from '../../collector/config.js';
import { type RunningCollector, startCollector } from '../../collector/main.js';
import type { CollectorStore } from '../../collector/storage/types.js';

export const TEST_TOKEN = 'test-ioc-token-0123456789';

export async function startTestCollector(o: {
  mqttUrl: string;
  sites: string[];
  clientId: string;
  store?: CollectorStore;
  offlineAfterS?: number;
  configSites?: CollectorConfig['sites'];
  /** the registry of gate keys (JWKS, kid site/gate); without it every gate message is refused */
  gateKeys?: { keys: object[] };
  /** where the collector logs (default: nowhere) */
  log?: Logger;
}): Promise<RunningCollector & { dir: string; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-collector-'));
  const keysFile = join(dir, 'gate-keys.json');
  writeFileSync(keysFile, JSON.stringify(o.gateKeys ?? { keys: [] }));
  const cfg = CollectorConfig.parse({
    mqtt: { url: o.mqttUrl, clientId: o.clientId, sites: o.sites, sessionExpirySeconds: 30 },
    storage: { sqlitePath: join(dir, 'collector.db') },
    http: { port: 0, apiToken: { demo: TEST_TOKEN } },
    gates: { offlineAfterS: o.offlineAfterS ?? 180, keysFile },
    sites: o.configSites ?? [],
  });
  const c = await startCollector(cfg, { log: o.log ?? pino({ level: 'silent' }), store: o.store, env: {} });
  return {
    ...c,
    dir,
    async dispose() {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() is true (the collector writes asynchronously); fails after `ms` with the last value. */
export async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!check(v)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${ms} ms; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

export const auth = { authorization: `Bearer ${TEST_TOKEN}` };
