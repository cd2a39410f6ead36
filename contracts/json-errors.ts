// JSON errors for every HTTP server of the project (gateway and collector): `{ error, message }` with a 4xx
// that fits, the reason logged, never a stack trace.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';

/** The error code a JSON body parser sets on a body nested too deep (gateway/http/json-body.ts); answered as
 * `{ error: "json-too-deep" }`. */
export const JSON_TOO_DEEP = 'GATE06_JSON_TOO_DEEP';

/**
 * Fastify options for what fails before any route or hook runs, answered in the same `{ error, message }`
 * shape and logged: a URL fastify cannot decode, and what Node's HTTP parser refuses (headers too large,
 * a malformed request line). Pass to Fastify() beside installJsonErrors.
 */
export function earlyErrorOptions(
  log: Logger,
  onRefused?: (error: string) => void,
): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return {
    frameworkErrors: (err, req, reply) => {
      req.log.warn({ code: err.code, reason: err.message.slice(0, 200) }, 'request refused');
      onRefused?.('bad-request');
      void (reply as FastifyReply).code(400).send({ error: 'bad-request', message: err.message.slice(0, 300) });
    },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const refusal = PARSER_REFUSALS[err.code ?? ''] ?? PARSER_REFUSALS.default!;
      log.warn({ code: err.code, ip: socket.remoteAddress }, 'request refused by the HTTP parser');
      onRefused?.(refusal.error);
      const body = JSON.stringify({ error: refusal.error, message: refusal.message });
      endAndDestroy(
        socket,
        `HTTP/1.1 ${refusal.status} ${refusal.statusText}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `connection: close\r\n\r\n${body}`,
      );
    },
  };
}

/** How long a refused client gets to take the answer before its socket is destroyed anyway. */
export const REFUSAL_FLUSH_MS = 1000;

/**
 * Writes a last answer and then destroys the socket. `end` alone only half-closes it: Node's HTTP server allows
 * half-open sockets, so a client that never sends its FIN (a slow-loris sender after its 408) would keep the
 * connection, and its slot under maxConnections, for as long as it likes. A client that does not read the
 * answer within REFUSAL_FLUSH_MS loses it.
 */
export function endAndDestroy(socket: Socket, answer: string, flushMs = REFUSAL_FLUSH_MS): void {
  const bound = setTimeout(() => socket.destroy(), flushMs);
  bound.unref();
  socket.once('close', () => clearTimeout(bound));
  socket.end(answer, () => socket.destroy());
}

/** What Node's HTTP server refuses before fastify sees a request, by its error code. */
const PARSER_REFUSALS: Record<string, { status: number; statusText: string; error: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    statusText: 'Request Header Fields Too Large',
    error: 'headers-too-large',
    message: 'request headers are too large',
  },
  // headersTimeout / requestTimeout: headers or body sent too slowly (a slow-loris sender).
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    statusText: 'Request Timeout',
    error: 'request-timeout',
    message: 'the request was not received in time',
  },
  default: { status: 400, statusText: 'Bad Request', error: 'bad-request', message: 'the request is not valid HTTP' },
};

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
      return reply.code(status).send({ error, message: CLEARER[error] ?? err.message.slice(0, 300) });
    }
    req.log.error({ err, url: req.url.split('?')[0] }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: `internal error; see the ${service} log` });
  });
  app.setNotFoundHandler((req, reply) => {
    onRefused?.('not-found');
    return reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}

/** Where fastify's own wording does not tell a client what to change. */
const CLEARER: Record<string, string> = {
  'unsupported-media-type': 'send the body as JSON, with content-type: application/json',
  'bad-json': 'the body is not valid JSON, or it has a __proto__ or constructor key, which is refused',
};

function errorName(status: number, code: string | undefined): string {
  if (status === 413) return 'payload-too-large';
  if (status === 415) return 'unsupported-media-type';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'too-many-requests';
  if (code === JSON_TOO_DEEP) return 'json-too-deep';
  return code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
    ? 'bad-json'
    : 'bad-request';
}
