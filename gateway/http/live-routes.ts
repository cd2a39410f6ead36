// GET /v1/live: Server-Sent Events for the console. Each connection registers its own bus listeners under
// its own owner object and removes them when the browser goes away, so a closed tab leaks nothing.
// SSE rather than WebSocket: one direction is all the console needs, it passes any proxy, and the browser
// reconnects by itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../gateway.js';
import { decisionView } from './console-routes.js';

export interface LiveOptions {
  /** Comment line sent this often: keeps proxies from closing the stream and notices a logged-out session. */
  heartbeatMs?: number;
  /** Bound on open streams: each costs listeners and a socket. */
  maxStreams?: number;
  /** Bound per user or token, so one principal cannot take every slot (issue #11, finding 7). */
  perPrincipal?: number;
  /** A client that stops reading is dropped once this much is queued for it. */
  maxQueuedBytes?: number;
  /** Is the principal behind this request still allowed? (a logout or an expiry ends the stream) */
  stillValid?: (req: FastifyRequest) => boolean;
}

interface Stream {
  end(): void;
}

export async function registerLiveRoutes(
  app: FastifyInstance,
  core: GatewayCore,
  opts: LiveOptions = {},
): Promise<{ openStreams(): number }> {
  const streams = new Set<Stream>();
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const maxStreams = opts.maxStreams ?? 50;
  const perPrincipal = opts.perPrincipal ?? 4;
  /** Open streams per principal (kind and name: a user's tabs share one budget, whatever their sessions). */
  const byPrincipal = new Map<string, number>();
  const maxQueued = opts.maxQueuedBytes ?? 1024 * 1024;

  // Streams never finish on their own; end them before the server waits for open connections to close.
  app.addHook('preClose', async () => {
    for (const s of [...streams]) s.end();
  });

  app.get(
    '/v1/live',
    {
      onRequest: core.auth.require('operator'),
      schema: { summary: 'Live lane updates as Server-Sent Events (operator)' },
    },
    (req: FastifyRequest, reply: FastifyReply) => {
      const holder = `${req.principal!.kind}:${req.principal!.name}`;
      const held = byPrincipal.get(holder) ?? 0;
      if (held >= perPrincipal) {
        req.log.warn({ user: req.principal!.name, held }, 'live stream refused: too many for this user');
        return reply
          .code(429)
          .send({ error: 'too-many-requests', message: `at most ${perPrincipal} live streams per user or token` });
      }
      if (streams.size >= maxStreams)
        return reply.code(503).send({ error: 'unavailable', message: 'too many live streams open' });
      const res = reply.raw;
      // Headers set by hooks (security headers) go out with the stream, as with any other reply.
      const headers: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(reply.getHeaders()))
        if (v !== undefined) headers[k] = v as string | number | string[];
      reply.hijack();
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const owner = {};
      let closed = false;
      const send = (event: string, data: unknown): void => {
        if (closed) return;
        if (res.writableLength > maxQueued) {
          stream.end();
          return;
        }
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const stream: Stream = {
        end: () => {
          if (closed) return;
          closed = true;
          clearInterval(beat);
          core.bus.removeOwner(owner);
          streams.delete(stream);
          const left = (byPrincipal.get(holder) ?? 1) - 1;
          if (left > 0) byPrincipal.set(holder, left);
          else byPrincipal.delete(holder);
          res.end();
        },
      };
      const beat = setInterval(() => {
        if (opts.stillValid && !opts.stillValid(req)) {
          stream.end();
          return;
        }
        res.write(': ping\n\n');
      }, heartbeatMs);
      beat.unref();
      streams.add(stream);
      byPrincipal.set(holder, held + 1);
      res.on('close', () => stream.end());

      const { bus } = core;
      bus.on(owner, 'decision.made', (d) => send('decision', decisionView(d)));
      bus.on(owner, 'passage.seen', (p) =>
        send('passage', {
          eventId: p.eventId,
          ts: p.ts,
          lane: p.lane,
          direction: p.direction,
          credential: p.credential,
          forced: p.authorizedBy === null,
        }),
      );
      bus.on(owner, 'passage.timeout', (p) => send('timeout', p));
      bus.on(owner, 'alarm.raised', (a) => send('alarm', a));
      bus.on(owner, 'alarm.acknowledged', (a) => send('alarm-ack', a));
      bus.on(owner, 'lane.state', (s) => send('lane', s));
      bus.on(owner, 'device.link', (l) => send('link', l));
      bus.on(owner, 'fire.mode', (f) => send('fire', f));
      bus.on(owner, 'chip.prompt', (p) => send('chip-prompt', p));
      bus.on(owner, 'face.prompt', (p) => send('face-prompt', p));
      // Tell the browser how long to wait before reconnecting, and that it is connected.
      res.write('retry: 3000\n\n');
      send('hello', { ts: core.now(), lanes: [...core.lanes.values()].map((l) => l.snapshot()) });
    },
  );

  return { openStreams: () => streams.size };
}
