// Security staff's log search: filters including a person's ID number (hashed here with the site key, never
// stored, logged or echoed), paged results, CSV export, event detail (personal fields decrypted for the
// security role only, where the site keeps them), watchlist hits, and the audit log for admins.
// Every read is recorded in the audit log: who, when, which filter (the ID as "[hashed]"), how many rows.
// Searches are POSTs so that an ID number never sits in a URL, a proxy log or the browser history.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LaneId } from '../config/schema.js';
import { toCsv } from '../console/csv.js';
import { reasonInWords } from '../console/reason-words.js';
import { keyedIdHash } from '../credentials/identity.js';
import type { GatewayCore } from '../gateway.js';
import type { EventQuery, EventStore } from '../store/event-store.js';
import type { StoredEvent } from '../store/types.js';
import { BodyTime, forwardRange } from './time-range.js';

export const SearchFilter = z
  .object({
    from: BodyTime.optional(),
    to: BodyTime.optional(),
    lane: LaneId.optional(),
    direction: z.enum(['in', 'out']).optional(),
    decision: z.enum(['allow', 'deny']).optional(),
    reason: z
      .string()
      .regex(/^[a-z.-]{1,60}$/)
      .optional(),
    credential: z.enum(['ticket', 'cccd-qr', 'chip']).optional(),
    type: z
      .enum(['decision', 'passage', 'timeout', 'alarm', 'fire', 'manual-open', 'free-passage', 'system'])
      .optional(),
    /** CCCD (12 digits) or old CMND (9 digits); the message never repeats what was sent. */
    idNumber: z
      .string()
      .regex(/^(\d{9}|\d{12})$/, { error: 'idNumber must be 9 or 12 digits' })
      .optional(),
  })
  .strict();
type SearchFilter = z.infer<typeof SearchFilter>;

const SearchBody = SearchFilter.extend({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
})
  .strict()
  .superRefine(forwardRange);

export const EXPORT_MAX_ROWS = 10_000;
const ExportBody = SearchFilter.extend({
  limit: z.number().int().min(1).max(EXPORT_MAX_ROWS).default(EXPORT_MAX_ROWS),
})
  .strict()
  .superRefine(forwardRange);

/** The filter as the audit log keeps it: the ID number replaced, never the number itself. */
export function auditedFilter(f: SearchFilter): Record<string, unknown> {
  const { idNumber, ...rest } = f;
  return idNumber === undefined ? rest : { ...rest, idNumber: '[hashed]' };
}

function toQuery(core: GatewayCore, f: SearchFilter): Omit<EventQuery, 'limit'> {
  const { idNumber, ...rest } = f;
  return { ...rest, idHash: idNumber === undefined ? undefined : keyedIdHash(core.siteKey, idNumber) };
}

/** What security staff see of an event: everything but the keyed hash, which means nothing to a person. */
export const eventRow = (e: StoredEvent) => {
  const { idHash: _h, ...rest } = e;
  return rest;
};

const CSV_HEADER = [
  'id',
  'seq',
  'time',
  'type',
  'lane',
  'direction',
  'credential',
  'decision',
  'reason',
  'idMasked',
  'latencyMs',
  'refId',
  'faceScore',
  'by',
  'why',
  'reasonWords',
];
const csvRow = (e: StoredEvent) => [
  e.id,
  e.seq,
  new Date(e.ts).toISOString(),
  e.type,
  e.lane,
  e.direction,
  e.credential,
  e.decision,
  e.reason,
  e.idMasked,
  e.latencyMs,
  e.refId,
  typeof e.facts.faceScore === 'number' ? e.facts.faceScore : null,
  typeof e.facts.by === 'string' ? e.facts.by : null,
  typeof e.facts.why === 'string' ? e.facts.why : null,
  reasonInWords(e.reason),
];

/** Pages through the store (it answers at most 1000 rows a query), newest first. */
function collect(store: EventStore, q: Omit<EventQuery, 'limit'>, max: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  let beforeSeq = q.beforeSeq;
  while (out.length < max) {
    const want = Math.min(1000, max - out.length);
    const page = store.query({ ...q, beforeSeq, limit: want });
    out.push(...page);
    if (page.length < want) break;
    beforeSeq = page.at(-1)!.seq;
  }
  return out;
}

