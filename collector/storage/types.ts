// The one storage interface the collector sees; SQLite (sqlite.ts) and PostgreSQL (postgres.ts) implement it.
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
  alarms(q: AlarmQuery): Promise<AlarmRow[]>;
  close(): Promise<void>;
}
