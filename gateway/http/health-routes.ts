// GET /healthz (no auth: for the box's supervisor and load balancers; no personal data) and GET /metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayCore } from '../gateway.js';

export const healthRoutes: FastifyPluginAsync<{ core: GatewayCore; version: string }> = async (
  app,
  { core, version },
) => {
  const startedAt = Date.now();
  app.get('/healthz', { schema: { summary: 'Liveness and lane health', security: [] } }, async () => {
    const lanes = [...core.lanes.values()].map((l) => l.snapshot());
    const store = core.storeWatch.status();
    // A store that cannot be written (every lane denies) or a disk about to fill is as degraded as a lost reader.
    const degraded = lanes.some((l) => l.degraded) || !store.available || store.diskLow;
    return {
      status: degraded ? 'degraded' : 'ok',
      version,
      bootId: core.store.bootId,
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
      site: core.config.site.id,
      gate: core.config.gate.id,
      lanes,
      store: { ...store, ...storeSize(core), checkpoints: core.store.checkpoints() },
    };
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', security: [] } }, async (_req, reply) => {
    reply.header('content-type', core.metrics.registry.contentType);
    return core.metrics.registry.metrics();
  });
};

/** Sizes need a readable file; while it is gone or locked /healthz still answers, without them. */
function storeSize(core: GatewayCore): { bytes?: number; walBytes?: number } {
  try {
    return { bytes: core.store.sizeBytes(), walBytes: core.store.walBytes() };
  } catch {
    return {};
  }
}
