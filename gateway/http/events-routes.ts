// GET /v1/events: the entry log for security staff, newest first with a cursor. Each read is audited.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { LaneId } from '../config/schema.js';
import type { AuditLog } from '../store/audit-log.js';
import type { EventStore } from '../store/event-store.js';
import type { Authenticator } from './auth.js';
import { forwardRange, QueryTime } from './time-range.js';

export const EventsQuery = z
  .object({
    from: QueryTime.optional(),
    to: QueryTime.optional(),
    lane: LaneId.optional(),
    decision: z.enum(['allow', 'deny']).optional(),
    credential: z.enum(['ticket', 'cccd-qr', 'chip']).optional(),
    type: z
      .enum(['decision', 'passage', 'timeout', 'alarm', 'fire', 'manual-open', 'free-passage', 'system'])
      .optional(),
    direction: z.enum(['in', 'out']).optional(),
    reason: z.string().max(60).optional(),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()
  .superRefine(forwardRange);

const ErrorReply = z.object({ error: z.string(), message: z.string() });

export const EventView = z.object({
  id: z.string(),
  seq: z.number(),
  bootId: z.string(),
  ts: z.number(),
  type: z.string(),
  lane: z.string().nullable(),
  direction: z.string().nullable(),
  credential: z.string().nullable(),
  decision: z.string().nullable(),
  reason: z.string().nullable(),
  idHash: z.string().nullable(),
  idMasked: z.string().nullable(),
  latencyMs: z.number().nullable(),
  refId: z.string().nullable(),
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

export const eventsRoutes: FastifyPluginAsync<{ store: EventStore; audit: AuditLog; auth: Authenticator }> = async (
  app,
  opts,
) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/events',
    {
      // Before validation, so an unauthenticated request with a bad query gets 401, not a 400 that probes the schema.
      onRequest: opts.auth.require('security', 'integration'),
      schema: {
        summary: 'Search the entry log (security role or integration token); newest first, paged by cursor',
        querystring: EventsQuery,
        response: {
          200: z.object({ events: z.array(EventView), nextCursor: z.string().nullable() }),
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      // Masked IDs and keyed hashes: no browser or proxy keeps a copy of a page of the log.
      reply.header('cache-control', 'no-store');
      const q = req.query;
      const events = opts.store.query({ ...q, beforeSeq: q.cursor ? Number(q.cursor) : undefined, limit: q.limit });
      const { cursor: _c, ...filter } = q;
      opts.audit.record({
        actor: req.principal!.name,
        role: req.principal!.role,
        action: 'events.search',
        filter,
        rows: events.length,
      });
      const last = events.at(-1);
      return { events, nextCursor: events.length === q.limit && last ? String(last.seq) : null };
    },
  );
};
