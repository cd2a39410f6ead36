import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { createCollectorHttp } from '../../../collector/http/server.js';
import { createCollectorMetrics } from '../../../collector/metrics.js';
import { foldBatch } from '../../../collector/storage/batch.js';
import { openSqliteStore } from '../../../collector/storage/sqlite.js';
import { alarmRecord, countsRecord } from '../fixtures.js';

const H = 3_600_000;
const D = 86_400_000;
const DAY1 = 1_767_200_400_000; // 2026-01-01 00:00 in Vietnam
const NOW = DAY1 + 2 * D + 15 * H; // 2026-01-03 15:00
const dir = mkdtempSync(join(tmpdir(), 'gate06-analytics-'));
const store = openSqliteStore(join(dir, 'c.db'));
const app = await createCollectorHttp({
  store,
  metrics: createCollectorMetrics(),
  ingest: { status: { connected: true } as never, pendingCount: 0 },
  sites: [
    { id: 'tam-chuc', name: 'Tam Chúc', kind: 'tourist' },
    { id: 'bai-dinh', name: 'Bái Đính', kind: 'tourist' },
    { id: 'kcn', name: 'KCN', kind: 'industrial' },
  ],
  offlineAfterS: 180,
  utcOffsetMinutes: 420,
  apiToken: Buffer.from('api-token-123456'),
  bodyLimitBytes: 16384,
  logger: pino({ level: 'silent' }),
  now: () => NOW,
});
t.teardown(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
const auth = { authorization: 'Bearer api-token-123456' };
const get = (url: string, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url, headers });

const cats = (domestic: number, foreign: number) => ({
  domestic,
  foreign,
  unknown: 0,
  ageBand: { '18-39': domestic + foreign },
  sex: {},
});
await store.write(
  foldBatch(
    [
      // Day 1, 09:00 and 10:00 at Tam Chúc; 03:00 (before the 04:00 reset) one visitor is left over.
      countsRecord('tam-chuc', 'g1', DAY1 + 3 * H, [{ lane: 'L1', in: 4, out: 0, byCategory: cats(4, 0) }]),
      countsRecord('tam-chuc', 'g1', DAY1 + 9 * H, [{ lane: 'L1', in: 10, out: 2, byCategory: cats(8, 4) }]),
      countsRecord('tam-chuc', 'g1', DAY1 + 10 * H, [
        { lane: 'L2', in: 5, out: 6, denied: 2, byCategory: cats(10, 1) },
      ]),
      countsRecord('bai-dinh', 'g1', DAY1 + 9 * H + 60_000, [{ lane: 'L1', in: 7, out: 0 }]),
      countsRecord('kcn', 'g1', DAY1 + 2 * D + 8 * H, [{ lane: 'L1', in: 30, out: 0 }]),
      // Day 3: gates that send their denials' reasons (Tam Chúc's gate on day 1 sends none).
      countsRecord('kcn', 'g1', DAY1 + 2 * D + 9 * H, [
        { lane: 'L1', in: 0, out: 0, denied: 3, deniedByReason: { 'ticket.expired': 2, 'face.no-match': 1 } },
      ]),
      countsRecord('bai-dinh', 'g1', DAY1 + 2 * D + 9 * H, [
        { lane: 'L2', in: 0, out: 0, denied: 1, deniedByReason: { 'policy.anti-passback': 1 } },
      ]),
      alarmRecord('tam-chuc', 'g1', 'a1', DAY1 + 9 * H),
      alarmRecord('tam-chuc', 'g1', 'a2', DAY1 + D + 9 * H),
    ],
    3,
  ),
);

t.test('the analytics API refuses a request without the bearer token', async (t) => {
  t.equal((await get('/v1/analytics/passages', {})).statusCode, 401);
});

