// Generates a year of count windows with category breakdowns in PostgreSQL, server-side (generate_series), for
// bench/analytics.ts: by default 50 lanes (10 sites × 5 lanes) × a window every minute of 12 opening hours
// (07:00-19:00 local) × 365 days = 13,140,000 windows, then the hourly rollup, as the collector keeps them.
// The store's own schema is used (openPostgresStore); the keys and indexes are dropped during the load and
// built after it, which is how a bulk load is done (a PostgreSQL COPY would do the same job).
// Usage: node --import tsx bench/analytics-data.ts [--lanes 50] [--days 365] [--drop]
//        node --import tsx bench/analytics-data.ts --add-denials   (reasons for a year made before they existed)
// Database: BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/gate06_bench (created if missing);
// schema gate06_bench. --drop removes the schema (the data is ~5 GB: drop it when done).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CATEGORY_COLUMN_LIST } from '../collector/analytics/disclosure.js';
import { dropPostgresSchema, openPostgresStore, rebuildDailySql } from '../collector/storage/postgres.js';
import { BENCH_SCHEMA, BENCH_T0, BENCH_URL, LANES_PER_SITE } from './analytics-db.js';

async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!r.rowCount) await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await c.end();
  }
}

/**
 * Each denied window's denials get a reason, spread over a few common codes as a site sees them (expired and
 * used-up tickets most, then faces and anti-passback); the site-level hourly rollup is built by the store at open.
 */
