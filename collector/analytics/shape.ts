// Shapes store cells into analytics answers: site kinds, category breakdowns, peak hours and occupancy curves. Pure.
import type { CollectorSite, SiteKind } from '../config.js';
import { lastResetAt, resetRuleFor } from '../occupancy.js';
import type { AnalyticsCell, DenialReasonCell, HourOfDayCell } from '../storage/types.js';
import { addCategories, CATEGORY_KEYS, type CategoryCells, NO_CATEGORIES } from './disclosure.js';

export interface PassageRow {
  start: number;
  site: string;
  gate: string;
  lane: string;
  /** the site's kind ('' when the grouping is the whole selection) */
  kind: string;
  in: number;
  out: number;
  denied: number;
}

export interface CategoryRow extends Omit<PassageRow, 'denied'> {
  passages: number;
  nationality: { domestic: number; foreign: number; unknown: number; withheld: number; notReported: number };
  ageBand: { '0-17': number; '18-39': number; '40-59': number; '60+': number; withheld: number; notReported: number };
  sex: { M: number; F: number; withheld: number; notReported: number };
}

export type KindGrouping = 'total' | 'kind' | 'site' | 'gate' | 'lane';

type Cell = AnalyticsCell & { kind: string };

/**
 * Tags each cell with its site's kind, keeps only the kind asked for, and for groupBy=kind sums the sites of a
 * kind into one row per bucket. Sums of stored cells only, so the small-cell rule still holds
 * (contracts/small-cells.ts).
 */
export function byKind(
  cells: readonly AnalyticsCell[],
  sites: readonly CollectorSite[],
  groupBy: KindGrouping,
  onlyKind?: SiteKind,
): Cell[] {
  const tagged = cells
    .map((c) => ({ ...c, kind: c.site === '' ? '' : resetRuleFor(c.site, sites).kind }))
    .filter((c) => !onlyKind || c.kind === onlyKind);
  if (groupBy !== 'kind') return tagged;
  const folded = new Map<string, Cell>();
  for (const c of tagged) {
    const key = `${c.bucketStart}\u0000${c.kind}`;
    const into = folded.get(key);
    if (!into) {
      folded.set(key, { ...c, site: '', gate: '', lane: '' });
      continue;
    }
    into.in += c.in;
    into.out += c.out;
    into.denied += c.denied;
    Object.assign(into, addCategories(into, c));
  }
  return [...folded.values()].sort((a, b) => a.bucketStart - b.bucketStart || (a.kind < b.kind ? -1 : 1));
}

/** Folds per-site cells into one row per bucket (the answer for groupBy=total once a kind filter applied). */
export function totalOf(cells: readonly Cell[]): Cell[] {
  const folded = new Map<number, Cell>();
  for (const c of cells) {
    const into = folded.get(c.bucketStart);
    if (!into) {
      folded.set(c.bucketStart, { ...c, site: '', gate: '', lane: '', kind: '' });
      continue;
    }
    into.in += c.in;
    into.out += c.out;
    into.denied += c.denied;
    Object.assign(into, addCategories(into, c));
  }
  return [...folded.values()].sort((a, b) => a.bucketStart - b.bucketStart);
}

export const passageRow = (c: Cell): PassageRow => ({
  start: c.bucketStart,
  site: c.site,
  gate: c.gate,
  lane: c.lane,
  kind: c.kind,
  in: c.in,
  out: c.out,
  denied: c.denied,
});

/**
 * A breakdown row. `withheld`: passages whose category a small cell hid (by the gate or the collector);
 * `notReported`: passages from gates that sent no categories at all. Each breakdown adds up to `passages`.
 */
export function categoryRow(c: Cell): CategoryRow {
  const passages = c.in + c.out;
  const rest = (...parts: number[]): number => Math.max(0, passages - parts.reduce((a, b) => a + b, 0));
  return {
    start: c.bucketStart,
    site: c.site,
    gate: c.gate,
    lane: c.lane,
    kind: c.kind,
    in: c.in,
    out: c.out,
    passages,
    nationality: {
      domestic: c.domestic,
      foreign: c.foreign,
      unknown: c.unknown,
      withheld: c.withheldNationality,
      notReported: rest(c.domestic, c.foreign, c.unknown, c.withheldNationality),
    },
    ageBand: {
      '0-17': c.age0to17,
      '18-39': c.age18to39,
      '40-59': c.age40to59,
      '60+': c.age60plus,
      withheld: c.withheldAgeBand,
      notReported: rest(c.age0to17, c.age18to39, c.age40to59, c.age60plus, c.withheldAgeBand),
    },
    sex: {
      M: c.male,
      F: c.female,
      withheld: c.withheldSex,
      notReported: rest(c.male, c.female, c.withheldSex),
    },
  };
}

