// "Today" at the gate is the site's local day (Asia/Ho_Chi_Minh by default), not UTC: a counter that reset at
// 07:00 local time would confuse every operator. Counts come from the event log, so they survive restarts.
import type { Database } from 'better-sqlite3';

/** Offset of `timeZone` from UTC at instant `t`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const fields = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
    .formatToParts(new Date(t))
    .filter((p) => p.type !== 'literal');
  const parts: Record<string, number> = {};
  for (const p of fields) parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant local midnight began for the day that contains `t`. */
export function startOfLocalDay(t: number, timeZone: string): number {
  const offset = zoneOffsetMs(t, timeZone);
  const local = t + offset;
  const midnightLocal = local - (((local % 86400_000) + 86400_000) % 86400_000);
  // Vietnam has no DST; for zones that do, re-read the offset at midnight itself.
  return midnightLocal - zoneOffsetMs(midnightLocal - offset, timeZone);
}

export interface LaneCounts {
  lane: string;
  in: number;
  out: number;
  denied: number;
  manualOpens: number;
}

export function countsSince(db: Database, from: number, laneIds: readonly string[]): LaneCounts[] {
  const byLane = new Map(laneIds.map((id) => [id, { lane: id, in: 0, out: 0, denied: 0, manualOpens: 0 }]));
  const rows = db
    .prepare(
      `SELECT lane, type, direction, decision, count(*) AS n FROM events
       WHERE ts >= ? AND lane IS NOT NULL AND (type = 'passage' OR type = 'manual-open' OR (type = 'decision' AND decision = 'deny'))
       GROUP BY lane, type, direction, decision`,
    )
    .all(from) as Array<{ lane: string; type: string; direction: string | null; decision: string | null; n: number }>;
  for (const r of rows) {
    const c = byLane.get(r.lane);
    if (!c) continue;
    if (r.type === 'passage' && r.direction === 'in') c.in += r.n;
    else if (r.type === 'passage' && r.direction === 'out') c.out += r.n;
    else if (r.type === 'decision') c.denied += r.n;
    else if (r.type === 'manual-open') c.manualOpens += r.n;
  }
  return [...byLane.values()];
}
