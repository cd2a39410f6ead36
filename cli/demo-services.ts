// The demo's supporting services: an MQTT broker (embedded aedes unless MQTT_URL names one) and the
// collector on its own SQLite file, so the demo shows the whole path from a lane to the IOC.

import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { defaultCollectorConfig } from '../collector/config.js';
import { type RunningCollector, startCollector } from '../collector/main.js';
import type { GatewayConfig } from '../gateway/config/schema.js';

export const DEMO_COLLECTOR_TOKEN = 'DEMO-ioc-token-0001';

export interface CollectorSummary {
  /** Rows of the collector's per-lane daily totals below (one per lane and day), not count windows. */
  laneDays: number;
  lanes: Record<string, { in: number; out: number; denied: number }>;
  gates: Array<{ gate: string; state: string }>;
  alarms: number;
}

export interface DemoServices {
  mqttUrl: string;
  collectorUrl: string;
  collectorToken: string;
  summary(): Promise<CollectorSummary>;
  stop(): Promise<void>;
}

export async function startDemoServices(opts: {
  dataDir: string;
  logger: Logger;
  config: GatewayConfig;
  /** the registry holding the demo gate's DEMO key (seeds/demo/gate-keys/jwks.json) */
  gateKeysFile: string;
}): Promise<DemoServices> {
  const stops: Array<() => Promise<void>> = [];
  let mqttUrl = process.env.MQTT_URL;
  if (!mqttUrl) {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    mqttUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stops.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    });
  }
  const collectorConfig = defaultCollectorConfig({
    mqttUrl,
    sqlitePath: join(opts.dataDir, 'collector.db'),
    token: DEMO_COLLECTOR_TOKEN,
    keysFile: opts.gateKeysFile,
  });
  // Only the demo's own site: on a shared broker (MQTT_URL) a '+' shared subscription would split the
  // demo's windows with any other collector in the same share group.
  collectorConfig.mqtt.sites = [opts.config.site.id];
  // The demo's collector lives as long as the demo: no session left behind on the broker to take a share
  // of the next run's messages.
  collectorConfig.mqtt.sessionExpirySeconds = 0;
  // The collector names its own channels (collector:mqtt, collector:http); a channel bound here as well
  // would print the key twice in every JSON line.
  const collector: RunningCollector = await startCollector(collectorConfig, { log: opts.logger });
  stops.unshift(() => collector.stop());
  const site = opts.config.site.id;
  return {
    mqttUrl,
    collectorUrl: collector.url,
    collectorToken: DEMO_COLLECTOR_TOKEN,
    summary: async () => {
      // Give the last windows (closed on the gateway's stop) a moment to arrive and be committed.
      await new Promise((r) => setTimeout(r, 1500));
      const cells = await collector.store.countsCells({
        site,
        from: 0,
        to: Date.now() + 86400_000,
        bucket: 'day',
        utcOffsetMinutes: 420,
      });
      const lanes: CollectorSummary['lanes'] = {};
      for (const c of cells) {
        const l = (lanes[c.lane] ??= { in: 0, out: 0, denied: 0 });
        l.in += c.in;
        l.out += c.out;
        l.denied += c.denied;
      }
      const gates = (await collector.store.gates(site)).map((g) => ({ gate: g.gate, state: g.state }));
      const alarms = (await collector.store.alarms({ site, limit: 10_000 })).length;
      return { laneDays: cells.length, lanes, gates, alarms };
    },
    stop: async () => {
      for (const s of stops) await s().catch(() => {});
    },
  };
}
