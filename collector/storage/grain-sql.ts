// SQL for the start of a local-time bucket of a millisecond column, in SQLite or PostgreSQL.
// The offset is a whole number of minutes from the config (validated), so it is written into the SQL as a
// literal: both engines then keep integer arithmetic (a bound JS number would be a REAL in better-sqlite3).
import type { Grain } from './types.js';

const DAY = 86_400_000;
/** 1970-01-01 was a Thursday: shifting by three days makes weeks start on Monday, as calendars in Vietnam do. */
const MONDAY_SHIFT = 3 * DAY;

export const GRAIN_MS: Record<Exclude<Grain, 'month'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: DAY,
  week: 7 * DAY,
};

export function bucketSql(dialect: 'sqlite' | 'postgres', col: string, grain: Grain, utcOffsetMinutes: number): string {
  if (!Number.isInteger(utcOffsetMinutes)) throw new TypeError('utcOffsetMinutes must be an integer');
  const off = utcOffsetMinutes * 60_000;
  if (grain === 'month') {
    return dialect === 'sqlite'
      ? `(CAST(strftime('%s', (${col} + ${off}) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 - ${off})`
      : `((extract(epoch FROM date_trunc('month', to_timestamp((${col} + ${off}) / 1000) AT TIME ZONE 'UTC')))::bigint * 1000 - ${off})`;
  }
  const b = GRAIN_MS[grain];
  const shift = grain === 'week' ? MONDAY_SHIFT : 0;
  return `(((${col} + ${off + shift}) / ${b}) * ${b} - ${off + shift})`;
}

/** The local bucket start containing `t`, the same arithmetic as bucketSql (for widening a range to whole buckets). */
export function bucketStartOf(t: number, grain: Grain, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * 60_000;
  if (grain === 'month') {
    const d = new Date(t + off);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - off;
  }
  const shift = grain === 'week' ? MONDAY_SHIFT : 0;
  const b = GRAIN_MS[grain];
  return Math.floor((t + off + shift) / b) * b - off - shift;
}

/** The start of the bucket after the one containing `t`. */
export function nextBucketStart(t: number, grain: Grain, utcOffsetMinutes: number): number {
  const start = bucketStartOf(t, grain, utcOffsetMinutes);
  if (grain !== 'month') return start + GRAIN_MS[grain];
  const off = utcOffsetMinutes * 60_000;
  const d = new Date(start + off);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - off;
}

/** The select list and GROUP BY keys of an analytics grouping ('' stands for a level the grouping sums over). */
export function groupSql(groupBy: 'total' | 'site' | 'gate' | 'lane'): { select: string; keys: string } {
  switch (groupBy) {
    case 'total':
      return { select: `'' AS site, '' AS gate, '' AS lane`, keys: '' };
    case 'site':
      return { select: `site, '' AS gate, '' AS lane`, keys: ', site' };
    case 'gate':
      return { select: `site, gate, '' AS lane`, keys: ', site, gate' };
    case 'lane':
      return { select: 'site, gate, lane', keys: ', site, gate, lane' };
  }
}
