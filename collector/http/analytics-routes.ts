// The IOC analytics API under /v1/analytics: passages, category breakdowns, peak hours, occupancy curves and
// alarms, over any range, by minute/hour/day/week/month of local time (Asia/Ho_Chi_Minh: UTC+7, no DST).
// Every category figure is a sum of stored lane windows, each already held to the small-cell rule
// (contracts/small-cells.ts, applied per window: collector/analytics/disclosure.ts), so no answer nor any
// difference of answers shows a small cell.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DenyCode } from '../../contracts/topics.js';
import { periodRange } from '../analytics/report.js';
import {
  byKind,
  type CategoryRow,
  categoryRow,
  denialRows,
  occupancyCurve,
  passageRow,
  peakHours,
  totalOf,
} from '../analytics/shape.js';
import { SiteKind } from '../config.js';
import { lastResetAt, resetRuleFor } from '../occupancy.js';
import { bucketStartOf, GRAIN_MS, nextBucketStart } from '../storage/grain-sql.js';
import type { AnalyticsCell, Grain, GroupBy } from '../storage/types.js';
import type { ApiDeps } from './routes.js';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
// The largest instant a JavaScript Date holds: anything past it has no bucket, and would reach SQL as NaN.
const Ms = z.coerce.number().int().nonnegative().max(8.64e15);
const GrainQ = z.enum(['minute', 'hour', 'day', 'week', 'month']);
const GroupQ = z.enum(['total', 'kind', 'site', 'gate', 'lane']);
const ErrorReply = z.object({ error: z.string(), message: z.string() });
const DAY = 86_400_000;

/**
 * The long series (thousands of rows) are written with plain JSON.stringify: their rows are built field by field
 * (analytics/shape.ts), so zod's response check adds nothing but its cost, which was half of a 7,200-row answer
 * (BENCHMARKS.md, analytics). The zod schema stays on the route for validation of the query and for OpenAPI.
 */
const plainJson = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

/** The widest range each grain may ask for, so one request cannot ask for millions of rows. */
export const MAX_ANALYTICS_RANGE_MS: Record<Grain, number> = {
  minute: 2 * DAY,
  hour: 93 * DAY,
  day: 3 * 366 * DAY,
  week: 10 * 366 * DAY,
  month: 10 * 366 * DAY,
};

const Range = z.object({
  from: Ms.optional().describe('ms since epoch; widened down to the start of its bucket. Default: 7 days before to'),
  to: Ms.optional().describe('ms since epoch, exclusive; widened up to the end of its bucket. Default: now'),
});
const Selection = z.object({
  site: Id.optional(),
  gate: Id.optional(),
  lane: Id.optional(),
  kind: SiteKind.optional().describe('only sites of this kind (from the collector config; unlisted sites are tourist)'),
});
const Place = { site: z.string(), gate: z.string(), lane: z.string(), kind: z.string() };
/** The query of a series: a range, what to select, the bucket size and what to split by. */
const seriesQuery = (groupBy: z.infer<typeof GroupQ>) =>
  Range.extend(Selection.shape).extend({ grain: GrainQ.default('day'), groupBy: GroupQ.default(groupBy) });
/** The answer of a series: its echo of the query and its rows, plus what a route adds (totals). */
const seriesReply = <Row extends z.ZodType, Extra extends z.ZodRawShape>(row: Row, extra: Extra) =>
  z.object({ grain: z.string(), groupBy: z.string(), from: z.number(), to: z.number(), rows: z.array(row), ...extra });
const PassageRowZ = z.object({
  start: z.number(),
  ...Place,
  in: z.number(),
  out: z.number(),
  denied: z.number(),
});
const CategoryRowZ = z.object({
  start: z.number(),
  ...Place,
  in: z.number(),
  out: z.number(),
  passages: z.number(),
  nationality: z.object({
    domestic: z.number(),
    foreign: z.number(),
    unknown: z.number(),
    withheld: z.number(),
    notReported: z.number(),
  }),
  ageBand: z.object({
    '0-17': z.number(),
    '18-39': z.number(),
    '40-59': z.number(),
    '60+': z.number(),
    withheld: z.number(),
    notReported: z.number(),
  }),
  sex: z.object({ M: z.number(), F: z.number(), withheld: z.number(), notReported: z.number() }),
});

type RangeError = { error: 'bad-request'; message: string };

/** Minute series per lane: a day at most (a province's lanes by minute over two days is a million rows). */
export const MAX_LANE_MINUTE_RANGE_MS = DAY;

