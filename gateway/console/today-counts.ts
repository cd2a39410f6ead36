// "Today" at the gate is the site's local day (Asia/Ho_Chi_Minh by default), not UTC: a counter that reset at
// 07:00 local time would confuse every operator. Counts come from the event log, so they survive restarts.
import type { LaneTallyRow } from '../store/event-log.js';

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

/** Tallies the event log's rows per lane (store.laneTallySince) into the console's counters. */
export function countsSince(
  log: { laneTallySince(from: number): LaneTallyRow[] },
  from: number,
  laneIds: readonly string[],
): LaneCounts[] {
  const byLane = new Map(laneIds.map((id) => [id, { lane: id, in: 0, out: 0, denied: 0, manualOpens: 0 }]));
  const rows = log.laneTallySince(from);
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
