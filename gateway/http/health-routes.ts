// GET /healthz and GET /metrics. Without a credential /healthz says only ok or degraded (enough for the box's
// supervisor and a load balancer); lanes, device links, store and pending state are for a token or a console
// session, since they tell an outsider when a lane is weak (issue #11, finding 7). /metrics needs a credential
// too, unless the scrape comes from an address in http.metricsOpenTo (a Prometheus on the box itself).
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { plainAddress } from '../../contracts/peer-address.js';
import type { GatewayCore } from '../gateway.js';

export const healthRoutes: FastifyPluginAsync<{ core: GatewayCore; version: string }> = async (
  app,
  { core, version },
) => {
  const startedAt = Date.now();
  // Any principal at all: a device, an integration, or a person at the console (operator is in every person's role).
  const anyone = core.auth.require('device', 'integration', 'operator');
  const openTo = new Set(core.config.http.metricsOpenTo.map(plainAddress));

  app.get(
    '/healthz',
    { schema: { summary: 'Liveness; lane, device and store health with a token or session', security: [] } },
    async (req) => {
      const lanes = [...core.lanes.values()].map((l) => l.snapshot());
      const store = core.storeWatch.status();
      // A store that cannot be written (every lane denies) or a disk about to fill is as degraded as a lost reader.
      const degraded = lanes.some((l) => l.degraded) || !store.available || store.diskLow || store.checkpointFailing;
      const status = degraded ? 'degraded' : 'ok';
      // No 401 here: a supervisor without a token still needs the one word; a wrong token gets the same.
      // A session cookie is looked up in the store; while the store is down the answer is the one word.
      const who = await core.auth.identify(req).catch(() => null);
      if (!who) return { status };
      return {
        status,
        version,
        bootId: core.store.bootId,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        site: core.config.site.id,
        gate: core.config.gate.id,
        lanes,
        store: {
          ...store,
          ...storeSize(core),
          checkpoints: core.store.checkpoints(),
          lockRetries: core.store.lockRetries(),
        },
      };
    },
  );

  const metricsGate: onRequestHookHandler = function (req, reply, done) {
    if (openTo.has(plainAddress(req.ip))) return done();
    anyone.call(this, req, reply, done);
  };
  app.get(
    '/metrics',
    { onRequest: metricsGate, schema: { summary: 'Prometheus metrics (token, session, or http.metricsOpenTo)' } },
    async (_req, reply) => {
      reply.header('content-type', core.metrics.registry.contentType);
      return core.metrics.registry.metrics();
    },
  );
};

/** Sizes need a readable file; while it is gone or locked /healthz still answers, without them. */
function storeSize(core: GatewayCore): { bytes?: number; walBytes?: number } {
  try {
    return { bytes: core.store.sizeBytes(), walBytes: core.store.walBytes() };
  } catch {
    return {};
  }
}
