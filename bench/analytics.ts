// Times every analytics and dashboard query of the collector's API against a year of data in PostgreSQL
// (made by bench/analytics-data.ts), through the real HTTP handlers (fastify inject: validation, store, shaping,
// serialisation; no socket). Each query runs once to warm up, then --runs times; the median and the slowest are
// reported. Target (issue #16): every query ≤ 300 ms.
// Usage: node --import tsx bench/analytics-data.ts && node --import tsx bench/analytics.ts [--runs 7]
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createCollectorHttp } from '../collector/http/server.js';
import { createCollectorMetrics } from '../collector/metrics.js';
import { openPostgresStore } from '../collector/storage/postgres.js';
import { BENCH_SCHEMA, BENCH_T0, BENCH_URL } from './analytics-db.js';

const D = 86_400_000;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);

const store = await openPostgresStore(BENCH_URL, BENCH_SCHEMA);
const YEAR_END = BENCH_T0 + 365 * D;
const NOW = YEAR_END - D + 17 * 3_600_000; // the last generated day, 17:00
const sites = Array.from({ length: 10 }, (_, i) => ({
  id: `site-${String(i).padStart(2, '0')}`,
  name: '',
  kind: (i < 7 ? 'tourist' : i < 9 ? 'industrial' : 'station') as 'tourist' | 'industrial' | 'station',
}));
const app = await createCollectorHttp({
  store,
  metrics: createCollectorMetrics(),
  ingest: { status: { connected: true } as never, pendingCount: 0 },
  sites,
  offlineAfterS: 180,
  utcOffsetMinutes: 420,
  apiToken: Buffer.from('bench-token-0123456789'),
  bodyLimitBytes: 16384,
  logger: pino({ level: 'silent' }),
  now: () => NOW,
});

const year = `from=${BENCH_T0}&to=${YEAR_END}`;
const lastDays = (n: number) => `from=${NOW - n * D}&to=${NOW}`;
const QUERIES: [string, string][] = [
  ['passages: year by month, per site', `/v1/analytics/passages?${year}&grain=month&groupBy=site`],
  ['passages: year by week, per site kind', `/v1/analytics/passages?${year}&grain=week&groupBy=kind`],
  ['passages: year by day, province total', `/v1/analytics/passages?${year}&grain=day&groupBy=total`],
  ['passages: year by day, per lane of one site', `/v1/analytics/passages?${year}&grain=day&groupBy=lane&site=site-03`],
  ['passages: 93 days by hour, per site', `/v1/analytics/passages?${lastDays(92)}&grain=hour&groupBy=site`],
  ['passages: 2 days by minute, province total', `/v1/analytics/passages?${lastDays(2)}&grain=minute&groupBy=total`],
  // Minute series per lane are capped at a day (analytics-routes.ts MAX_LANE_MINUTE_RANGE_MS).
  [
    'passages: 1 day by minute, per lane of one site',
    `/v1/analytics/passages?${lastDays(1)}&grain=minute&groupBy=lane&site=site-03`,
  ],
  ['categories: year by month, per site', `/v1/analytics/categories?${year}&grain=month&groupBy=site`],
  ['categories: 30 days by day, per site kind', `/v1/analytics/categories?${lastDays(30)}&grain=day&groupBy=kind`],
  ['categories: today by hour, one site', `/v1/analytics/categories?${lastDays(1)}&grain=hour&site=site-03`],
  ['peak hours: year, every site', `/v1/analytics/peak-hours?${year}`],
  ['denials by reason: year by week, per site', `/v1/analytics/denials?${year}&grain=week&groupBy=site`],
  [
    'denials by reason: 30 days by day, province total',
    `/v1/analytics/denials?${lastDays(30)}&grain=day&groupBy=total`,
  ],
  [
    'denials by reason: 7 days by hour, per lane of one site',
    `/v1/analytics/denials?${lastDays(7)}&grain=hour&groupBy=lane&site=site-03`,
  ],
  ['occupancy curve: tourist site, today by minute', '/v1/analytics/occupancy?site=site-03&grain=minute'],
  ['occupancy curve: industrial site (never reset), today by hour', '/v1/analytics/occupancy?site=site-07'],
  ['alarms: year by week', `/v1/analytics/alarms?${year}&grain=week`],
  ['dashboard: /v1/counts last 24 h by hour', '/v1/counts?bucket=hour'],
  ['dashboard: /v1/occupancy every site', '/v1/occupancy'],
];

const headers = { authorization: 'Bearer bench-token-0123456789' };
const load0 = loadavg()[0]!;
const results = [];
for (const [name, url] of QUERIES) {
  const first = await app.inject({ method: 'GET', url, headers });
  if (first.statusCode !== 200) throw new Error(`${name}: ${first.statusCode} ${first.body.slice(0, 200)}`);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await app.inject({ method: 'GET', url, headers });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const r = {
    name,
    url,
    medianMs: Math.round(ms[Math.floor(ms.length / 2)]! * 10) / 10,
    maxMs: Math.round(ms[ms.length - 1]! * 10) / 10,
    bytes: first.body.length,
  };
  results.push(r);
  console.log(`${r.medianMs.toFixed(1).padStart(7)} ms median  ${r.maxMs.toFixed(1).padStart(7)} ms max  ${name}`);
}
await app.close();
await store.close();
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/analytics.json',
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      runs,
      schema: BENCH_SCHEMA,
      // The box is shared: the 1-minute load average at the start and end of the run says how busy it was.
      loadAverage: { start: load0, end: loadavg()[0] },
      results,
    },
    null,
    2,
  )}\n`,
);
