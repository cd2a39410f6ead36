// The collector's HTTP server: IOC API under /v1 (bearer token), /metrics, /healthz, OpenAPI at /docs and the
// dashboard at /. JSON errors `{ error, message }`, never a stack trace; bodies are small and bounded.
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { earlyErrorOptions, installJsonErrors } from '../../contracts/json-errors.js';
import { bearerChecker } from './auth.js';
import { type ApiDeps, registerApiRoutes } from './routes.js';

export interface CollectorHttpOptions extends ApiDeps {
  apiToken: Buffer;
  bodyLimitBytes: number;
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
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    if (!authorised(req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="gate06-collector"');
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    }
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({
    ok: true,
    mqtt: opts.ingest.status.connected ? 'connected' : 'disconnected',
    storage: opts.store.kind,
    pending: opts.ingest.pendingCount,
  }));
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  await app.register(async (v1) => registerApiRoutes(v1, opts), { prefix: '/v1' });
  return app as unknown as FastifyInstance;
}
