// Prometheus metrics of the gateway, fed from the event bus so the decision path never calls into them.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from './events.js';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: 'gate06_decisions_total',
    help: 'Access decisions by result and reason',
    labelNames: ['decision', 'reason', 'credential'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'gate06_decision_latency_seconds',
    help: 'Credential in to decision committed',
    labelNames: ['credential'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    registers: [this.registry],
  });
  readonly passages = new Counter({
    name: 'gate06_passages_total',
    help: 'Passages by lane, direction and how they were authorised',
    labelNames: ['lane', 'direction', 'via'] as const,
    registers: [this.registry],
  });
  readonly alarms = new Counter({
    name: 'gate06_alarms_total',
    help: 'Alarms raised by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly deviceLink = new Gauge({
    name: 'gate06_device_link_up',
    help: '1 when the device link is up',
    labelNames: ['lane', 'device', 'side'] as const,
    registers: [this.registry],
  });
  readonly rejectedInput = new Counter({
    name: 'gate06_rejected_input_total',
    help: 'Bad outside input rejected, by source and reason',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  /**
   * The labelled series a decision feeds, looked up once per label set: prom-client hashes a labels object
   * on every inc/observe, which the decision path paid per request. Label values come from fixed sets
   * (decision, reason code, credential kind), so these maps stay small.
   */
  private readonly decisionSeries = new Map<string, Counter.Internal>();
  private readonly latencySeries = new Map<string, Histogram.Internal<'credential'>>();

  constructor(bus: EventBus) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gate06_' });
    bus.on(this, 'decision.made', (d) => {
      const key = `${d.decision} ${d.reason} ${d.credential}`;
      let counted = this.decisionSeries.get(key);
      if (!counted) {
        counted = this.decisions.labels({ decision: d.decision, reason: d.reason, credential: d.credential });
        this.decisionSeries.set(key, counted);
      }
      counted.inc();
      let timed = this.latencySeries.get(d.credential);
      if (!timed) {
        timed = this.latency.labels({ credential: d.credential });
        this.latencySeries.set(d.credential, timed);
      }
      timed.observe(d.latencyMs / 1000);
    });
    bus.on(this, 'passage.seen', (p) =>
      this.passages.inc({ lane: p.lane, direction: p.direction, via: String(p.facts.via ?? 'unknown') }),
    );
    bus.on(this, 'alarm.raised', (a) => this.alarms.inc({ kind: a.kind }));
    bus.on(this, 'device.link', (l) =>
      this.deviceLink.set({ lane: l.lane, device: l.device, side: l.side ?? '' }, l.state === 'up' ? 1 : 0),
    );
    bus.on(this, 'input.rejected', (r) => this.rejectedInput.inc({ source: r.source, reason: r.reason }));
  }
}
