// The gateway's HTTP server: fastify with zod schemas (OpenAPI at /docs), JSON errors without stack traces,
// and bounds on everything a sender controls: body size per route (small unless a route raises it), JSON
// nesting depth, time to send headers and body, idle and keep-alive time, and the number of open connections, in all and per source address.
// One plugin per resource is registered by the composition root.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { earlyErrorOptions, installJsonErrors } from '../../contracts/json-errors.js';
import type { HttpConfig } from '../config/schema.js';
import { capConnectionsPerSource } from './connection-caps.js';
import { installJsonBodyParser } from './json-body.js';
import { lazyChildLogger } from './lazy-logger.js';
import { registerSecurityHeaders } from './security-headers.js';

export type HttpLimits = Pick<
  HttpConfig,
  'smallBodyLimitBytes' | 'jsonMaxDepth' | 'timeouts' | 'maxConnections' | 'maxConnectionsPerSource'
>;

export interface HttpServerOptions {
  limits: HttpLimits;
  logger: Logger;
  title: string;
  version: string;
  /** Hears each refused request by its error name (for gate06_rejected_input_total). */
  onRefused?: (error: string) => void;
}

/** Connections dropped over the cap are logged at most this often, with the count since the last line. */
const DROP_LOG_EVERY_MS = 10_000;

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const { limits } = opts;
  // Per-request access lines are info-level; at the decision rate of a busy lane they are noise, so the
  // HTTP channel logs from warn up (refused requests log their reason at warn).
  const log = opts.logger.child({ channel: 'http' }, { level: 'warn' });
  const app = Fastify({
    // The default for every route; the few that take photos (verify, enrollment) or a login raise or lower it.
    bodyLimit: limits.smallBodyLimitBytes,
    // Node checks the header and request deadlines on this tick: a quarter of the shorter one keeps the cut
    // within 25 % of the configured time without waking the loop more often than needed.
    http: {
      headersTimeout: limits.timeouts.headersMs,
      connectionsCheckingInterval: Math.max(50, Math.floor(limits.timeouts.headersMs / 4)),
    },
    requestTimeout: limits.timeouts.requestMs,
    connectionTimeout: limits.timeouts.idleMs,
    keepAliveTimeout: limits.timeouts.keepAliveMs,
    loggerInstance: log as FastifyBaseLogger,
    ...earlyErrorOptions(log, opts.onRefused),
    childLoggerFactory: lazyChildLogger,
    // fastify's per-request access lines are info-level, below this channel's level, so never written; off,
    // fastify no longer builds their objects and timings on every request only for the logger to drop them.
    // (Its own error lines go too; contracts/json-errors.ts's error handler logs refusals and failures itself.)
    logController: new LogController({ disableRequestLogging: true }),
    // Hostile bodies: no prototype poisoning, bounded parameter length.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  });
  app.server.maxConnections = limits.maxConnections;
  capConnectionsPerSource(app.server, {
    perSource: limits.maxConnectionsPerSource,
    maxConnections: limits.maxConnections,
    log,
    onRefused: opts.onRefused,
  });
  let dropped = 0;
  let lastDropLog = Number.NEGATIVE_INFINITY;
  app.server.on('drop', (data) => {
    dropped++;
    opts.onRefused?.('too-many-connections');
    const now = Date.now();
    if (now - lastDropLog < DROP_LOG_EVERY_MS) return;
    log.warn({ ip: data?.remoteAddress, dropped, max: limits.maxConnections }, 'connection dropped: too many open');
    lastDropLog = now;
    dropped = 0;
  });
  // Every body this API takes is JSON: a text/plain one is a 415 that says so, not a schema error about a string.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app, limits.jsonMaxDepth);
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
