// The IOC's own tools: the read-only BI views exist in PostgreSQL, hold the small-cell rule, and every panel
// of the Grafana dashboard (docs/grafana/gate06-ioc.json) runs against them as Grafana would send it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import t from 'tap';
import { foldBatch } from '../../../collector/storage/batch.js';
import { dropPostgresSchema, openPostgresStore } from '../../../collector/storage/postgres.js';
import { alarmRecord, countsRecord, statusRecord } from '../fixtures.js';

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_bi_${randomBytes(5).toString('hex')}`;
const T0 = 1_767_200_400_000; // 2026-01-01 00:00 in Vietnam
const H = 3_600_000;

interface Panel {
  id: number;
  title: string;
  targets: { rawSql: string; format: string }[];
}
const dashboard = JSON.parse(
  readFileSync(new URL('../../../docs/grafana/gate06-ioc.json', import.meta.url), 'utf8'),
) as {
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
};

/** What Grafana's PostgreSQL data source sends for the macros the dashboard uses, and $site as "All". */
function asGrafanaSends(sql: string, from: Date, to: Date, sites: string[]): string {
  const f = `'${from.toISOString()}'`;
  const u = `'${to.toISOString()}'`;
  return sql
    .replace(/\$__timeFilter\((\w+)\)/g, `$1 BETWEEN ${f} AND ${u}`)
    .replace(/\$__timeFrom\(\)/g, f)
    .replace(/\$__timeTo\(\)/g, u)
    .replace(/\$site/g, sites.map((s) => `'${s}'`).join(','));
}

const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
const why = await client.connect().then(
  () => null,
  (err: Error) => err.message,
);
if (why) {
  t.plan(0, `PostgreSQL not reachable (${why}); set DATABASE_URL to run the BI view tests`);
} else {
  const store = await openPostgresStore(url, schema);
  t.teardown(async () => {
    await client.end();
    await dropPostgresSchema(url, schema);
  });
  await store.write(
    foldBatch(
      [
        statusRecord('tam-chuc', 'g1', 'online', T0),
        countsRecord('tam-chuc', 'g1', T0 + 9 * H, [
          {
            lane: 'L1',
            in: 9,
            out: 0,
            byCategory: { domestic: 6, foreign: 3, unknown: 0, ageBand: { '18-39': 9 }, sex: { M: 5, F: 4 } },
          },
        ]),
        // One foreign visitor beside four domestic: the nationality breakdown of this window is withheld whole.
        countsRecord('tam-chuc', 'g1', T0 + 10 * H, [
          {
            lane: 'L1',
            in: 5,
            out: 0,
            byCategory: { domestic: 4, foreign: 1, unknown: 0, ageBand: { '40-59': 5 }, sex: { M: 5 } },
          },
        ]),
        alarmRecord('tam-chuc', 'g1', 'al-1', T0 + 9 * H),
      ],
      3,
    ),
  );
  // The views read the rollups, which the store refreshes within rollupDelayMs of a write; closing refreshes now.
  await store.close();
  // A read-only analyst as docs/ioc-bi.md sets one up: the views on the search path, nothing else.
  await client.query(`SET search_path = ${schema}`);

  t.test('the daily view gives local dates, and a window with a small cell counts as withheld', async (t) => {
    const r = await client.query(
      'SELECT local_date::text AS d, entries::int, domestic::int, foreign_visitors::int, withheld_nationality::int FROM bi_passages_daily',
    );
    t.same(r.rows, [{ d: '2026-01-01', entries: 14, domestic: 6, foreign_visitors: 3, withheld_nationality: 5 }]);
  });

  t.test('the hourly view gives local hours', async (t) => {
    const r = await client.query('SELECT local_hour, entries::int FROM bi_passages_hourly ORDER BY local_hour');
    t.same(r.rows, [
      { local_hour: 9, entries: 9 },
      { local_hour: 10, entries: 5 },
    ]);
  });

  t.test('the site variable of the dashboard lists the sites', async (t) => {
    const v = dashboard.templating.list.find((x) => x.name === 'site')!;
    t.same((await client.query(v.query)).rows, [{ site: 'tam-chuc' }]);
  });

  for (const p of dashboard.panels) {
    t.test(`Grafana panel "${p.title}" runs against the views and finds the data`, async (t) => {
      for (const target of p.targets) {
        const sql = asGrafanaSends(target.rawSql, new Date(T0 - 86_400_000), new Date(T0 + 86_400_000), ['tam-chuc']);
        const r = await client.query(sql);
        t.ok(r.rows.length > 0, `${r.rows.length} rows`);
      }
    });
  }
}
