// The demo's supporting services: an MQTT broker (embedded aedes unless MQTT_URL names one) and the collector.
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway/config/schema.js';

export interface DemoServices {
  mqttUrl?: string;
  collectorUrl?: string;
  collectorToken?: string;
  summary(): Promise<Record<string, unknown> | null>;
  stop(): Promise<void>;
}

export async function startDemoServices(opts: { dataDir: string; logger: Logger; config: GatewayConfig }): Promise<DemoServices> {
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
  void opts;
  return {
    mqttUrl,
    summary: async () => null,
    stop: async () => {
      for (const s of stops.reverse()) await s().catch(() => {});
    },
  };
}
