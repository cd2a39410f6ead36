// PostgreSQL implementation of the collector store (pg). One schema holds the tables; each batch is one
// transaction of set-based upserts (unnest over arrays), so a batch of 1,000 windows is four statements.
import pg from 'pg';
import { CATEGORY_COLUMN_LIST, CATEGORY_COLUMNS, CATEGORY_KEYS } from '../analytics/disclosure.js';
import { VIETNAM_UTC_OFFSET_MINUTES } from '../config.js';
import type { StoreBatch } from './batch.js';
import { bucketMs } from './batch.js';
import { bucketSql, GRAIN_MS, groupSql } from './grain-sql.js';
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
const HOUR = 3_600_000;
const DAY = 86_400_000;

const ident = (s: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s)) throw new TypeError(`invalid PostgreSQL schema name: ${s}`);
  return `"${s}"`;
};

/**
 * Read-only views for the IOC's own tools (Grafana, BI, spreadsheets; docs/ioc-bi.md). Times are timestamptz and
 * local dates and hours are Asia/Ho_Chi_Minh. They read the hourly rollup and the alarms, never a window on its
 * own: every category figure is a sum of stored cells, each already held to the small-cell rule
 * (contracts/small-cells.ts).
 */
const BI_VIEWS = (s: string): string => `
CREATE OR REPLACE VIEW ${s}.bi_passages_hourly AS
SELECT to_timestamp(hour_start / 1000) AS hour,
  (to_timestamp(hour_start / 1000) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS local_date,
  extract(hour FROM to_timestamp(hour_start / 1000) AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS local_hour,
  site, gate, lane, n_in AS entries, n_out AS exits, denied,
  cat_domestic AS domestic, cat_foreign AS foreign_visitors, cat_unknown AS nationality_unknown,
  withheld_nationality, age_0_17, age_18_39, age_40_59, age_60_plus, withheld_age_band,
  sex_m AS male, sex_f AS female, withheld_sex
FROM ${s}.lane_hourly;
CREATE OR REPLACE VIEW ${s}.bi_passages_daily AS
SELECT local_date, site, sum(entries) AS entries, sum(exits) AS exits, sum(denied) AS denied,
  sum(domestic) AS domestic, sum(foreign_visitors) AS foreign_visitors, sum(nationality_unknown) AS nationality_unknown,
  sum(withheld_nationality) AS withheld_nationality, sum(age_0_17) AS age_0_17, sum(age_18_39) AS age_18_39,
  sum(age_40_59) AS age_40_59, sum(age_60_plus) AS age_60_plus, sum(withheld_age_band) AS withheld_age_band,
  sum(male) AS male, sum(female) AS female, sum(withheld_sex) AS withheld_sex
FROM ${s}.bi_passages_hourly GROUP BY local_date, site;
CREATE OR REPLACE VIEW ${s}.bi_alarms AS
SELECT to_timestamp(ts / 1000) AS at, site, gate, lane, kind FROM ${s}.alarms;
CREATE OR REPLACE VIEW ${s}.bi_gates AS
SELECT site, gate, state, to_timestamp(last_seen / 1000) AS last_seen, version, outbox_depth, outbox_capacity
FROM ${s}.gates;
`;

/**
 * Recomputes the hourly rollup rows of the hours written since the last refresh (rollup_pending), from the windows
 * themselves: a redelivered or overwritten window changes its hour to the same exact sum, never adds to it.
 * $1..$4: site, gate, lane, a time in the hour.
 */