/** The asked range widened to whole buckets, or why it cannot be answered. */
export function wholeBuckets(
  q: { from?: number; to?: number },
  grain: Grain,
  now: number,
  utcOffsetMinutes: number,
  groupBy?: string,
): { from: number; to: number } | RangeError {
  const to0 = q.to ?? now;
  const from0 = q.from ?? to0 - 7 * DAY;
  if (from0 >= to0) return { error: 'bad-request', message: 'from must be before to' };
  const from = bucketStartOf(from0, grain, utcOffsetMinutes);
  const to = nextBucketStart(to0 - 1, grain, utcOffsetMinutes);
  if (to - from > MAX_ANALYTICS_RANGE_MS[grain]) {
    return {
      error: 'bad-request',
      message: `range too wide for grain=${grain} (max ${MAX_ANALYTICS_RANGE_MS[grain] / DAY} days)`,
    };
  }
  if (grain === 'minute' && groupBy === 'lane' && to - from > MAX_LANE_MINUTE_RANGE_MS) {
    return {
      error: 'bad-request',
      message: 'range too wide for grain=minute with groupBy=lane (max 1 day; use grain=hour or another grouping)',
    };
  }
  return { from, to };
}

export async function registerAnalyticsRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const now = deps.now ?? Date.now;
  const security = [{ bearer: [] }];
  const off = deps.utcOffsetMinutes;

  /** The store query for a selection and grouping: kind groupings and filters are read per site and folded here. */
  const storeQuery = (
    q: z.infer<typeof Selection> & { groupBy: z.infer<typeof GroupQ> },
    range: { from: number; to: number },
    grain: Grain,
    categories = true,
  ) => ({
    categories,
    site: q.site,
    gate: q.gate,
    lane: q.lane,
    ...range,
    grain,
    groupBy: (q.groupBy === 'kind' || (q.kind && q.groupBy === 'total') ? 'site' : q.groupBy) as GroupBy,
    utcOffsetMinutes: off,
  });

  /** Store cells for a selection and grouping; kind groupings and filters are folded here from site rows. */
  const cellsFor = async (
    q: z.infer<typeof Selection> & { groupBy: z.infer<typeof GroupQ> },
    range: { from: number; to: number },
    grain: Grain,
    categories = true,
  ) => {
    const cells: AnalyticsCell[] = await deps.store.analytics(storeQuery(q, range, grain, categories));
    const tagged = byKind(cells, deps.sites, q.groupBy, q.kind);
    return q.groupBy === 'total' && q.kind ? totalOf(tagged) : tagged;
  };

  r.get(
    '/analytics/passages',
    {
      ...plainJson,
      schema: {
        summary: 'Passages in, out and denied per bucket, in total or by site kind, site, gate or lane',
        description:
          'Buckets start on the local clock (UTC+7): hours, days, weeks (Monday) and months. Windows are placed by their start. ' +
          'Minute series per lane cover one day at most. Denials by reason: /v1/analytics/denials.',
        security,
        querystring: seriesQuery('site'),
        response: {
          200: seriesReply(PassageRowZ, { totals: z.object({ in: z.number(), out: z.number(), denied: z.number() }) }),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const range = wholeBuckets(q, q.grain, now(), off, q.groupBy);
      if ('error' in range) return reply.code(400).send(range);
      const rows = (await cellsFor(q, range, q.grain, false)).map(passageRow);
      const totals = rows.reduce((a, x) => ({ in: a.in + x.in, out: a.out + x.out, denied: a.denied + x.denied }), {
        in: 0,
        out: 0,
        denied: 0,
      });
      return { grain: q.grain, groupBy: q.groupBy, ...range, rows, totals };
    },
  );

  r.get(
    '/analytics/categories',
    {
      ...plainJson,
      schema: {
        summary: 'Passages by nationality (domestic/foreign), age band and sex, small cells withheld',
        description:
          'A breakdown of a lane window is withheld whole when one of its non-empty cells has fewer people than the minimum ' +
          '(gate mqtt.categoryMinCount, collector analytics.categoryMinCount); its passages show under `withheld`. Every figure ' +
          'is a sum of whole windows, so no answer, nor the difference of two answers, shows a cell below the minimum. ' +
          '`notReported`: passages from gates that sent no categories. Passages are in + out.',
        security,
        querystring: seriesQuery('site'),
        response: {
          200: seriesReply(CategoryRowZ, {}),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const range = wholeBuckets(q, q.grain, now(), off, q.groupBy);
      if ('error' in range) return reply.code(400).send(range);
      const rows: CategoryRow[] = (await cellsFor(q, range, q.grain)).map(categoryRow);
      return { grain: q.grain, groupBy: q.groupBy, ...range, rows };
    },
  );

  // Any code a gate sent, this release's and a later one's alike: the collector stores codes as they came.
  const ByReason = z.record(DenyCode, z.number());
  r.get(
    '/analytics/denials',
    {
      ...plainJson,
      schema: {
        summary: 'Denials by reason per bucket, in total or by site kind, site, gate or lane',
        description:
          'Reasons are the deny codes of the gates (words in the dashboard), including codes of gate releases newer ' +
          'than this collector, as the gates sent them. `notReported`: denials from gates that send ' +
          'no reasons (from before they counted them). Only buckets and groups with a denial are listed.',
        security,
        querystring: seriesQuery('total'),
        response: {
          200: seriesReply(
            z.object({ start: z.number(), ...Place, denied: z.number(), byReason: ByReason, notReported: z.number() }),
            { totals: z.object({ denied: z.number(), byReason: ByReason, notReported: z.number() }) },
          ),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const range = wholeBuckets(q, q.grain, now(), off, q.groupBy);
      if ('error' in range) return reply.code(400).send(range);
      const [cells, reasons] = await Promise.all([
        cellsFor(q, range, q.grain, false),
        deps.store.denialReasons(storeQuery(q, range, q.grain)),
      ]);
      const rows = denialRows(cells, reasons, deps.sites, q.groupBy, q.kind);
      const totals = { denied: 0, byReason: {} as Record<string, number>, notReported: 0 };
      for (const row of rows) {
        totals.denied += row.denied;
        totals.notReported += row.notReported;
        for (const [k, n] of Object.entries(row.byReason)) totals.byReason[k] = (totals.byReason[k] ?? 0) + n;
      }
      return { grain: q.grain, groupBy: q.groupBy, ...range, rows, totals };
    },
  );

  r.get(
    '/analytics/peak-hours',
    {
      schema: {
        summary: 'Entries by local hour of the day per site, and the busiest hours',
        security,
        querystring: Range.extend({ site: Id.optional(), kind: SiteKind.optional() }),
        response: {
          200: z.object({
            from: z.number(),
            to: z.number(),
            days: z.number(),
            sites: z.array(
              z.object({
                site: z.string(),
                kind: z.string(),
                hours: z.array(z.object({ hour: z.number(), in: z.number(), out: z.number(), perDay: z.number() })),
                peaks: z.array(z.number()),
              }),
            ),
          }),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const range = wholeBuckets(req.query, 'day', now(), off);
      if ('error' in range) return reply.code(400).send(range);
      const cells = await deps.store.hourOfDay({ site: req.query.site, ...range, utcOffsetMinutes: off });
      const days = Math.round((range.to - range.from) / DAY);
      const sites = peakHours(cells, days)
        .map((p) => ({ ...p, kind: resetRuleFor(p.site, deps.sites).kind }))
        .filter((p) => !req.query.kind || p.kind === req.query.kind);
      return { ...range, days, sites };
    },
  );

  r.get(
    '/analytics/occupancy',
    {
      ...plainJson,
      schema: {
        summary: 'People inside a site over one local day: in − out at the end of each hour or minute',
        description:
          "Carries in the occupancy at the day's start and restarts from zero at the site's reset time, as /v1/occupancy does.",
        security,
        querystring: z.object({
          site: Id,
          date: z
            .string()
            .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/)
            .optional()
            .describe('local date YYYY-MM-DD; default today'),
          grain: z.enum(['minute', 'hour']).default('hour'),
        }),
        response: {
          200: z.object({
            site: z.string(),
            date: z.string(),
            resetAt: z.string(),
            points: z.array(z.object({ start: z.number(), in: z.number(), out: z.number(), occupancy: z.number() })),
          }),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const date = q.date ?? new Date(now() + off * 60_000).toISOString().slice(0, 10);
      // The reports' reading of a local date, which refuses one that does not exist (2024-02-31).
      const day = periodRange({ day: date }, off);
      if (!day) return reply.code(400).send({ error: 'bad-request', message: 'no such date' });
      const dayStart = day.from;
      const rule = resetRuleFor(q.site, deps.sites);
      const carriedIn = await deps.store.laneTotals(q.site, lastResetAt(dayStart, rule.resetAt, off), dayStart);
      const cells = await deps.store.analytics({
        site: q.site,
        from: dayStart,
        to: dayStart + DAY,
        grain: q.grain,
        groupBy: 'site',
        utcOffsetMinutes: off,
      });
      const bucketMs = GRAIN_MS[q.grain];
      const points = occupancyCurve({
        dayStart,
        bucketMs,
        buckets: DAY / bucketMs,
        carriedIn,
        cells,
        resetAt: rule.resetAt,
        utcOffsetMinutes: off,
      });
      return { site: q.site, date, resetAt: rule.resetAt, points };
    },
  );

  r.get(
    '/analytics/alarms',
    {
      schema: {
        summary: 'Alarms per bucket, site and kind (codes only; words in the dashboard)',
        security,
        querystring: Range.extend({ site: Id.optional(), grain: GrainQ.default('day') }),
        response: {
          200: z.object({
            grain: z.string(),
            from: z.number(),
            to: z.number(),
            rows: z.array(z.object({ start: z.number(), site: z.string(), kind: z.string(), n: z.number() })),
            byKind: z.record(z.string(), z.number()),
          }),
          400: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const range = wholeBuckets(q, q.grain, now(), off);
      if ('error' in range) return reply.code(400).send(range);
      const cells = await deps.store.alarmKinds({ site: q.site, ...range, grain: q.grain, utcOffsetMinutes: off });
      const byKindTotals: Record<string, number> = {};
      for (const c of cells) byKindTotals[c.kind] = (byKindTotals[c.kind] ?? 0) + c.n;
      return {
        grain: q.grain,
        ...range,
        rows: cells.map((c) => ({ start: c.bucketStart, site: c.site, kind: c.kind, n: c.n })),
        byKind: byKindTotals,
      };
    },
  );
}
