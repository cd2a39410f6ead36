// The collector's composition root: store, metrics, MQTT ingest and HTTP, started in that order and stopped
// in reverse (HTTP first so no request sees a closed store; ingest commits its queue before the store closes).
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { resolveSecret } from '../contracts/secrets.js';
import { type CollectorConfig, chooseStorage } from './config.js';
import { loadGateKeys } from './gate-keys.js';
import { createCollectorHttp } from './http/server.js';
import { Ingest } from './ingest.js';
import { type CollectorMetrics, createCollectorMetrics } from './metrics.js';
import { openStore } from './storage/open.js';
import type { CollectorStore } from './storage/types.js';

export interface RunningCollector {
  url: string;
  app: FastifyInstance;
  ingest: Ingest;
  store: CollectorStore;
  metrics: CollectorMetrics;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Use this store instead of the configured one (tests); it is still closed on stop. */
  store?: CollectorStore;
  env?: NodeJS.ProcessEnv;
  defaultMetrics?: boolean;
}

export async function startCollector(cfg: CollectorConfig, opts: StartOptions = {}): Promise<RunningCollector> {
  const log = opts.log ?? pino({ name: 'gate06:collector' });
  const keys = loadGateKeys(cfg.gates.keysFile);
  if (!keys.ok) throw new Error(keys.detail);
  const store = opts.store ?? (await openStore(chooseStorage(cfg, opts.env), cfg.utcOffsetMinutes));
  const metrics = createCollectorMetrics({ defaultMetrics: opts.defaultMetrics });
  const ingest = new Ingest({
    mqtt: cfg.mqtt,
    store,
    metrics,
    log: log.child({ channel: 'collector:mqtt' }),
    batchMax: cfg.storage.batchMax,
    categoryMinCount: cfg.analytics.categoryMinCount,
    policy: {
      maxPayloadBytes: cfg.mqtt.maxPayloadBytes,
      keys: keys.value,
      maxPersonsPerSecond: cfg.gates.maxPersonsPerSecond,
      maxDenialsPerSecond: cfg.gates.maxDenialsPerSecond,
      maxClockSkewMs: cfg.gates.maxClockSkewS * 1000,
      maxWindowAgeMs: cfg.gates.maxWindowAgeDays * 86_400_000,
    },
  });
  try {
    await ingest.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  const app = await createCollectorHttp({
    store,
    ingest,
    metrics,
    sites: cfg.sites,
    offlineAfterS: cfg.gates.offlineAfterS,
    utcOffsetMinutes: cfg.utcOffsetMinutes,
    apiToken: resolveSecret(cfg.http.apiToken),
    bodyLimitBytes: cfg.http.bodyLimitBytes,
    metricsOpenTo: cfg.http.metricsOpenTo,
    logger: log,
  });
  const address = await app.listen({ host: cfg.http.host, port: cfg.http.port });
  log.info({ url: address, storage: store.kind }, 'collector listening');
  return {
    url: address,
    app,
    ingest,
    store,
    metrics,
    async stop() {
      await app.close();
      await ingest.stop();
      await store.close();
    },
  };
}