async function addDenials(c: pg.Client, s: string): Promise<void> {
  await c.query(
    `INSERT INTO ${s}.lane_denials (site, gate, lane, window_start, reason, n)
     SELECT site, gate, lane, window_start,
       (ARRAY['ticket.expired','ticket.expired','ticket.uses-exhausted','face.no-match','policy.anti-passback',
              'qr.expired','chip.read-failed','ticket.wrong-site'])[1 + (window_start / 60000) % 8], denied
     FROM ${s}.lane_counts WHERE denied > 0`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lanes: { type: 'string', default: '50' },
      days: { type: 'string', default: '365' },
      drop: { type: 'boolean' },
      'add-denials': { type: 'boolean' },
    },
  });
  if (values.drop) {
    await dropPostgresSchema(BENCH_URL, BENCH_SCHEMA);
    console.log(`dropped schema ${BENCH_SCHEMA}`);
    return;
  }
  if (values['add-denials']) {
    // Opening the store adds the tables a newer collector has (and builds its site-level hourly rollup).
    await (await openPostgresStore(BENCH_URL, BENCH_SCHEMA)).close();
    const c = new pg.Client({ connectionString: BENCH_URL });
    await c.connect();
    try {
      await c.query(`DELETE FROM ${BENCH_SCHEMA}.lane_denials`);
      await addDenials(c, BENCH_SCHEMA);
      await c.query(rebuildDailySql(BENCH_SCHEMA, 420 * 60_000));
      await c.query(`ANALYZE ${BENCH_SCHEMA}.lane_denials, ${BENCH_SCHEMA}.lane_denials_daily`);
    } finally {
      await c.end();
    }
    console.log('denials by reason added');
    return;
  }
  const lanes = Number(values.lanes);
  const days = Number(values.days);
  await ensureDatabase(BENCH_URL);
  await dropPostgresSchema(BENCH_URL, BENCH_SCHEMA);
  await (await openPostgresStore(BENCH_URL, BENCH_SCHEMA)).close();
  const c = new pg.Client({ connectionString: BENCH_URL });
  await c.connect();
  const s = BENCH_SCHEMA;
  const step = async (what: string, sql: string): Promise<void> => {
    const t = process.hrtime.bigint();
    await c.query(sql);
    console.log(`${what}: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);
  };
  const cols = CATEGORY_COLUMN_LIST;
  try {
    await c.query("SET maintenance_work_mem = '256MB'");
    await c.query(`ALTER TABLE ${s}.lane_counts DROP CONSTRAINT lane_counts_pkey`);
    await c.query(`DROP INDEX ${s}.lane_counts_site_time, ${s}.lane_counts_time`);
    // In time order, as windows arrive from the gates: the table is then laid out by time, as in production.
    // Per window: entries follow the day (a peak at 09:00-10:00 and 14:00-15:00); categories as a gate sends
    // them after its small-cell rule (a breakdown with a cell of 1-2 moves whole into withheld).
    await step(
      `generate ${lanes * days * 720} windows`,
      `INSERT INTO ${s}.lane_counts (site, gate, lane, window_start, window_end, boot_id, seq, n_in, n_out, denied, by_credential, received_at, ${cols.join(', ')})
       SELECT site, gate, lane, ws, ws + 60000, 'bench', 0, n_in, n_out, denied, '{}'::jsonb, ws + 61000,
         CASE WHEN nat_small THEN 0 ELSE dom END, CASE WHEN nat_small THEN 0 ELSE fgn END, 0,
         CASE WHEN age_small THEN 0 ELSE a1 END, CASE WHEN age_small THEN 0 ELSE a2 END,
         CASE WHEN age_small THEN 0 ELSE a3 END, CASE WHEN age_small THEN 0 ELSE a4 END,
         CASE WHEN sex_small THEN 0 ELSE m END, CASE WHEN sex_small THEN 0 ELSE p - m END,
         CASE WHEN nat_small THEN p ELSE 0 END, CASE WHEN age_small THEN p ELSE 0 END, CASE WHEN sex_small THEN p ELSE 0 END
       FROM (
         SELECT *, (dom BETWEEN 1 AND 2 OR fgn BETWEEN 1 AND 2) AS nat_small,
           (a1 BETWEEN 1 AND 2 OR a2 BETWEEN 1 AND 2 OR a3 BETWEEN 1 AND 2 OR a4 BETWEEN 1 AND 2) AS age_small,
           (m BETWEEN 1 AND 2 OR p - m BETWEEN 1 AND 2) AS sex_small
         FROM (
           SELECT *, p - dom AS fgn, p / 6 AS a1, p / 2 AS a2, p / 4 AS a3, p - p / 6 - p / 2 - p / 4 AS a4, p / 2 AS m
           FROM (
             SELECT *, n_in + n_out AS p, ((n_in + n_out) * 7) / 10 AS dom
             FROM (
               SELECT 'site-' || lpad((l / ${LANES_PER_SITE})::text, 2, '0') AS site, 'g1' AS gate, 'L' || (l % ${LANES_PER_SITE}) AS lane,
                 ${BENCH_T0}::bigint + d::bigint * 86400000 + (420 + m) * 60000 AS ws,
                 (random() * (4 + 6 * (m BETWEEN 120 AND 180 OR m BETWEEN 420 AND 480)::int))::int AS n_in,
                 (random() * (3 + 6 * (m BETWEEN 540 AND 660)::int))::int AS n_out,
                 (random() < 0.05)::int AS denied
               FROM generate_series(0, ${days - 1}) d, generate_series(0, 719) m, generate_series(0, ${lanes - 1}) l
             ) raw
           ) withp
         ) split
       ) judged
       ORDER BY ws`,
    );
    await step(
      'primary key',
      `ALTER TABLE ${s}.lane_counts ADD CONSTRAINT lane_counts_pkey PRIMARY KEY (site, gate, lane, window_start)`,
    );
    await step(
      'index (site, window_start)',
      `CREATE INDEX lane_counts_site_time ON ${s}.lane_counts (site, window_start)`,
    );
    await step('index (window_start)', `CREATE INDEX lane_counts_time ON ${s}.lane_counts (window_start)`);
    await step(
      'hourly rollup',
      `INSERT INTO ${s}.lane_hourly (site, gate, lane, hour_start, n_in, n_out, denied, windows, ${cols.join(', ')})
       SELECT site, gate, lane, (window_start / 3600000) * 3600000, sum(n_in), sum(n_out), sum(denied), count(*),
         ${cols.map((x) => `sum(${x})`).join(', ')}
       FROM ${s}.lane_counts GROUP BY 1, 2, 3, 4`,
    );
    const t = process.hrtime.bigint();
    await addDenials(c, s);
    console.log(`denials by reason: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);
    await step('daily rollups', rebuildDailySql(s, 420 * 60_000));
    // A year of alarms: a few per site per day.
    await step(
      'alarms',
      `INSERT INTO ${s}.alarms (site, gate, id, kind, lane, ts, detail, received_at)
       SELECT 'site-' || lpad(x::text, 2, '0'), 'g1', 'a-' || d || '-' || k, (ARRAY['tailgating','forced-passage','door-held','device-offline'])[1 + k % 4],
         'L1', ${BENCH_T0}::bigint + d::bigint * 86400000 + (420 + k * 97) * 60000, NULL, 0
       FROM generate_series(0, ${days - 1}) d, generate_series(0, ${Math.ceil(lanes / LANES_PER_SITE) - 1}) x, generate_series(0, 3) k`,
    );
    await step('analyze', `ANALYZE ${s}.lane_counts, ${s}.lane_hourly, ${s}.lane_daily, ${s}.alarms`);
    const size = await c.query(
      `SELECT relname, n_live_tup::bigint AS rows, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables WHERE schemaname = $1 ORDER BY relname`,
      [s],
    );
    for (const r of size.rows) console.log(`${r.relname}: ${r.rows} rows, ${(Number(r.bytes) / 1e6).toFixed(0)} MB`);
  } finally {
    await c.end();
  }
}

await main();
