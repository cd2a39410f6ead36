// Occupancy: people inside a site (or one of its zones) = in − out since the last reset. Pure.
//
// Counting drifts: someone tailgates out, a lane misses an exit, and an un-reset total creeps away from the
// truth by a few people a day. So occupancy restarts from zero at a quiet hour, by site kind:
// - tourist: 04:00 local time, daily. Sites close overnight; whoever is counted inside at 04:00 is drift.
// - station: 04:00 local time, daily. Before the first morning trains and after the late arrivals; exits
//   onto the platforms are not all metered, so a station total would drift fastest of all.
// - industrial: never. Parks work three shifts round the clock, so no hour is empty; the total is the
//   running sum, shown clamped at zero. A site may set `occupancyResetAt` (e.g. a park closed at night).
// Windows are attributed by their start: a window starting at or after the reset counts.
import type { CollectorSite, SiteKind } from './config.js';

export type ResetAt = string | 'never';

export const DEFAULT_RESET_BY_KIND: Record<SiteKind, ResetAt> = {
  tourist: '04:00',
  station: '04:00',
  industrial: 'never',
};

/** A site the config does not list is treated as a tourist site (the most common kind). */
export function resetRuleFor(
  site: string,
  sites: readonly CollectorSite[],
): { kind: SiteKind; resetAt: ResetAt; name: string } {
  const s = sites.find((x) => x.id === site);
  const kind = s?.kind ?? 'tourist';
  return { kind, resetAt: s?.occupancyResetAt ?? DEFAULT_RESET_BY_KIND[kind], name: s?.name ?? '' };
}

/** The most recent reset instant at or before `now` (ms since epoch); 0 for 'never'. */
export function lastResetAt(now: number, resetAt: ResetAt, utcOffsetMinutes: number): number {
  if (resetAt === 'never') return 0;
  const [hh, mm] = resetAt.split(':').map(Number) as [number, number];
  const day = 86_400_000;
  const off = utcOffsetMinutes * 60_000;
  const local = now + off;
  let reset = Math.floor(local / day) * day + hh * 3_600_000 + mm * 60_000;
  if (reset > local) reset -= day;
  return reset - off;
}

export function occupancyOf(t: { in: number; out: number }): number {
  return Math.max(0, t.in - t.out);
}
