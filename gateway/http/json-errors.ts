// JSON errors for every HTTP server of the project (gateway and collector): `{ error, message }` with a 4xx
// that fits, the reason logged, never a stack trace.
import type { FastifyError, FastifyInstance } from 'fastify';

/**
 * `onRefused` hears the `error` name of every 4xx sent (a fixed set of codes, fit for a metric label);
 * `not-found` included, since probing for routes is outside input too.
 */
export function installJsonErrors(app: FastifyInstance, service: string, onRefused?: (error: string) => void): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (err.validation) {
      req.log.warn(
        { url: req.url.split('?')[0], reason: 'validation', detail: err.message.slice(0, 200) },
        'bad request',
      );
      onRefused?.('bad-request');
      return reply.code(400).send({ error: 'bad-request', message: err.message.slice(0, 500) });
    }
    if (status < 500) {
      const error = errorName(status, err.code);
      req.log.warn({ url: req.url.split('?')[0], code: err.code, status }, 'request refused');
      onRefused?.(error);
      return reply.code(status).send({ error, message: err.message.slice(0, 300) });
    }
    req.log.error({ err, url: req.url.split('?')[0] }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: `internal error; see the ${service} log` });
  });
  app.setNotFoundHandler((req, reply) => {
    onRefused?.('not-found');
    return reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
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
