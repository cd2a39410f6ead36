// The gateway's HTTP server: fastify with zod schemas (OpenAPI at /docs), JSON errors without stack traces,
// a body size limit, and one plugin per resource registered by the composition root.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { earlyErrorOptions, installJsonErrors } from './json-errors.js';
import { lazyChildLogger } from './lazy-logger.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface HttpServerOptions {
  bodyLimitBytes: number;
  logger: Logger;
  title: string;
  version: string;
  /** Hears each refused request by its error name (for gate06_rejected_input_total). */
  onRefused?: (error: string) => void;
}

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  // Per-request access lines are info-level; at the decision rate of a busy lane they are noise, so the
  // HTTP channel logs from warn up (refused requests log their reason at warn).
  const log = opts.logger.child({ channel: 'http' }, { level: 'warn' });
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes,
    loggerInstance: log as FastifyBaseLogger,
    ...earlyErrorOptions(log, opts.onRefused),
    childLoggerFactory: lazyChildLogger,
    // Hostile bodies: no prototype poisoning, bounded parameter length.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  });
  // Every body this API takes is JSON: a text/plain one is a 415 that says so, not a schema error about a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installJsonErrors(app, 'gateway', opts.onRefused);
  await registerSecurityHeaders(app);
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
