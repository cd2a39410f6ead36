// The gateway's HTTP server: fastify with zod schemas (OpenAPI at /docs), JSON errors without stack traces,
// a body size limit, and one plugin per resource registered by the composition root.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface HttpServerOptions {
  bodyLimitBytes: number;
  logger: Logger;
  title: string;
  version: string;
}

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes,
    // Per-request access lines are info-level; at the decision rate of a busy lane they are noise, so the
    // HTTP channel logs from warn up (refused requests log their reason at warn).
    loggerInstance: opts.logger.child({ channel: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    // Hostile bodies: no prototype poisoning, bounded parameter length.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (err.validation) {
      req.log.warn(
        { url: req.url.split('?')[0], reason: 'validation', detail: err.message.slice(0, 200) },
        'bad request',
      );
      return reply.code(400).send({ error: 'bad-request', message: err.message.slice(0, 500) });
    }
    if (status < 500) {
      req.log.warn({ url: req.url.split('?')[0], code: err.code, status }, 'request refused');
      return reply.code(status).send({ error: errorName(status, err.code), message: err.message.slice(0, 300) });
    }
    req.log.error({ err, url: req.url.split('?')[0] }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the gateway log' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );
  await app.register(swagger, {
    openapi: {
      info: { title: opts.title, version: opts.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}

function errorName(status: number, code: string | undefined): string {
  if (status === 413) return 'payload-too-large';
  if (status === 415) return 'unsupported-media-type';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'too-many-requests';
  return code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
    ? 'bad-json'
    : 'bad-request';
}
