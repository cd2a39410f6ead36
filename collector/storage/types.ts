// The one storage interface the collector sees; SQLite (sqlite.ts) and PostgreSQL (postgres.ts) implement it.
import type { CategoryCells } from '../analytics/disclosure.js';
import type { StoreBatch } from './batch.js';

export type Bucket = 'minute' | 'hour' | 'day';

export interface CountsQuery {
  site?: string;
  gate?: string;
  /** window starts in [from, to) (ms since epoch) */
  from: number;
  to: number;
  bucket: Bucket;
  /** buckets are aligned to local time: hours and days start on the local clock */
  utcOffsetMinutes: number;
}

/** One (bucket, site, gate, lane) cell of the counts series. */
export interface CountsCell {
  bucketStart: number;
  site: string;
  gate: string;
  lane: string;
  in: number;
  out: number;
  denied: number;
}

/** Analytics buckets: hours, days, weeks (Monday first) and months begin on the local clock. */
export type Grain = 'minute' | 'hour' | 'day' | 'week' | 'month';
/** How far down an analytics answer splits; 'total' sums every lane of the selection. */
export type GroupBy = 'total' | 'site' | 'gate' | 'lane';

export interface AnalyticsQuery {
  site?: string;
  gate?: string;
  lane?: string;
  /** window starts in [from, to) (ms since epoch) */
  from: number;
  to: number;
  grain: Grain;
  groupBy: GroupBy;
  utcOffsetMinutes: number;
  /** false: passages only, category cells all 0 (a passage series reads and sends a third of the columns) */
  categories?: boolean;
}

/** One (bucket, group) cell: exact passages and the category cells as stored (each 0 or at least the minimum). */
export interface AnalyticsCell extends CategoryCells {
  bucketStart: number;
  /** '' where the grouping does not split by it */
  site: string;
  gate: string;
  lane: string;
  in: number;
  out: number;
  denied: number;
}

/** One (bucket, group, reason) cell of denials by reason; groups as in AnalyticsCell. */
export interface DenialReasonCell {
  bucketStart: number;
  site: string;
  gate: string;
  lane: string;
  reason: string;
  n: number;
}

export interface HourOfDayCell {
  site: string;
  /** 0-23, local */
  hour: number;
  in: number;
  out: number;
}

export interface AlarmKindCell {
  bucketStart: number;
  site: string;
  kind: string;
  n: number;
}

export interface GateRow {
  site: string;
  gate: string;
  /** from the retained status or the last will; 'unknown' until one arrives */
  state: 'online' | 'offline' | 'unknown';
  bootId: string | null;
  version: string | null;
  /** when the collector received the last status message */
  statusAt: number | null;
  /** when the collector last heard from the gate itself (a last will does not count) */
  lastSeen: number | null;
  healthAt: number | null;
  outboxDepth: number | null;
  outboxCapacity: number | null;
  /** the latest health payload as sent */
  health: unknown;
}

export interface AlarmRow {
  site: string;
  gate: string;
  id: string;
  kind: string;
  lane: string | null;
  ts: number;
  receivedAt: number;
  detail: Record<string, string | number | boolean> | null;
}

export interface AlarmQuery {
  site?: string;
  gate?: string;
  since?: number;
  limit: number;
}

export interface InOut {
  in: number;
  out: number;
}

export interface CollectorStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Writes one batch in one transaction: all of it or none of it. Idempotent: replaying a batch changes nothing. */
  write(batch: StoreBatch): Promise<void>;
  countsCells(q: CountsQuery): Promise<CountsCell[]>;
  /** Every site with a gate row, with its number of gates. */
  sites(): Promise<{ site: string; gates: number; lastSeen: number | null }[]>;
  /** Lane totals for a site over window starts in [since, until) (until: now, so no future-dated window counts). */
  laneTotals(site: string, since: number, until?: number): Promise<InOut>;
  /** Zone totals for a site over window starts in [since, until). */
  zoneTotals(site: string, since: number, until?: number): Promise<(InOut & { zone: string })[]>;
  gates(site?: string): Promise<GateRow[]>;
  /** Passages and category cells per bucket and group, over window starts in [from, to). */
  analytics(q: AnalyticsQuery): Promise<AnalyticsCell[]>;
  /** Denials per bucket, group and reason code, over window starts in [from, to) (windows that sent reasons). */
  denialReasons(q: AnalyticsQuery): Promise<DenialReasonCell[]>;
  /** Passages by local hour of day, per site, over window starts in [from, to). */
  hourOfDay(q: { site?: string; from: number; to: number; utcOffsetMinutes: number }): Promise<HourOfDayCell[]>;
  /** Alarms per bucket, site and kind, by alarm time in [from, to). */
  alarmKinds(q: {
    site?: string;
    from: number;
    to: number;
    grain: Grain;
    utcOffsetMinutes: number;
  }): Promise<AlarmKindCell[]>;
  alarms(q: AlarmQuery): Promise<AlarmRow[]>;
  close(): Promise<void>;
}
