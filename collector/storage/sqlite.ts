// SQLite implementation of the collector store (better-sqlite3, WAL). The default for a single IOC box.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CATEGORY_COLUMN_LIST, CATEGORY_COLUMNS, CATEGORY_KEYS } from '../analytics/disclosure.js';
import type { StoreBatch } from './batch.js';
import { bucketMs } from './batch.js';
import { bucketSql, groupSql } from './grain-sql.js';
import type {
  AlarmKindCell,
  AlarmQuery,
  AlarmRow,
  AnalyticsCell,
  AnalyticsQuery,
  CollectorStore,
  CountsCell,
  CountsQuery,
  DenialReasonCell,
  GateRow,
  HourOfDayCell,
  InOut,
} from './types.js';

const CATEGORY_COLS = CATEGORY_COLUMN_LIST;

/** Adds the category columns to a lane_counts table made before they existed (0: nothing was stored). */
function migrateCategoryColumns(db: Database.Database): void {
  const have = new Set((db.prepare('PRAGMA table_info(lane_counts)').all() as { name: string }[]).map((c) => c.name));
  for (const col of CATEGORY_COLS) {
    if (!have.has(col)) db.exec(`ALTER TABLE lane_counts ADD COLUMN ${col} INTEGER NOT NULL DEFAULT 0`);
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lane_counts (
  site TEXT NOT NULL, gate TEXT NOT NULL, lane TEXT NOT NULL, window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL, boot_id TEXT NOT NULL, seq INTEGER NOT NULL,
  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL, denied INTEGER NOT NULL, by_credential TEXT NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (site, gate, lane, window_start)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lane_counts_site_time ON lane_counts (site, window_start);
CREATE TABLE IF NOT EXISTS zone_counts (
  site TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT NOT NULL, window_start INTEGER NOT NULL,
  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,
  PRIMARY KEY (site, gate, zone, window_start)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS zone_counts_site_time ON zone_counts (site, window_start);
CREATE TABLE IF NOT EXISTS gates (
  site TEXT NOT NULL, gate TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'unknown', boot_id TEXT, version TEXT,
  status_at INTEGER, last_seen INTEGER, health TEXT, health_at INTEGER, outbox_depth INTEGER, outbox_capacity INTEGER,
  PRIMARY KEY (site, gate)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarms (
  site TEXT NOT NULL, gate TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, lane TEXT, ts INTEGER NOT NULL,
  detail TEXT, received_at INTEGER NOT NULL,
  PRIMARY KEY (site, gate, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alarms_ts ON alarms (ts);
-- Denials by reason of each lane window (only windows whose gate sent reasons, only reasons that occurred).
CREATE TABLE IF NOT EXISTS lane_denials (
  site TEXT NOT NULL, gate TEXT NOT NULL, lane TEXT NOT NULL, window_start INTEGER NOT NULL, reason TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (site, gate, lane, window_start, reason)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lane_denials_time ON lane_denials (window_start);
`;

export function openSqliteStore(path: string): CollectorStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL: a commit survives a process crash; a power cut may lose the last commits, which the
  // gates' outboxes re-send only if unacknowledged. See collector/ingest.ts for the acknowledgement rule.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Bound the WAL (edge lesson: WALs grew without bound): checkpoint every ~4 MB of pages.
  db.pragma('wal_autocheckpoint = 1000');
  db.exec(SCHEMA);
  migrateCategoryColumns(db);

  const upLane =
    db.prepare(`INSERT INTO lane_counts (site, gate, lane, window_start, window_end, boot_id, seq, n_in, n_out, denied, by_credential, received_at,
      ${CATEGORY_COLS.join(', ')})
    VALUES (@site, @gate, @lane, @windowStart, @windowEnd, @bootId, @seq, @in, @out, @denied, @byCredential, @receivedAt,
      ${CATEGORY_KEYS.map((k) => `@${k}`).join(', ')})
    ON CONFLICT (site, gate, lane, window_start) DO UPDATE SET window_end = excluded.window_end, boot_id = excluded.boot_id,
      seq = excluded.seq, n_in = excluded.n_in, n_out = excluded.n_out, denied = excluded.denied,
      by_credential = excluded.by_credential, received_at = excluded.received_at,
      ${CATEGORY_COLS.map((c) => `${c} = excluded.${c}`).join(', ')}`);
  const upZone =
    db.prepare(`INSERT INTO zone_counts (site, gate, zone, window_start, n_in, n_out) VALUES (@site, @gate, @zone, @windowStart, @in, @out)
    ON CONFLICT (site, gate, zone, window_start) DO UPDATE SET n_in = excluded.n_in, n_out = excluded.n_out`);
  const upGate =
    db.prepare(`INSERT INTO gates (site, gate, state, boot_id, version, status_at, last_seen, health, health_at, outbox_depth, outbox_capacity)
    VALUES (@site, @gate, coalesce(@state, 'unknown'), @bootId, @version, @statusAt, @lastSeen, @health, @healthAt, @outboxDepth, @outboxCapacity)
    ON CONFLICT (site, gate) DO UPDATE SET
      state = coalesce(@state, gates.state), boot_id = coalesce(@bootId, gates.boot_id), version = coalesce(@version, gates.version),
      status_at = coalesce(@statusAt, gates.status_at), last_seen = max(coalesce(gates.last_seen, 0), coalesce(@lastSeen, 0)),
      health = coalesce(@health, gates.health), health_at = coalesce(@healthAt, gates.health_at),
      outbox_depth = coalesce(@outboxDepth, gates.outbox_depth), outbox_capacity = coalesce(@outboxCapacity, gates.outbox_capacity)`);
  const insAlarm = db.prepare(`INSERT INTO alarms (site, gate, id, kind, lane, ts, detail, received_at)
    VALUES (@site, @gate, @id, @kind, @lane, @ts, @detail, @receivedAt) ON CONFLICT DO NOTHING`);
  const clearDenials = db.prepare(
    'DELETE FROM lane_denials WHERE site = ? AND gate = ? AND lane = ? AND window_start = ?',
  );
  const insDenial = db.prepare(
    'INSERT INTO lane_denials (site, gate, lane, window_start, reason, n) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const writeTx = db.transaction((b: StoreBatch) => {
    for (const r of b.lanes) {
      upLane.run(r);
      // A redelivered window replaces its reasons as it replaces its counts: never adds to them.
      clearDenials.run(r.site, r.gate, r.lane, r.windowStart);
      for (const [reason, n] of Object.entries(r.deniedByReason ?? {}))
        insDenial.run(r.site, r.gate, r.lane, r.windowStart, reason, n);
    }
    for (const r of b.zones) upZone.run(r);
    for (const r of b.gates) upGate.run(r);
    for (const r of b.alarms) insAlarm.run(r);
  });

  // total(), not sum(): SQLite's sum() raises "integer overflow" past 2^63, and one bad row would then make every
  // query over its site fail (finding 5: /v1/occupancy answered 500). total() is a double that never raises;
  // ingest bounds each value (validate.ts), so stored totals stay far below 2^53 where a double is exact.
  // CAST: better-sqlite3 binds JS numbers as REAL, which would make this division fractional instead of a floor.
  const cells =
    db.prepare(`SELECT ((window_start + CAST(@off AS INTEGER)) / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) - CAST(@off AS INTEGER) AS bucketStart, site, gate, lane,
      total(n_in) AS "in", total(n_out) AS "out", total(denied) AS denied
    FROM lane_counts
    WHERE window_start >= @from AND window_start < @to AND (@site IS NULL OR site = @site) AND (@gate IS NULL OR gate = @gate)
    GROUP BY bucketStart, site, gate, lane ORDER BY bucketStart, site, gate, lane`);
  const sites = db.prepare(
    `SELECT site, count(*) AS gates, max(last_seen) AS lastSeen FROM gates GROUP BY site ORDER BY site`,
  );
  const laneTotals = db.prepare(
    `SELECT total(n_in) AS "in", total(n_out) AS "out" FROM lane_counts WHERE site = ? AND window_start >= ? AND window_start < ?`,
  );
  const zoneTotals = db.prepare(
    `SELECT zone, total(n_in) AS "in", total(n_out) AS "out" FROM zone_counts WHERE site = ? AND window_start >= ? AND window_start < ? GROUP BY zone ORDER BY zone`,
  );
  const gates =
    db.prepare(`SELECT site, gate, state, boot_id AS bootId, version, status_at AS statusAt, last_seen AS lastSeen,
      health, health_at AS healthAt, outbox_depth AS outboxDepth, outbox_capacity AS outboxCapacity
    FROM gates WHERE (@site IS NULL OR site = @site) ORDER BY site, gate`);
  const alarms = db.prepare(`SELECT site, gate, id, kind, lane, ts, detail, received_at AS receivedAt FROM alarms
    WHERE (@site IS NULL OR site = @site) AND (@gate IS NULL OR gate = @gate) AND ts >= @since
    ORDER BY ts DESC, id LIMIT @limit`);

  // Statements per (grain, grouping, offset): a handful in practice, prepared once each.
  const prepared = new Map<string, Database.Statement>();
  const once = (key: string, sql: () => string): Database.Statement => {
    let st = prepared.get(key);
    if (!st) {
      st = db.prepare(sql());
      prepared.set(key, st);
    }
    return st;
  };
  const categorySums = CATEGORY_KEYS.map((k) => `total(${CATEGORY_COLUMNS[k]}) AS "${k}"`).join(', ');
  const noCategories = CATEGORY_KEYS.map((k) => `0 AS "${k}"`).join(', ');

  return {
    kind: 'sqlite',
    async analytics(q: AnalyticsQuery): Promise<AnalyticsCell[]> {
      const withCategories = q.categories !== false;
      const st = once(`a:${q.grain}:${q.groupBy}:${q.utcOffsetMinutes}:${withCategories}`, () => {
        const g = groupSql(q.groupBy);
        return `SELECT ${bucketSql('sqlite', 'window_start', q.grain, q.utcOffsetMinutes)} AS bucketStart, ${g.select},
            total(n_in) AS "in", total(n_out) AS "out", total(denied) AS denied, ${withCategories ? categorySums : noCategories}
          FROM lane_counts
          WHERE window_start >= @from AND window_start < @to AND (@site IS NULL OR site = @site)
            AND (@gate IS NULL OR gate = @gate) AND (@lane IS NULL OR lane = @lane)
          GROUP BY bucketStart${g.keys} ORDER BY bucketStart${g.keys}`;
      });
      return st.all(rangeParams(q)) as AnalyticsCell[];
    },
    async denialReasons(q: AnalyticsQuery): Promise<DenialReasonCell[]> {
      const st = once(`d:${q.grain}:${q.groupBy}:${q.utcOffsetMinutes}`, () => {
        const g = groupSql(q.groupBy);
        return `SELECT ${bucketSql('sqlite', 'window_start', q.grain, q.utcOffsetMinutes)} AS bucketStart, ${g.select},
            reason, total(n) AS n
          FROM lane_denials
          WHERE window_start >= @from AND window_start < @to AND (@site IS NULL OR site = @site)
            AND (@gate IS NULL OR gate = @gate) AND (@lane IS NULL OR lane = @lane)
          GROUP BY bucketStart${g.keys}, reason ORDER BY bucketStart${g.keys}, reason`;
      });
      return st.all(rangeParams(q)) as DenialReasonCell[];
    },
    async hourOfDay(q): Promise<HourOfDayCell[]> {
      const off = q.utcOffsetMinutes * 60_000;
      const st = once(
        `h:${q.utcOffsetMinutes}`,
        () => `SELECT site, ((window_start + ${off}) % 86400000) / 3600000 AS hour, total(n_in) AS "in", total(n_out) AS "out"
          FROM lane_counts WHERE window_start >= @from AND window_start < @to AND (@site IS NULL OR site = @site)
          GROUP BY site, hour ORDER BY site, hour`,
      );
      return st.all({ from: q.from, to: q.to, site: q.site ?? null }) as HourOfDayCell[];
    },
    async alarmKinds(q): Promise<AlarmKindCell[]> {
      const st = once(
        `k:${q.grain}:${q.utcOffsetMinutes}`,
        () => `SELECT ${bucketSql('sqlite', 'ts', q.grain, q.utcOffsetMinutes)} AS bucketStart, site, kind, count(*) AS n
          FROM alarms WHERE ts >= @from AND ts < @to AND (@site IS NULL OR site = @site)
          GROUP BY bucketStart, site, kind ORDER BY bucketStart, site, kind`,
      );
      return st.all({ from: q.from, to: q.to, site: q.site ?? null }) as AlarmKindCell[];
    },
    async write(batch) {
      writeTx(batch);
    },
    async countsCells(q: CountsQuery): Promise<CountsCell[]> {
      return cells.all({
        off: q.utcOffsetMinutes * 60_000,
        b: bucketMs(q.bucket),
        from: q.from,
        to: q.to,
        site: q.site ?? null,
        gate: q.gate ?? null,
      }) as CountsCell[];
    },
    async sites() {
      return sites.all() as { site: string; gates: number; lastSeen: number | null }[];
    },
    async laneTotals(site, since, until = Number.MAX_SAFE_INTEGER) {
      return laneTotals.get(site, since, until) as InOut;
    },
    async zoneTotals(site, since, until = Number.MAX_SAFE_INTEGER) {
      return zoneTotals.all(site, since, until) as (InOut & { zone: string })[];
    },
    async gates(site?: string): Promise<GateRow[]> {
      return (gates.all({ site: site ?? null }) as (GateRow & { health: string | null })[]).map((g) => ({
        ...g,
        health: g.health ? JSON.parse(g.health) : null,
      }));
    },
    async alarms(q: AlarmQuery): Promise<AlarmRow[]> {
      const rows = alarms.all({
        site: q.site ?? null,
        gate: q.gate ?? null,
        since: q.since ?? 0,
        limit: q.limit,
      }) as (AlarmRow & { detail: string | null })[];
      return rows.map((a) => ({ ...a, detail: a.detail ? JSON.parse(a.detail) : null }));
    },
    async close() {
      db.close();
    },
  };
}

/** The named parameters of a range query over lane windows; a filter not given is NULL (matches every row). */
const rangeParams = (q: AnalyticsQuery) => ({
  from: q.from,
  to: q.to,
  site: q.site ?? null,
  gate: q.gate ?? null,
  lane: q.lane ?? null,
});
