// The store's and telemetry's health as Prometheus gauges, read when /metrics is scraped.
import { Gauge } from 'prom-client';
import type { GatewayMetrics } from './metrics.js';
import { STORE_PROBLEMS } from './store/store-errors.js';
import type { StoreWatch } from './store/store-watch.js';
import type { Telemetry } from './telemetry/telemetry.js';

/** The store's health as metrics: available or not, the current problem, owed writes, low disk. */
export function registerStoreGauges(metrics: GatewayMetrics, watch: StoreWatch): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'gate06_store_available',
    help: 'The event log can be written (1) or not (0: every decision is a deny with store.unavailable)',
    registers,
    collect() {
      this.set(watch.status().available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gate06_store_problem',
    help: 'Why the event log cannot be written: 1 for the current problem, 0 for the others',
    labelNames: ['problem'] as const,
    registers,
    collect() {
      const now = watch.status().problem;
      for (const p of STORE_PROBLEMS) this.set({ problem: p }, p === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gate06_store_owed_writes',
    help: 'Log writes (alarms, passages, timed-out grants) waiting for the store to come back',
    registers,
    collect() {
      this.set(watch.status().owed);
    },
  });
  new Gauge({
    name: 'gate06_store_disk_low',
    help: "The store's file system is below store.minFreeMb or store.minFreePercent (1) or not (0)",
    registers,
    collect() {
      this.set(watch.status().diskLow ? 1 : 0);
    },
  });
}

/** MQTT telemetry as metrics: connected, outbox depth and capacity, published windows, errors. */
export function registerTelemetryGauges(metrics: GatewayMetrics, telemetry: Pick<Telemetry, 'stats'>): void {
  new Gauge({
    name: 'gate06_telemetry',
    help: 'MQTT telemetry: connected, outbox depth and capacity, published windows, errors',
    labelNames: ['stat'] as const,
    registers: [metrics.registry],
    collect() {
      const s = telemetry.stats();
      for (const [k, v] of Object.entries(s)) if (typeof v === 'number') this.set({ stat: k }, v);
    },
  });
}
