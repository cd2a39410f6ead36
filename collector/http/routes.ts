// The IOC API under /v1: sites, counts series, occupancy, gate status and alarms.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CollectorConfig } from '../config.js';
import type { Ingest } from '../ingest.js';
import type { CollectorMetrics } from '../metrics.js';
import { lastResetAt, occupancyOf, resetRuleFor } from '../occupancy.js';
import type { CollectorStore } from '../storage/types.js';
import { MAX_RANGE_MS, toSeries } from './series.js';

export interface ApiDeps {
  store: CollectorStore;
  ingest: Pick<Ingest, 'status' | 'pendingCount'>;
  metrics: CollectorMetrics;
  sites: CollectorConfig['sites'];
  offlineAfterS: number;
  utcOffsetMinutes: number;
  now?: () => number;
}

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
const Ms = z.coerce.number().int().nonnegative();
const ErrorReply = z.object({ error: z.string(), message: z.string() });
const Tally = z.object({ in: z.number(), out: z.number(), denied: z.number() });

export async function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const now = deps.now ?? Date.now;
  const security = [{ bearer: [] }];

  r.get(
    '/sites',
    {
      schema: {
        summary: 'Sites known from config or heard on MQTT',
        security,
        response: {
          200: z.object({
            sites: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                kind: z.string(),
                gates: z.number(),
                online: z.number(),
                lastSeen: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const heard = await deps.store.sites();
      const gates = await deps.store.gates();
      const ids = [...new Set([...deps.sites.map((s) => s.id), ...heard.map((h) => h.site)])].sort();
      return {
        sites: ids.map((id) => {
          const rule = resetRuleFor(id, deps.sites);
          const h = heard.find((x) => x.site === id);
          const mine = gates.filter((g) => g.site === id);
          return {
            id,
            name: rule.name,
            kind: rule.kind,
            gates: h?.gates ?? 0,
            online: mine.filter((g) => isOnline(g, now(), deps.offlineAfterS)).length,
            lastSeen: h?.lastSeen ?? null,
          };
        }),
      };
    },
  );

  r.get(
    '/counts',
    {
      schema: {
        summary: 'Passages per time bucket (in, out, denied), by lane and in total',
        description:
          'Buckets are aligned to local time (UTC+7 by default). Windows are placed by their start. Default range: the last 24 h.',
        security,
        querystring: z.object({
          site: Id.optional(),
          gate: Id.optional(),
          from: Ms.optional(),
          to: Ms.optional(),
          bucket: z.enum(['minute', 'hour', 'day']).default('hour'),
        }),
        response: {
          200: z.object({
            bucket: z.string(),
            from: z.number(),
            to: z.number(),
            buckets: z.array(
              Tally.extend({
                start: z.number(),
                lanes: z.array(Tally.extend({ site: z.string(), gate: z.string(), lane: z.string() })),
              }),
            ),
            totals: Tally,
          }),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const to = q.to ?? now();
      const from = q.from ?? to - 86_400_000;
      if (from >= to) return reply.code(400).send({ error: 'bad-request', message: 'from must be before to' });
      if (to - from > MAX_RANGE_MS[q.bucket]) {
        return reply.code(400).send({
          error: 'bad-request',
          message: `range too wide for bucket=${q.bucket} (max ${MAX_RANGE_MS[q.bucket] / 86_400_000} days)`,
        });
      }
      const cells = await deps.store.countsCells({
        site: q.site,
        gate: q.gate,
        from,
        to,
        bucket: q.bucket,
        utcOffsetMinutes: deps.utcOffsetMinutes,
      });
      return { bucket: q.bucket, from, to, ...toSeries(cells) };
    },
  );

  r.get(
    '/occupancy',
    {
      schema: {
        summary: 'People inside each site and zone: in − out since the last reset',
        description:
          'Reset rule by site kind: tourist and station at 04:00 local time daily; industrial never (unless the site sets occupancyResetAt). Clamped at zero.',
        security,
        querystring: z.object({ site: Id.optional() }),
        response: {
          200: z.object({
            sites: z.array(
              z.object({
                site: z.string(),
                kind: z.string(),
                resetAt: z.string(),
                since: z.number(),
                in: z.number(),
                out: z.number(),
                occupancy: z.number(),
                zones: z.array(z.object({ zone: z.string(), in: z.number(), out: z.number(), occupancy: z.number() })),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const ids = req.query.site
        ? [req.query.site]
        : [...new Set([...deps.sites.map((s) => s.id), ...(await deps.store.sites()).map((s) => s.site)])].sort();
      const t = now();
      const sites = [];
      for (const site of ids) {
        const rule = resetRuleFor(site, deps.sites);
        const since = lastResetAt(t, rule.resetAt, deps.utcOffsetMinutes);
        // Up to now: a window dated in the future (stored before ingest bounded dates) must not count every day.
        const lanes = await deps.store.laneTotals(site, since, t);
        const zones = await deps.store.zoneTotals(site, since, t);
        sites.push({
          site,
          kind: rule.kind,
          resetAt: rule.resetAt,
          since,
          in: lanes.in,
          out: lanes.out,
          occupancy: occupancyOf(lanes),
          zones: zones.map((z) => ({ zone: z.zone, in: z.in, out: z.out, occupancy: occupancyOf(z) })),
        });
      }
      return { sites };
    },
  );

  r.get(
    '/gates',
    {
      schema: {
        summary: 'Gate status: online/offline (retained status, last will, or silence), last seen, outbox depth',
        security,
        querystring: z.object({ site: Id.optional() }),
        response: {
          200: z.object({
            offlineAfterS: z.number(),
            gates: z.array(
              z.object({
                site: z.string(),
                gate: z.string(),
                online: z.boolean(),
                state: z.string(),
                offlineReason: z.enum(['last-will', 'silence', 'no-status']).nullable(),
                lastSeen: z.number().nullable(),
                bootId: z.string().nullable(),
                version: z.string().nullable(),
                outboxDepth: z.number().nullable(),
                outboxCapacity: z.number().nullable(),
                devicesDown: z.number(),
                healthAt: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const t = now();
      const rows = await deps.store.gates(req.query.site);
      return {
        offlineAfterS: deps.offlineAfterS,
        gates: rows.map((g) => {
          const online = isOnline(g, t, deps.offlineAfterS);
          const health = g.health as { devices?: { state: string }[] } | null;
          return {
            site: g.site,
            gate: g.gate,
            online,
            state: g.state,
            offlineReason: online
              ? null
              : g.state === 'offline'
                ? ('last-will' as const)
                : g.state === 'unknown'
                  ? ('no-status' as const)
                  : ('silence' as const),
            lastSeen: g.lastSeen,
            bootId: g.bootId,
            version: g.version,
            outboxDepth: g.outboxDepth,
            outboxCapacity: g.outboxCapacity,
            devicesDown: health?.devices?.filter((d) => d.state === 'down').length ?? 0,
            healthAt: g.healthAt,
          };
        }),
      };
    },
  );

  r.get(
    '/alarms',
    {
      schema: {
        summary: 'Recent alarms, newest first (no personal data: codes and counts only)',
        security,
        querystring: z.object({
          site: Id.optional(),
          gate: Id.optional(),
          since: Ms.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: {
          200: z.object({
            alarms: z.array(
              z.object({
                site: z.string(),
                gate: z.string(),
                id: z.string(),
                kind: z.string(),
                lane: z.string().nullable(),
                ts: z.number(),
                receivedAt: z.number(),
                detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ alarms: await deps.store.alarms(req.query) }),
  );
}

/** Online needs both: the last status said online, and the gate was heard within offlineAfterS (a half-open link sends no will). */
export function isOnline(g: { state: string; lastSeen: number | null }, now: number, offlineAfterS: number): boolean {
  return g.state === 'online' && g.lastSeen !== null && now - g.lastSeen <= offlineAfterS * 1000;
}
