// The collector's HTTP server: IOC API under /v1 and /metrics (bearer token), /healthz, OpenAPI at /docs and the
// dashboard at /. JSON errors `{ error, message }`, never a stack trace; bodies are small and bounded.
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { earlyErrorOptions, installJsonErrors } from '../../contracts/json-errors.js';
import { plainAddress } from '../../contracts/peer-address.js';
import { registerAnalyticsRoutes } from './analytics-routes.js';
import { bearerChecker } from './auth.js';
import { type ApiDeps, registerApiRoutes } from './routes.js';

export interface CollectorHttpOptions extends ApiDeps {
  apiToken: Buffer;
  bodyLimitBytes: number;
  /** Source addresses that may scrape /metrics without the token (collector config http.metricsOpenTo). */
  metricsOpenTo?: readonly string[];
  logger: Logger;
}

const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

export async function createCollectorHttp(opts: CollectorHttpOptions): Promise<FastifyInstance> {
  // warn: the dashboard polls every few seconds, and a log line per request would drown the log.
  const log = opts.logger.child({ channel: 'collector:http' }, { level: 'warn' });
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes,
    loggerInstance: log as never,
    ...earlyErrorOptions(log),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installJsonErrors(app as unknown as FastifyInstance, 'collector');

  // Default helmet CSP: script-src 'self', so the dashboard's one script file runs and nothing inline does.
  await app.register(helmet);
  await app.register(swagger, {
    openapi: {
      info: { title: 'gate06 collector (IOC API)', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: ['index.html'], wildcard: false });

  const authorised = bearerChecker(opts.apiToken);
  const metricsOpenTo = new Set((opts.metricsOpenTo ?? []).map(plainAddress));
  const refuseWithoutToken = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!authorised(req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="gate06-collector"');
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    }
  };
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/v1/')) return refuseWithoutToken(req, reply);
  });
  // /metrics tells an outsider how much flows and what is being refused (issue #11, finding 11): the token, or a
  // scrape from a listed address (a Prometheus on the box itself). On the route, so every spelling of its URL
  // that reaches it is held to the rule.
  const metricsGate = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!metricsOpenTo.has(plainAddress(req.ip))) return refuseWithoutToken(req, reply);
  };

  app.get('/healthz', { schema: { hide: true } }, async () => ({
    ok: true,
    mqtt: opts.ingest.status.connected ? 'connected' : 'disconnected',
    storage: opts.store.kind,
    pending: opts.ingest.pendingCount,
  }));
  app.get('/metrics', { schema: { hide: true }, onRequest: metricsGate }, async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  await app.register(async (v1) => registerApiRoutes(v1, opts), { prefix: '/v1' });
  await app.register(async (v1) => registerAnalyticsRoutes(v1, opts), { prefix: '/v1' });
  return app as unknown as FastifyInstance;
}