t.test('passages by day and site, with the range widened to whole local days', async (t) => {
  const r = await get(`/v1/analytics/passages?from=${DAY1 + 5 * H}&to=${DAY1 + D + 1}&grain=day&groupBy=site`);
  t.equal(r.statusCode, 200);
  const body = r.json();
  t.equal(body.from, DAY1);
  t.equal(body.to, DAY1 + 2 * D);
  t.same(
    body.rows.map((x: { site: string; kind: string; in: number; out: number; denied: number }) => [
      x.site,
      x.kind,
      x.in,
      x.out,
      x.denied,
    ]),
    [
      ['bai-dinh', 'tourist', 7, 0, 0],
      ['tam-chuc', 'tourist', 19, 8, 2],
    ],
  );
  t.same(body.totals, { in: 26, out: 8, denied: 2 });
});

t.test('passages by site kind sum the sites of each kind, and a kind filter keeps only its sites', async (t) => {
  const byKind = (await get(`/v1/analytics/passages?from=${DAY1}&to=${DAY1 + 3 * D}&grain=month&groupBy=kind`)).json();
  t.same(
    byKind.rows.map((x: { kind: string; in: number }) => [x.kind, x.in]),
    [
      ['industrial', 30],
      ['tourist', 26],
    ],
  );
  const tourist = (
    await get(`/v1/analytics/passages?from=${DAY1}&to=${DAY1 + 3 * D}&grain=month&groupBy=total&kind=tourist`)
  ).json();
  t.same(tourist.totals.in, 26);
});

t.test(
  'categories: a window with a small cell counts as withheld, gates without categories as not reported',
  async (t) => {
    const r = await get(`/v1/analytics/categories?from=${DAY1}&to=${DAY1 + D}&grain=day&groupBy=site`);
    const [baiDinh, tamChuc] = r.json().rows;
    // 03:00: 4 domestic; 09:00: 8 + 4; 10:00: 10 + 1 → foreign 1 is a small cell, so that window's 11 are withheld.
    t.match(tamChuc.nationality, { domestic: 12, foreign: 4, withheld: 11, notReported: 0 });
    t.equal(tamChuc.passages, 27);
    t.match(baiDinh.nationality, { domestic: 0, foreign: 0, withheld: 0, notReported: 7 });
  },
);

t.test('a range too wide for its grain is refused with 400 and says why', async (t) => {
  const r = await get(`/v1/analytics/passages?from=0&to=${NOW}&grain=minute`);
  t.equal(r.statusCode, 400);
  t.match(r.json(), { error: 'bad-request', message: /range too wide for grain=minute/ });
});