const refreshHourly = (s: string): string => `
INSERT INTO ${s}.lane_hourly (site, gate, lane, hour_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT l.site, l.gate, l.lane, a.h, sum(l.n_in), sum(l.n_out), sum(l.denied), count(*),
  ${CATEGORY_COLS.map((c) => `sum(l.${c})`).join(', ')}
FROM (SELECT DISTINCT u.site, u.gate, u.lane, (u.ws / ${HOUR}) * ${HOUR} AS h
      FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(site, gate, lane, ws)) a
JOIN ${s}.lane_counts l ON l.site = a.site AND l.gate = a.gate AND l.lane = a.lane
  AND l.window_start >= a.h AND l.window_start < a.h + ${HOUR}
GROUP BY l.site, l.gate, l.lane, a.h
ON CONFLICT (site, hour_start, gate, lane) DO UPDATE SET n_in = excluded.n_in, n_out = excluded.n_out,
  denied = excluded.denied, windows = excluded.windows, ${CATEGORY_COLS.map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** Recomputes the site-level hourly rows of the same hours from the lane rows (refreshed first). $1, $2: site, hour. */
const refreshSiteHourly = (s: string): string => `
INSERT INTO ${s}.site_hourly (site, hour_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT h.site, h.hour_start, sum(h.n_in), sum(h.n_out), sum(h.denied), sum(h.windows),
  ${CATEGORY_COLS.map((c) => `sum(h.${c})`).join(', ')}
FROM (SELECT DISTINCT u.site, u.h FROM unnest($1::text[], $2::bigint[]) AS u(site, h)) a
JOIN ${s}.lane_hourly h ON h.site = a.site AND h.hour_start = a.h
GROUP BY h.site, h.hour_start
ON CONFLICT (site, hour_start) DO UPDATE SET n_in = excluded.n_in, n_out = excluded.n_out,
  denied = excluded.denied, windows = excluded.windows, ${CATEGORY_COLS.map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** The local day of a time column, with the configured offset as a literal. */
const localDaySql = (col: string, offMs: number): string => `((${col} + ${offMs}) / ${DAY}) * ${DAY} - ${offMs}`;

/**
 * Recomputes the daily denials-by-reason rows of the lanes and local days touched: deleted and summed again from
 * the windows' reasons, so a reason that a redelivered window no longer carries disappears. $1..$4 as refreshHourly.
 */
const refreshDenialsDaily = (s: string, offMs: number): string => `
WITH a AS (SELECT DISTINCT u.site, u.gate, u.lane, ${localDaySql('u.ws', offMs)} AS d
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(site, gate, lane, ws)),
gone AS (DELETE FROM ${s}.lane_denials_daily x USING a
         WHERE x.site = a.site AND x.gate = a.gate AND x.lane = a.lane AND x.day_start = a.d)
INSERT INTO ${s}.lane_denials_daily (site, gate, lane, day_start, reason, n)
SELECT a.site, a.gate, a.lane, a.d, r.reason, sum(r.n)
FROM a JOIN ${s}.lane_denials r ON r.site = a.site AND r.gate = a.gate AND r.lane = a.lane
  AND r.window_start >= a.d AND r.window_start < a.d + ${DAY}
GROUP BY a.site, a.gate, a.lane, a.d, r.reason`;

/**
 * Recomputes the daily rollup rows of the local days a batch touched, from the hourly rollup (refreshed first).
 * $1..$4 as refreshHourly; the local offset is a literal (an integer from the config).
 */
const refreshDaily = (s: string, offMs: number): string => `
INSERT INTO ${s}.lane_daily (site, gate, lane, day_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT h.site, h.gate, h.lane, a.d, sum(h.n_in), sum(h.n_out), sum(h.denied), sum(h.windows),
  ${CATEGORY_COLS.map((c) => `sum(h.${c})`).join(', ')}
FROM (SELECT DISTINCT u.site, u.gate, u.lane, ((u.ws + ${offMs}) / ${DAY}) * ${DAY} - ${offMs} AS d
      FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(site, gate, lane, ws)) a
JOIN ${s}.lane_hourly h ON h.site = a.site AND h.gate = a.gate AND h.lane = a.lane
  AND h.hour_start >= a.d AND h.hour_start < a.d + ${DAY}
GROUP BY h.site, h.gate, h.lane, a.d
ON CONFLICT (site, day_start, gate, lane) DO UPDATE SET n_in = excluded.n_in, n_out = excluded.n_out,
  denied = excluded.denied, windows = excluded.windows, ${CATEGORY_COLS.map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** The whole hourly rollup from the windows (once, for a store that had windows before the rollups existed). */
const rebuildHourlySql = (s: string): string => `
DELETE FROM ${s}.lane_hourly;
INSERT INTO ${s}.lane_hourly (site, gate, lane, hour_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT site, gate, lane, (window_start / ${HOUR}) * ${HOUR}, sum(n_in), sum(n_out), sum(denied), count(*),
  ${CATEGORY_COLS.map((c) => `sum(${c})`).join(', ')}
FROM ${s}.lane_counts GROUP BY 1, 2, 3, 4;
INSERT INTO ${s}.rollup_meta (key, value) VALUES ('hourly_built', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;`;

/** The site-level hourly rollup from the lane one (once, for a store from before it existed). */
const rebuildSiteHourlySql = (s: string): string => `
DELETE FROM ${s}.site_hourly;
INSERT INTO ${s}.site_hourly (site, hour_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT site, hour_start, sum(n_in), sum(n_out), sum(denied), sum(windows), ${CATEGORY_COLS.map((c) => `sum(${c})`).join(', ')}
FROM ${s}.lane_hourly GROUP BY 1, 2;
INSERT INTO ${s}.rollup_meta (key, value) VALUES ('site_hourly_built', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;`;

/** The whole daily rollups (passages and denials by reason): at first start, and when the local offset changed. */
export const rebuildDailySql = (s: string, offMs: number): string => `
DELETE FROM ${s}.lane_denials_daily;
INSERT INTO ${s}.lane_denials_daily (site, gate, lane, day_start, reason, n)
SELECT site, gate, lane, ${localDaySql('window_start', offMs)}, reason, sum(n) FROM ${s}.lane_denials GROUP BY 1, 2, 3, 4, 5;
DELETE FROM ${s}.lane_daily;
INSERT INTO ${s}.lane_daily (site, gate, lane, day_start, n_in, n_out, denied, windows, ${CATEGORY_COLS.join(', ')})
SELECT site, gate, lane, ((hour_start + ${offMs}) / ${DAY}) * ${DAY} - ${offMs}, sum(n_in), sum(n_out), sum(denied), sum(windows),
  ${CATEGORY_COLS.map((c) => `sum(${c})`).join(', ')}
FROM ${s}.lane_hourly GROUP BY 1, 2, 3, 4;
INSERT INTO ${s}.rollup_meta (key, value) VALUES ('daily_offset_minutes', '${offMs / 60_000}')
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;`;

const schemaSql = (s: string): string => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.lane_counts (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, window_start bigint NOT NULL,
  window_end bigint NOT NULL, boot_id text NOT NULL, seq bigint NOT NULL,
  n_in integer NOT NULL, n_out integer NOT NULL, denied integer NOT NULL, by_credential jsonb NOT NULL, received_at bigint NOT NULL,
  PRIMARY KEY (site, gate, lane, window_start));
CREATE INDEX IF NOT EXISTS lane_counts_site_time ON ${s}.lane_counts (site, window_start);
-- Minute answers across every site (the province's last two days) read a time range of the whole table.
CREATE INDEX IF NOT EXISTS lane_counts_time ON ${s}.lane_counts (window_start);
${CATEGORY_COLS.map((c) => `ALTER TABLE ${s}.lane_counts ADD COLUMN IF NOT EXISTS ${c} integer NOT NULL DEFAULT 0;`).join('\n')}
-- The hourly rollup every analytics answer of an hour or more reads (a year of one lane: 4,380 rows instead of
-- 262,800 windows). Kept exact in the same transaction as the windows (see refreshHourly); hour_start is the
-- UTC hour, which is the local hour wherever the offset is whole hours (Vietnam: +7).
CREATE TABLE IF NOT EXISTS ${s}.lane_hourly (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, hour_start bigint NOT NULL,
  n_in bigint NOT NULL, n_out bigint NOT NULL, denied bigint NOT NULL, windows integer NOT NULL,
  ${CATEGORY_COLS.map((c) => `${c} bigint NOT NULL`).join(', ')},
  PRIMARY KEY (site, hour_start, gate, lane));
CREATE INDEX IF NOT EXISTS lane_hourly_time ON ${s}.lane_hourly (hour_start);
-- The daily rollup (local days) for day, week and month answers: a year of one lane is 365 rows.
CREATE TABLE IF NOT EXISTS ${s}.lane_daily (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, day_start bigint NOT NULL,
  n_in bigint NOT NULL, n_out bigint NOT NULL, denied bigint NOT NULL, windows integer NOT NULL,
  ${CATEGORY_COLS.map((c) => `${c} bigint NOT NULL`).join(', ')},
  PRIMARY KEY (site, day_start, gate, lane));
CREATE INDEX IF NOT EXISTS lane_daily_time ON ${s}.lane_daily (day_start);
CREATE TABLE IF NOT EXISTS ${s}.rollup_meta (key text PRIMARY KEY, value text NOT NULL);
-- Per site and hour, for the answers that do not split a site (peak hours, per-site and province hour series):
-- a fifth of the lane rows with five lanes a site.
CREATE TABLE IF NOT EXISTS ${s}.site_hourly (
  site text NOT NULL, hour_start bigint NOT NULL,
  n_in bigint NOT NULL, n_out bigint NOT NULL, denied bigint NOT NULL, windows integer NOT NULL,
  ${CATEGORY_COLS.map((c) => `${c} bigint NOT NULL`).join(', ')},
  PRIMARY KEY (site, hour_start));
CREATE INDEX IF NOT EXISTS site_hourly_time ON ${s}.site_hourly (hour_start);
-- Lane hours written since the rollups were last refreshed. Marked in the write's own transaction; the refresh
-- takes them and recomputes their rollup rows in one transaction, and every read of a rollup refreshes first, so
-- no answer ever reads a stale rollup row (see flushRollups).
CREATE TABLE IF NOT EXISTS ${s}.rollup_pending (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, hour_start bigint NOT NULL,
  PRIMARY KEY (site, gate, lane, hour_start));
-- Denials by reason of each lane window (only windows whose gate sent reasons, only reasons that occurred), and
-- per lane and local day for day, week and month answers.
CREATE TABLE IF NOT EXISTS ${s}.lane_denials (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, window_start bigint NOT NULL, reason text NOT NULL,
  n integer NOT NULL, PRIMARY KEY (site, gate, lane, window_start, reason));
CREATE INDEX IF NOT EXISTS lane_denials_time ON ${s}.lane_denials (window_start);
CREATE TABLE IF NOT EXISTS ${s}.lane_denials_daily (
  site text NOT NULL, gate text NOT NULL, lane text NOT NULL, day_start bigint NOT NULL, reason text NOT NULL,
  n bigint NOT NULL, PRIMARY KEY (site, day_start, gate, lane, reason));
CREATE INDEX IF NOT EXISTS lane_denials_daily_time ON ${s}.lane_denials_daily (day_start);
CREATE TABLE IF NOT EXISTS ${s}.zone_counts (
  site text NOT NULL, gate text NOT NULL, zone text NOT NULL, window_start bigint NOT NULL,
  n_in integer NOT NULL, n_out integer NOT NULL, PRIMARY KEY (site, gate, zone, window_start));
CREATE INDEX IF NOT EXISTS zone_counts_site_time ON ${s}.zone_counts (site, window_start);
CREATE TABLE IF NOT EXISTS ${s}.gates (
  site text NOT NULL, gate text NOT NULL, state text NOT NULL DEFAULT 'unknown', boot_id text, version text,
  status_at bigint, last_seen bigint, health jsonb, health_at bigint, outbox_depth integer, outbox_capacity integer,
  PRIMARY KEY (site, gate));
CREATE TABLE IF NOT EXISTS ${s}.alarms (
  site text NOT NULL, gate text NOT NULL, id text NOT NULL, kind text NOT NULL, lane text, ts bigint NOT NULL,
  detail jsonb, received_at bigint NOT NULL, PRIMARY KEY (site, gate, id));
CREATE INDEX IF NOT EXISTS alarms_ts ON ${s}.alarms (ts);
${BI_VIEWS(s)}
`;

// bigint (int8) and numeric come back as strings by default; every value here fits a double exactly.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 || oid === 1700
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export async function openPostgresStore(
  url: string,
  schema: string,
  opts: {
    utcOffsetMinutes?: number;
    /**
     * How long the rollups may wait after a write before they are refreshed for every hour written meanwhile.
     * One refresh for many batches is what keeps ingest fast (BENCHMARKS.md, collector); reads never wait for it,
     * they refresh first.
     */
    rollupDelayMs?: number;
  } = {},
): Promise<CollectorStore> {
  const s = ident(schema);
  const offMin = opts.utcOffsetMinutes ?? VIETNAM_UTC_OFFSET_MINUTES;
  if (!Number.isInteger(offMin)) throw new TypeError('utcOffsetMinutes must be an integer');
  const offMs = offMin * 60_000;
  // jit off: the analytics queries are short aggregates where compiling costs more than it saves (10-50 ms each).
  const pool = new pg.Pool({ connectionString: url, max: 4, types, options: '-c jit=off' });
  // A pool error on an idle client (server restart) must not crash the collector; the next query reconnects.
  pool.on('error', () => {});
  /** Runs fn in one transaction on one pooled connection: committed, or rolled back and rethrown. */
  const inTransaction = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  };
  await pool.query(schemaSql(s));
  const meta = await pool.query(`SELECT key, value FROM ${s}.rollup_meta`);
  const metaOf = (key: string): string | undefined => meta.rows.find((r) => r.key === key)?.value;
  // A collector upgraded from before the rollups has windows and no rollups: build them once from the windows.
  const hourlyBuilt = metaOf('hourly_built') === '1';
  const siteHourlyBuilt = metaOf('site_hourly_built') === '1';
  if (!hourlyBuilt || !siteHourlyBuilt || metaOf('daily_offset_minutes') !== String(offMin)) {
    await inTransaction(async (c) => {
      if (!hourlyBuilt) await c.query(rebuildHourlySql(s));
      if (!hourlyBuilt || !siteHourlyBuilt) await c.query(rebuildSiteHourlySql(s));
      await c.query(rebuildDailySql(s, offMs));
    });
  }

  const col = <T, K extends keyof T>(rows: readonly T[], k: K): T[K][] => rows.map((r) => r[k]);

  /**
   * Takes every pending lane hour and recomputes its lane hourly, site hourly and daily rows (and the days'
   * denials by reason) in one transaction. Another collector writing the same hour meanwhile either committed
   * before the take (its windows are in this refresh) or marks the hour again after it (the next refresh).
   */
  const refreshPending = async (): Promise<void> => {
    await inTransaction(async (c) => {
      const taken = await c.query(`DELETE FROM ${s}.rollup_pending RETURNING site, gate, lane, hour_start AS h`);
      if (taken.rowCount) {
        const T = taken.rows as { site: string; gate: string; lane: string; h: number }[];
        const keys = [col(T, 'site'), col(T, 'gate'), col(T, 'lane'), col(T, 'h')];
        await c.query(refreshHourly(s), keys);
        await c.query(refreshSiteHourly(s), [col(T, 'site'), col(T, 'h')]);
        await c.query(refreshDaily(s, offMs), keys);
        await c.query(refreshDenialsDaily(s, offMs), keys);
      }
    });
  };
  // One refresh at a time in this process; a caller that arrives during one waits for it and then runs its own,
  // so it sees every hour written before it asked.
  let refreshing: Promise<void> = Promise.resolve();
  let pendingHere = true; // a crash may have left hours pending: refresh before the first read
  const flushRollups = (): Promise<void> => {
    const run = refreshing.catch(() => {}).then(refreshPending);
    refreshing = run;
    return run;
  };
  /** Before a rollup read: refresh if this collector wrote since its last refresh, or another may have. */
  const fresh = async (): Promise<void> => {
    if (!pendingHere) {
      const r = await pool.query(`SELECT EXISTS (SELECT 1 FROM ${s}.rollup_pending) AS any`);
      if (!r.rows[0].any) return;
    }
    pendingHere = false;
    await flushRollups();
  };
  const rollupDelayMs = opts.rollupDelayMs ?? 1000;
  let timer: NodeJS.Timeout | null = null;
  const scheduleRefresh = (): void => {
    pendingHere = true;
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      pendingHere = false;
      // A failed refresh leaves its hours pending (rolled back): the next write or read retries them.
      flushRollups().catch(() => {
        pendingHere = true;
      });
    }, rollupDelayMs);
    timer.unref();
  };
  await fresh();

  const categorySums = CATEGORY_KEYS.map((k) => `sum(${CATEGORY_COLUMNS[k]}) AS "${k}"`).join(', ');
  const noCategories = CATEGORY_KEYS.map((k) => `0 AS "${k}"`).join(', ');
  /** The rollup answers exactly when its hours are local hours and the range is whole hours. */
  const rollupServes = (grain: string, from: number, to: number, offMin: number): boolean =>
    grain !== 'minute' && offMin % 60 === 0 && from % HOUR === 0 && to % HOUR === 0;

  /** The smallest table that answers exactly: daily for whole local days, hourly for whole hours, else the windows. */
  const rollupFor = (grain: string, from: number, to: number, offMinQ: number): [string, string] => {
    const wholeDays = (from + offMs) % DAY === 0 && (to + offMs) % DAY === 0;
    // The daily rollup is summed from the hourly one: exact only where local days start on whole UTC hours.
    const dailyExact = offMin % 60 === 0;
    if ((grain === 'day' || grain === 'week' || grain === 'month') && offMinQ === offMin && dailyExact && wholeDays)
      return ['lane_daily', 'day_start'];
    return rollupServes(grain, from, to, offMinQ) ? ['lane_hourly', 'hour_start'] : ['lane_counts', 'window_start'];
  };

  return {
    kind: 'postgres',
    async analytics(q: AnalyticsQuery): Promise<AnalyticsCell[]> {
      const [rollup, t] = rollupFor(q.grain, q.from, q.to, q.utcOffsetMinutes);
      if (rollup !== 'lane_counts') await fresh();
      // An answer that does not split a site reads the site rows: a fifth of the lane rows at five lanes a site.
      const perSite = rollup === 'lane_hourly' && !q.gate && !q.lane && (q.groupBy === 'total' || q.groupBy === 'site');
      const g = groupSql(q.groupBy);
      const r = await pool.query(
        `SELECT ${bucketSql('postgres', t, q.grain, q.utcOffsetMinutes)} AS "bucketStart", ${g.select},
           sum(n_in) AS "in", sum(n_out) AS "out", sum(denied) AS denied,
           ${q.categories === false ? noCategories : categorySums}
         FROM ${s}.${perSite ? 'site_hourly' : rollup}
         WHERE ${t} >= $1 AND ${t} < $2 AND ($3::text IS NULL OR site = $3)
           ${perSite ? '' : 'AND ($4::text IS NULL OR gate = $4) AND ($5::text IS NULL OR lane = $5)'}
         GROUP BY 1${g.keys} ORDER BY 1${g.keys}`,
        perSite ? [q.from, q.to, q.site ?? null] : [q.from, q.to, q.site ?? null, q.gate ?? null, q.lane ?? null],
      );
      return r.rows as AnalyticsCell[];
    },
    async hourOfDay(q): Promise<HourOfDayCell[]> {
      const off = q.utcOffsetMinutes * 60_000;
      const hourly = rollupServes('hour', q.from, q.to, q.utcOffsetMinutes);
      const [table, t] = hourly ? ['site_hourly', 'hour_start'] : ['lane_counts', 'window_start'];
      if (hourly) await fresh();
      const r = await pool.query(
        `SELECT site, ((${t} + ${off}) % ${GRAIN_MS.day}) / ${HOUR} AS hour, sum(n_in) AS "in", sum(n_out) AS "out"
         FROM ${s}.${table} WHERE ${t} >= $1 AND ${t} < $2 AND ($3::text IS NULL OR site = $3)
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [q.from, q.to, q.site ?? null],
      );
      return r.rows as HourOfDayCell[];
    },
    async denialReasons(q: AnalyticsQuery): Promise<DenialReasonCell[]> {
      const [rollup] = rollupFor(q.grain, q.from, q.to, q.utcOffsetMinutes);
      const [table, t] =
        rollup === 'lane_daily' ? ['lane_denials_daily', 'day_start'] : ['lane_denials', 'window_start'];
      if (table !== 'lane_denials') await fresh();
      const g = groupSql(q.groupBy);
      const r = await pool.query(
        `SELECT ${bucketSql('postgres', t, q.grain, q.utcOffsetMinutes)} AS "bucketStart", ${g.select}, reason, sum(n) AS n
         FROM ${s}.${table}
         WHERE ${t} >= $1 AND ${t} < $2 AND ($3::text IS NULL OR site = $3) AND ($4::text IS NULL OR gate = $4)
           AND ($5::text IS NULL OR lane = $5)
         GROUP BY 1${g.keys}, reason ORDER BY 1${g.keys}, reason`,
        [q.from, q.to, q.site ?? null, q.gate ?? null, q.lane ?? null],
      );
      return r.rows as DenialReasonCell[];
    },
    async alarmKinds(q): Promise<AlarmKindCell[]> {
      const r = await pool.query(
        `SELECT ${bucketSql('postgres', 'ts', q.grain, q.utcOffsetMinutes)} AS "bucketStart", site, kind, count(*)::int AS n
         FROM ${s}.alarms WHERE ts >= $1 AND ts < $2 AND ($3::text IS NULL OR site = $3)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [q.from, q.to, q.site ?? null],
      );
      return r.rows as AlarmKindCell[];
    },
    async write(b: StoreBatch) {
      await inTransaction(async (c) => {
        if (b.lanes.length) {
          const L = b.lanes;
          await c.query(
            `INSERT INTO ${s}.lane_counts (site, gate, lane, window_start, window_end, boot_id, seq, n_in, n_out, denied, by_credential, received_at,
               ${CATEGORY_COLS.join(', ')})
             SELECT u.site, u.gate, u.lane, u.ws, u.we, u.boot, u.seq, u.i, u.o, u.d, u.bc::jsonb, u.ra, ${CATEGORY_COLS.map((c) => `u.${c}`).join(', ')}
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::int[], $9::int[], $10::int[], $11::text[], $12::bigint[],
               ${CATEGORY_COLS.map((_, i) => `$${13 + i}::int[]`).join(', ')})
               AS u(site, gate, lane, ws, we, boot, seq, i, o, d, bc, ra, ${CATEGORY_COLS.join(', ')})
             ON CONFLICT (site, gate, lane, window_start) DO UPDATE SET window_end = excluded.window_end, boot_id = excluded.boot_id,
               seq = excluded.seq, n_in = excluded.n_in, n_out = excluded.n_out, denied = excluded.denied,
               by_credential = excluded.by_credential, received_at = excluded.received_at,
               ${CATEGORY_COLS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
            [
              col(L, 'site'),
              col(L, 'gate'),
              col(L, 'lane'),
              col(L, 'windowStart'),
              col(L, 'windowEnd'),
              col(L, 'bootId'),
              col(L, 'seq'),
              col(L, 'in'),
              col(L, 'out'),
              col(L, 'denied'),
              col(L, 'byCredential'),
              col(L, 'receivedAt'),
              ...CATEGORY_KEYS.map((k) => col(L, k)),
            ],
          );
          const keys = [col(L, 'site'), col(L, 'gate'), col(L, 'lane'), col(L, 'windowStart')];
          // A redelivered window replaces its reasons as it replaces its counts: never adds to them.
          await c.query(
            `DELETE FROM ${s}.lane_denials d USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(site, gate, lane, ws)
             WHERE d.site = u.site AND d.gate = u.gate AND d.lane = u.lane AND d.window_start = u.ws`,
            keys,
          );
          const R = L.flatMap((l) =>
            Object.entries(l.deniedByReason ?? {}).map(([reason, n]) => ({ ...l, reason, n })),
          );
          if (R.length) {
            await c.query(
              `INSERT INTO ${s}.lane_denials (site, gate, lane, window_start, reason, n)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[])`,
              [col(R, 'site'), col(R, 'gate'), col(R, 'lane'), col(R, 'windowStart'), col(R, 'reason'), col(R, 'n')],
            );
          }
          // The rollups are refreshed for these hours later, once for many batches (refreshPending); in key
          // order, so two collectors marking the same hours wait for each other instead of deadlocking.
          await c.query(
            `INSERT INTO ${s}.rollup_pending (site, gate, lane, hour_start)
             SELECT DISTINCT u.site, u.gate, u.lane, (u.ws / ${HOUR}) * ${HOUR}
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(site, gate, lane, ws)
             ORDER BY 1, 2, 3, 4 ON CONFLICT DO NOTHING`,
            keys,
          );
        }
        if (b.zones.length) {
          const Z = b.zones;
          await c.query(
            `INSERT INTO ${s}.zone_counts (site, gate, zone, window_start, n_in, n_out)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::int[])
             ON CONFLICT (site, gate, zone, window_start) DO UPDATE SET n_in = excluded.n_in, n_out = excluded.n_out`,
            [col(Z, 'site'), col(Z, 'gate'), col(Z, 'zone'), col(Z, 'windowStart'), col(Z, 'in'), col(Z, 'out')],
          );
        }
        if (b.gates.length) {
          const G = b.gates;
          await c.query(
            `INSERT INTO ${s}.gates AS g (site, gate, state, boot_id, version, status_at, last_seen, health, health_at, outbox_depth, outbox_capacity)
             SELECT u.site, u.gate, coalesce(u.state, 'unknown'), u.boot, u.ver, u.sa, u.ls, u.h::jsonb, u.ha, u.od, u.oc
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::int[], $11::int[])
               AS u(site, gate, state, boot, ver, sa, ls, h, ha, od, oc)
             ON CONFLICT (site, gate) DO UPDATE SET
               state = coalesce(nullif(excluded.state, 'unknown'), g.state),
               boot_id = coalesce(excluded.boot_id, g.boot_id), version = coalesce(excluded.version, g.version),
               status_at = coalesce(excluded.status_at, g.status_at),
               last_seen = greatest(coalesce(g.last_seen, 0), coalesce(excluded.last_seen, 0)),
               health = coalesce(excluded.health, g.health), health_at = coalesce(excluded.health_at, g.health_at),
               outbox_depth = coalesce(excluded.outbox_depth, g.outbox_depth), outbox_capacity = coalesce(excluded.outbox_capacity, g.outbox_capacity)`,
            [
              col(G, 'site'),
              col(G, 'gate'),
              col(G, 'state'),
              col(G, 'bootId'),
              col(G, 'version'),
              col(G, 'statusAt'),
              col(G, 'lastSeen'),
              col(G, 'health'),
              col(G, 'healthAt'),
              col(G, 'outboxDepth'),
              col(G, 'outboxCapacity'),
            ],
          );
        }
        if (b.alarms.length) {
          const A = b.alarms;
          await c.query(
            `INSERT INTO ${s}.alarms (site, gate, id, kind, lane, ts, detail, received_at)
             SELECT u.site, u.gate, u.id, u.kind, u.lane, u.ts, u.detail::jsonb, u.ra
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])
               AS u(site, gate, id, kind, lane, ts, detail, ra)
             ON CONFLICT DO NOTHING`,
            [
              col(A, 'site'),
              col(A, 'gate'),
              col(A, 'id'),
              col(A, 'kind'),
              col(A, 'lane'),
              col(A, 'ts'),
              col(A, 'detail'),
              col(A, 'receivedAt'),
            ],
          );
        }
      });
      if (b.lanes.length) scheduleRefresh();
    },
    async countsCells(q: CountsQuery): Promise<CountsCell[]> {
      const r = await pool.query(
        `SELECT ((window_start + $1) / $2) * $2 - $1 AS "bucketStart", site, gate, lane,
           sum(n_in) AS "in", sum(n_out) AS "out", sum(denied) AS denied
         FROM ${s}.lane_counts
         WHERE window_start >= $3 AND window_start < $4 AND ($5::text IS NULL OR site = $5) AND ($6::text IS NULL OR gate = $6)
         GROUP BY 1, site, gate, lane ORDER BY 1, site, gate, lane`,
        [q.utcOffsetMinutes * 60_000, bucketMs(q.bucket), q.from, q.to, q.site ?? null, q.gate ?? null],
      );
      return r.rows as CountsCell[];
    },
    async sites() {
      const r = await pool.query(
        `SELECT site, count(*)::int AS gates, max(last_seen) AS "lastSeen" FROM ${s}.gates GROUP BY site ORDER BY site`,
      );
      return r.rows;
    },
    async laneTotals(site, since, until = Number.MAX_SAFE_INTEGER): Promise<InOut> {
      // Whole hours (an occupancy curve's carried-in total since a reset) come from the rollup: an industrial
      // site never resets, and a year of its windows is millions of rows.
      const [table, t] =
        since % HOUR === 0 && until % HOUR === 0 ? ['site_hourly', 'hour_start'] : ['lane_counts', 'window_start'];
      if (table !== 'lane_counts') await fresh();
      const r = await pool.query(
        `SELECT coalesce(sum(n_in), 0) AS "in", coalesce(sum(n_out), 0) AS "out" FROM ${s}.${table} WHERE site = $1 AND ${t} >= $2 AND ${t} < $3`,
        [site, since, until],
      );
      return r.rows[0] as InOut;
    },
    async zoneTotals(site, since, until = Number.MAX_SAFE_INTEGER) {
      const r = await pool.query(
        `SELECT zone, sum(n_in) AS "in", sum(n_out) AS "out" FROM ${s}.zone_counts WHERE site = $1 AND window_start >= $2 AND window_start < $3 GROUP BY zone ORDER BY zone`,
        [site, since, until],
      );
      return r.rows;
    },
    async gates(site?: string): Promise<GateRow[]> {
      const r = await pool.query(
        `SELECT site, gate, state, boot_id AS "bootId", version, status_at AS "statusAt", last_seen AS "lastSeen", health,
           health_at AS "healthAt", outbox_depth AS "outboxDepth", outbox_capacity AS "outboxCapacity"
         FROM ${s}.gates WHERE ($1::text IS NULL OR site = $1) ORDER BY site, gate`,
        [site ?? null],
      );
      return r.rows as GateRow[];
    },
    async alarms(q: AlarmQuery): Promise<AlarmRow[]> {
      const r = await pool.query(
        `SELECT site, gate, id, kind, lane, ts, detail, received_at AS "receivedAt" FROM ${s}.alarms
         WHERE ($1::text IS NULL OR site = $1) AND ($2::text IS NULL OR gate = $2) AND ts >= $3
         ORDER BY ts DESC, id LIMIT $4`,
        [q.site ?? null, q.gate ?? null, q.since ?? 0, q.limit],
      );
      return r.rows as AlarmRow[];
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = null;
      // Leave the rollups exact for whoever opens the store next (a crash leaves hours pending, refreshed at open).
      await flushRollups().catch(() => {});
      await pool.end();
    },
  };
}

/** For tests and the benchmark: drops a schema made by openPostgresStore. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  } finally {
    await c.end();
  }
}