export function categoryTotals(cells: readonly CategoryCells[]): CategoryCells {
  return cells.reduce<CategoryCells>(
    (a, c) => addCategories(a, Object.fromEntries(CATEGORY_KEYS.map((k) => [k, c[k]])) as unknown as CategoryCells),
    { ...NO_CATEGORIES },
  );
}

export interface PeakHours {
  site: string;
  /** 24 entries, hour 0-23 local; perDay is entries per local day of the range */
  hours: { hour: number; in: number; out: number; perDay: number }[];
  /** the busiest hours by entries, busiest first (ties: earlier hour first) */
  peaks: number[];
}

export function peakHours(cells: readonly HourOfDayCell[], days: number, top = 3): PeakHours[] {
  const bySite = new Map<string, HourOfDayCell[]>();
  for (const c of cells) bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  return [...bySite.entries()].map(([site, list]) => {
    const hours = Array.from({ length: 24 }, (_, hour) => {
      const c = list.find((x) => x.hour === hour);
      const entries = c?.in ?? 0;
      return { hour, in: entries, out: c?.out ?? 0, perDay: Math.round((entries / Math.max(1, days)) * 10) / 10 };
    });
    const peaks = hours
      .filter((h) => h.in > 0)
      .sort((a, b) => b.in - a.in || a.hour - b.hour)
      .slice(0, top)
      .map((h) => h.hour);
    return { site, hours, peaks };
  });
}

/**
 * People inside a site at the end of each bucket of a day: the occupancy carried in at the day's start, then
 * in − out bucket by bucket, restarting from zero at the site's reset time and clamped at zero as /v1/occupancy is.
 */
export function occupancyCurve(o: {
  dayStart: number;
  bucketMs: number;
  buckets: number;
  carriedIn: { in: number; out: number };
  cells: readonly { bucketStart: number; in: number; out: number }[];
  resetAt: string;
  utcOffsetMinutes: number;
}): { start: number; in: number; out: number; occupancy: number }[] {
  const byStart = new Map(o.cells.map((c) => [c.bucketStart, c]));
  let running = o.carriedIn.in - o.carriedIn.out;
  let reset = lastResetAt(o.dayStart, o.resetAt, o.utcOffsetMinutes);
  const points = [];
  for (let i = 0; i < o.buckets; i++) {
    const start = o.dayStart + i * o.bucketMs;
    const r = lastResetAt(start, o.resetAt, o.utcOffsetMinutes);
    if (r > reset) {
      running = 0;
      reset = r;
    }
    const c = byStart.get(start);
    running += (c?.in ?? 0) - (c?.out ?? 0);
    points.push({ start, in: c?.in ?? 0, out: c?.out ?? 0, occupancy: Math.max(0, running) });
  }
  return points;
}

export interface DenialRow {
  start: number;
  site: string;
  gate: string;
  lane: string;
  kind: string;
  denied: number;
  /** deny code → count, from gates that send reasons */
  byReason: Record<string, number>;
  /** denials from gates that sent no reasons (before they counted them) */
  notReported: number;
}

/**
 * Denials by reason per bucket and group: each row's denials from the passage cells (already grouped and folded
 * by kind, see byKind) and its reasons from the reason cells, folded the same way. Only rows with a denial.
 */
export function denialRows(
  cells: readonly Cell[],
  reasons: readonly DenialReasonCell[],
  sites: readonly CollectorSite[],
  groupBy: KindGrouping,
  onlyKind?: SiteKind,
): DenialRow[] {
  const keyOf = (c: { bucketStart: number; site: string; gate: string; lane: string }, kind: string): string =>
    groupBy === 'kind'
      ? `${c.bucketStart}\u0000${kind}`
      : groupBy === 'total'
        ? String(c.bucketStart)
        : `${c.bucketStart}\u0000${c.site}\u0000${c.gate}\u0000${c.lane}`;
  const rows = new Map<string, DenialRow>();
  for (const c of cells) {
    if (c.denied === 0) continue;
    rows.set(keyOf(c, c.kind), {
      start: c.bucketStart,
      site: c.site,
      gate: c.gate,
      lane: c.lane,
      kind: c.kind,
      denied: c.denied,
      byReason: {},
      notReported: c.denied,
    });
  }
  for (const r of reasons) {
    const kind = r.site === '' ? '' : resetRuleFor(r.site, sites).kind;
    if (onlyKind && kind !== onlyKind) continue;
    const row = rows.get(keyOf(r, kind));
    // A reason without its window's denial cannot be stored (ingest checks reasons ≤ denied); skip, never invent.
    if (!row) continue;
    row.byReason[r.reason] = (row.byReason[r.reason] ?? 0) + r.n;
    row.notReported = Math.max(0, row.notReported - r.n);
  }
  return [...rows.values()];
}