t.test('a minute series per lane longer than a day is refused with 400 and says why', async (t) => {
  const r = await get(`/v1/analytics/passages?from=${NOW - 2 * D}&to=${NOW}&grain=minute&groupBy=lane`);
  t.equal(r.statusCode, 400);
  t.match(r.json(), { error: 'bad-request', message: /groupBy=lane \(max 1 day/ });
  const day = await get(`/v1/analytics/passages?from=${NOW - D + 60_000}&to=${NOW}&grain=minute&groupBy=lane`);
  t.equal(day.statusCode, 200, 'a day is answered');
});

t.test('denials by reason per day and site; denials from a gate that sends no reasons are not reported', async (t) => {
  const r = await get(`/v1/analytics/denials?from=${DAY1}&to=${DAY1 + 3 * D}&grain=day&groupBy=site`);
  t.equal(r.statusCode, 200);
  const body = r.json();
  t.same(
    body.rows.map((x: { start: number; site: string; denied: number; byReason: object; notReported: number }) => [
      x.start - DAY1,
      x.site,
      x.denied,
      x.byReason,
      x.notReported,
    ]),
    [
      [0, 'tam-chuc', 2, {}, 2],
      [2 * D, 'bai-dinh', 1, { 'policy.anti-passback': 1 }, 0],
      [2 * D, 'kcn', 3, { 'face.no-match': 1, 'ticket.expired': 2 }, 0],
    ],
  );
  t.same(body.totals, {
    denied: 6,
    byReason: { 'policy.anti-passback': 1, 'face.no-match': 1, 'ticket.expired': 2 },
    notReported: 2,
  });
});

t.test('denials by reason by site kind sum the sites of each kind', async (t) => {
  const r = (await get(`/v1/analytics/denials?from=${DAY1}&to=${DAY1 + 3 * D}&grain=month&groupBy=kind`)).json();
  t.same(
    r.rows.map((x: { kind: string; denied: number; byReason: object; notReported: number }) => [
      x.kind,
      x.denied,
      x.byReason,
      x.notReported,
    ]),
    [
      ['industrial', 3, { 'face.no-match': 1, 'ticket.expired': 2 }, 0],
      ['tourist', 3, { 'policy.anti-passback': 1 }, 2],
    ],
  );
});

t.test('a deny code newer than this collector is served as the gate sent it, in the rows and the totals', async (t) => {
  // Two days before the other figures, so no other test's range holds it.
  const day = DAY1 - 2 * D;
  await store.write(
    foldBatch([
      countsRecord('kcn', 'g1', day + 9 * H, [
        { lane: 'L1', in: 0, out: 0, denied: 3, deniedByReason: { 'ticket.revoked': 2, 'ticket.expired': 1 } },
      ]),
    ]),
  );
  const r = await get(`/v1/analytics/denials?from=${day}&to=${day + D}&grain=day&groupBy=site&site=kcn`);
  t.equal(r.statusCode, 200);
  const body = r.json();
  t.same(
    body.rows.map((x: { site: string; denied: number; byReason: object }) => [x.site, x.denied, x.byReason]),
    [['kcn', 3, { 'ticket.expired': 1, 'ticket.revoked': 2 }]],
  );
  t.same(body.totals, { denied: 3, byReason: { 'ticket.expired': 1, 'ticket.revoked': 2 }, notReported: 0 });
});

t.test('peak hours rank local hours by entries', async (t) => {
  const r = (await get(`/v1/analytics/peak-hours?from=${DAY1}&to=${DAY1 + D}&site=tam-chuc`)).json();
  t.same(r.sites[0].peaks, [9, 10, 3]);
  t.match(r.sites[0].hours[9], { hour: 9, in: 10, out: 2, perDay: 10 });
});

t.test('the occupancy curve restarts at the 04:00 reset and carries the day through', async (t) => {
  const r = (await get('/v1/analytics/occupancy?site=tam-chuc&date=2026-01-01')).json();
  t.equal(r.points.length, 24);
  const at = (h: number) => r.points[h].occupancy;
  t.same([at(3), at(4), at(9), at(10), at(23)], [4, 0, 8, 7, 7]);
});

t.test('alarms by day and kind', async (t) => {
  const r = (await get(`/v1/analytics/alarms?from=${DAY1}&to=${DAY1 + 2 * D}&grain=day`)).json();
  t.same(
    r.rows.map((x: { start: number; kind: string; n: number }) => [x.start - DAY1, x.kind, x.n]),
    [
      [0, 'tailgating', 1],
      [D, 'tailgating', 1],
    ],
  );
  t.same(r.byKind, { tailgating: 2 });
});

t.test('the analytics routes are in the OpenAPI document', async (t) => {
  const doc = (await get('/docs/json')).json();
  for (const p of ['passages', 'categories', 'denials', 'peak-hours', 'occupancy', 'alarms'])
    t.ok(doc.paths[`/v1/analytics/${p}`], `/v1/analytics/${p}`);
});

t.test('a date that does not exist, or an instant past what a date can hold, is refused with 400', async (t) => {
  const feb31 = await get('/v1/analytics/occupancy?site=tam-chuc&date=2024-02-31');
  t.equal(feb31.statusCode, 400, '2024-02-31 is not read as 2 March');
  t.match(feb31.json(), { error: 'bad-request', message: /no such date/ });
  const far = await get('/v1/analytics/passages?grain=month&to=100000000000000000');
  t.equal(far.statusCode, 400, 'not a 500 from NaN reaching the store');
});