export async function registerSecurityRoutes(app: FastifyInstance, core: GatewayCore): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Log reading: security staff at the console, or an integration token (which never sees personal fields).
  const security = core.auth.require('security', 'integration');
  const who = (req: { principal?: { name: string; role: string } }) => ({
    actor: req.principal!.name,
    role: req.principal!.role,
  });

  r.post(
    '/v1/security/search',
    {
      onRequest: security,
      schema: { summary: 'Search the entry log, by ID number too (security); audited', body: SearchBody },
    },
    async (req) => {
      const { cursor, limit, ...filter } = req.body;
      const events = core.store.query({
        ...toQuery(core, filter),
        beforeSeq: cursor ? Number(cursor) : undefined,
        limit,
      });
      core.audit.record({ ...who(req), action: 'events.search', filter: auditedFilter(filter), rows: events.length });
      const last = events.at(-1);
      return { events: events.map(eventRow), nextCursor: events.length === limit && last ? String(last.seq) : null };
    },
  );

  r.post(
    '/v1/security/export',
    {
      onRequest: security,
      schema: {
        summary: `Export matching events as CSV, at most ${EXPORT_MAX_ROWS} rows (security); audited`,
        body: ExportBody,
      },
    },
    async (req, reply) => {
      const { limit, ...filter } = req.body;
      const events = collect(core.store, toQuery(core, filter), limit);
      core.audit.record({ ...who(req), action: 'events.export', filter: auditedFilter(filter), rows: events.length });
      const stamp = new Date(core.now()).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="gate06-${core.config.site.id}-${core.config.gate.id}-${stamp}.csv"`,
        )
        .header('cache-control', 'no-store')
        .header('x-row-count', String(events.length));
      return toCsv(CSV_HEADER, events.map(csvRow));
    },
  );

  r.get(
    '/v1/security/events/:id',
    {
      onRequest: security,
      schema: {
        summary: 'One event with its related events; personal fields decrypted for the security role (audited)',
        params: z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) }).strict(),
      },
    },
    async (req, reply) => {
      const ev = core.store.get(req.params.id);
      if (!ev)
        return reply
          .code(404)
          .send({ error: 'not-found', message: 'no such event (it may have passed its retention)' });
      const related = core.store.idsReferring(ev.id, 20).map((id) => ({ id }));
      const cause = ev.refId ? core.store.get(ev.refId) : null;
      // Least privilege: only the security role itself reads personal fields, not admins and not integrations.
      const mayDecrypt = req.principal!.role === 'security' && req.principal!.kind === 'session';
      let personal: {
        state: 'not-kept' | 'none' | 'hidden' | 'shown' | 'unreadable';
        name?: string;
        idNumber?: string;
      } = { state: 'not-kept' };
      if (core.personal) {
        if (!mayDecrypt) personal = { state: 'hidden' };
        else {
          try {
            const fields = core.personal.get(ev.id);
            personal = fields ? { state: 'shown', ...fields } : { state: 'none' };
          } catch {
            personal = { state: 'unreadable' }; // another key id, or a damaged blob: say so, never crash
          }
        }
      }
      core.audit.record({
        ...who(req),
        action: 'event.detail',
        filter: { eventId: ev.id, personal: personal.state },
        rows: 1,
      });
      reply.header('cache-control', 'no-store');
      return {
        event: eventRow(ev),
        cause: cause ? eventRow(cause) : null,
        related: related
          .map((x) => core.store.get(x.id))
          .filter((x): x is StoredEvent => x !== null)
          .map(eventRow),
        personal,
      };
    },
  );

  r.get(
    '/v1/security/watchlist-hits',
    {
      onRequest: security,
      schema: {
        summary: 'Watchlist hits, newest first (security); audited',
        querystring: z
          .object({
            from: z.coerce.number().int().nonnegative().optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          })
          .strict(),
      },
    },
    async (req) => {
      const ids = core.store.watchlistHitIds(req.query.from ?? 0, req.query.limit);
      const events = ids.map((id) => core.store.get(id)).filter((x): x is StoredEvent => x !== null);
      core.audit.record({
        ...who(req),
        action: 'watchlist.hits',
        filter: { from: req.query.from ?? null },
        rows: events.length,
      });
      return { events: events.map(eventRow) };
    },
  );

  r.get(
    '/v1/admin/audit',
    {
      onRequest: core.auth.require('admin'),
      schema: {
        summary: 'The audit log: every read of the entry log and every console action (admin)',
        querystring: z
          .object({
            cursor: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          })
          .strict(),
      },
    },
    async (req) => {
      const entries = core.audit.list({ beforeSeq: req.query.cursor, limit: req.query.limit });
      core.audit.record({
        ...who(req),
        action: 'audit.read',
        filter: { cursor: req.query.cursor ?? null },
        rows: entries.length,
      });
      const last = entries.at(-1);
      return { entries, nextCursor: entries.length === req.query.limit && last ? String(last.seq) : null };
    },
  );
}
