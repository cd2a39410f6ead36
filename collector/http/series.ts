// Shapes storage cells into the /v1/counts reply: one entry per bucket, lanes inside, totals alongside. Pure.
import type { CountsCell } from '../storage/types.js';

export interface Tally {
  in: number;
  out: number;
  denied: number;
}
export interface CountsBucket extends Tally {
  start: number;
  lanes: (Tally & { site: string; gate: string; lane: string })[];
}

export function toSeries(cells: readonly CountsCell[]): { buckets: CountsBucket[]; totals: Tally } {
  const buckets: CountsBucket[] = [];
  const totals: Tally = { in: 0, out: 0, denied: 0 };
  let current: CountsBucket | null = null;
  for (const c of cells) {
    if (!current || current.start !== c.bucketStart) {
      current = { start: c.bucketStart, in: 0, out: 0, denied: 0, lanes: [] };
      buckets.push(current);
    }
    current.lanes.push({ site: c.site, gate: c.gate, lane: c.lane, in: c.in, out: c.out, denied: c.denied });
    current.in += c.in;
    current.out += c.out;
    current.denied += c.denied;
    totals.in += c.in;
    totals.out += c.out;
    totals.denied += c.denied;
  }
  return { buckets, totals };
}

/** The widest range each bucket size may ask for, so one request cannot ask for millions of rows. */
export const MAX_RANGE_MS = { minute: 2 * 86_400_000, hour: 93 * 86_400_000, day: 3 * 366 * 86_400_000 } as const;
