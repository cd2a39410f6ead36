// Prometheus metrics of the collector, on a registry of its own so two collectors in one process (tests) do not clash.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from './validate.js';

export interface CollectorMetrics {
  registry: Registry;
  /** topic = counts|alarms|status|health|unknown, result = stored|rejected|ignored (empty retained delete) */
  messages: Counter<'topic' | 'result'>;
  rejected: Counter<'reason'>;
  /** parts of stored messages cut before storing; reason = detail-dropped (alarm detail entries, alarm-detail.ts) */
  scrubbed: Counter<'reason'>;
  /** receive time − windowEnd (counts) or − ts (alarms): how late data reaches the IOC */
  ingestLag: Histogram<'topic'>;
  batchSize: Histogram;
  writeSeconds: Histogram;
  writeErrors: Counter;
  pending: Gauge;
}

export function createCollectorMetrics(opts: { defaultMetrics?: boolean } = {}): CollectorMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'gate06_collector_' });
  const rejected = new Counter({
    name: 'gate06_collector_rejected_total',
    help: 'Messages refused on ingest, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Zero-initialise every reason so dashboards see the series before the first bad message.
  for (const r of REJECT_REASONS) rejected.inc({ reason: r }, 0);
  const scrubbed = new Counter({
    name: 'gate06_collector_scrubbed_total',
    help: 'Entries cut from stored messages before storing, by reason (detail-dropped: alarm detail not allowed)',
    labelNames: ['reason'],
    registers: [registry],
  });
  scrubbed.inc({ reason: 'detail-dropped' }, 0);
  return {
    registry,
    scrubbed,
    messages: new Counter({
      name: 'gate06_collector_messages_total',
      help: 'MQTT messages received, by topic kind and result',
      labelNames: ['topic', 'result'],
      registers: [registry],
    }),
    rejected,
    ingestLag: new Histogram({
      name: 'gate06_collector_ingest_lag_seconds',
      help: 'Receive time minus the time the gate closed the window (counts) or raised the alarm',
      labelNames: ['topic'],
      buckets: [0.1, 0.5, 1, 2, 5, 15, 60, 300, 3600],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'gate06_collector_batch_messages',
      help: 'Messages per storage transaction',
      buckets: [1, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'gate06_collector_write_seconds',
      help: 'Storage transaction time',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    writeErrors: new Counter({
      name: 'gate06_collector_write_errors_total',
      help: 'Failed storage transactions (retried)',
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'gate06_collector_pending_messages',
      help: 'Validated messages waiting for their transaction',
      registers: [registry],
    }),
  };
}
