import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { createCollectorHttp } from '../../collector/http/server.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { foldBatch } from '../../collector/storage/batch.js';
import { openSqliteStore } from '../../collector/storage/sqlite.js';
import { alarmRecord, countsRecord, healthRecord, statusRecord } from './fixtures.js';

const NOW = 1_767_250_000_000; // 2026-01-01 13:46 in Vietnam
const MIN = Math.floor(NOW / 60_000) * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'gate06-chttp-'));
const store = openSqliteStore(join(dir, 'c.db'));
const metrics = createCollectorMetrics();
const app = await createCollectorHttp({
  store,
  metrics,
  ingest: { status: { connected: true } as never, pendingCount: 0 },
  sites: [
    { id: 'tam-chuc', name: 'Tam Chúc', kind: 'tourist' },
    { id: 'dong-van', name: '', kind: 'industrial' },
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

await store.write(
  foldBatch([
    statusRecord('tam-chuc', 'g1', 'online', NOW - 10_000),
    healthRecord('tam-chuc', 'g1', 4, NOW - 5_000),
    statusRecord('tam-chuc', 'g2', 'online', NOW - 600_000),
    statusRecord('tam-chuc', 'g3', 'online', NOW - 20_000),
    statusRecord('tam-chuc', 'g3', 'offline', NOW - 10_000),
    countsRecord(
      'tam-chuc',
      'g1',
      MIN - 120_000,
      [
        { lane: 'L1', in: 10, out: 4, denied: 1 },
        { lane: 'L2', in: 3, out: 1 },
      ],
      NOW,
      { zones: [{ zone: 'chua', in: 13, out: 5 }] },
    ),
    countsRecord('tam-chuc', 'g1', MIN - 60_000, [{ lane: 'L1', in: 6, out: 2 }], NOW, {
      zones: [{ zone: 'chua', in: 6, out: 2 }],
    }),
    // before today's 04:00 reset: in the counts series, not in the occupancy
    countsRecord('tam-chuc', 'g2', MIN - 12 * 3_600_000, [{ lane: 'L1', in: 50, out: 0 }], NOW - 600_000),
    alarmRecord('tam-chuc', 'g1', 'al-1', NOW - 30_000),
  ]),
);

t.test('/v1 refuses a request without the bearer token with 401 and an error body', async (t) => {
  const r = await get('/v1/sites', {});
  t.equal(r.statusCode, 401);
  t.same(r.json(), { error: 'unauthorized', message: 'missing or wrong bearer token' });
  t.equal((await get('/v1/sites', { authorization: 'Bearer wrong-token-000000' })).statusCode, 401);
});

t.test('/v1/sites lists configured and heard sites with gates online', async (t) => {
  const r = (await get('/v1/sites')).json();
  t.same(
    r.sites.map((s: { id: string }) => s.id),
    ['dong-van', 'tam-chuc'],
  );
  t.match(r.sites[1], { id: 'tam-chuc', name: 'Tam Chúc', kind: 'tourist', gates: 3, online: 1 });
});

t.test('/v1/counts gives per-minute buckets with lanes and totals', async (t) => {
  const r = (await get(`/v1/counts?site=tam-chuc&bucket=minute&from=${MIN - 180_000}&to=${MIN}`)).json();
  t.same(
    r.buckets.map((b: { start: number; in: number }) => [b.start, b.in]),
    [
      [MIN - 120_000, 13],
      [MIN - 60_000, 6],
    ],
  );
  t.same(
    r.buckets[0].lanes.map((l: { lane: string; in: number; denied: number }) => [l.lane, l.in, l.denied]),
    [
      ['L1', 10, 1],
      ['L2', 3, 0],
    ],
  );
  t.same(r.totals, { in: 19, out: 7, denied: 1 });
});

t.test('/v1/counts day buckets start at local midnight', async (t) => {
  const r = (await get('/v1/counts?site=tam-chuc&bucket=day')).json();
  const localMidnight = Math.floor((NOW + 7 * 3_600_000) / 86_400_000) * 86_400_000 - 7 * 3_600_000;
  t.same(
    r.buckets.map((b: { start: number }) => b.start),
    [localMidnight],
  );
  t.equal(r.totals.in, 69);
});

t.test('/v1/counts refuses a bad bucket or an inverted range with 400 and an error body', async (t) => {
  const a = await get('/v1/counts?bucket=week');
  t.equal(a.statusCode, 400);
  t.equal(a.json().error, 'bad-request');
  t.equal((await get('/v1/counts?from=10&to=5')).statusCode, 400);
  t.equal((await get(`/v1/counts?bucket=minute&from=0&to=${NOW}`)).statusCode, 400);
});

t.test("/v1/occupancy is in minus out since the site kind's reset, per zone", async (t) => {
  const r = (await get('/v1/occupancy?site=tam-chuc')).json();
  t.match(r.sites[0], {
    site: 'tam-chuc',
    kind: 'tourist',
    resetAt: '04:00',
    in: 19,
    out: 7,
    occupancy: 12,
    zones: [{ zone: 'chua', occupancy: 12 }],
  });
});

t.test('/v1/gates shows online, offline by last will and offline by silence, with the outbox depth', async (t) => {
  const r = (await get('/v1/gates?site=tam-chuc')).json();
  t.same(
    r.gates.map((g: { gate: string; online: boolean; offlineReason: string | null }) => [
      g.gate,
      g.online,
      g.offlineReason,
    ]),
    [
      ['g1', true, null],
      ['g2', false, 'silence'],
      ['g3', false, 'last-will'],
    ],
  );
  t.match(r.gates[0], { outboxDepth: 4, outboxCapacity: 100, devicesDown: 1 });
});

t.test('/v1/alarms lists recent alarms newest first', async (t) => {
  const r = (await get('/v1/alarms?site=tam-chuc')).json();
  t.match(r.alarms, [{ id: 'al-1', kind: 'tailgating', gate: 'g1', lane: 'L1' }]);
});

t.test('/healthz answers without a token', async (t) => {
  t.match((await get('/healthz', {})).json(), { ok: true, storage: 'sqlite' });
});

t.test('/metrics needs the token when no address is open to it', async (t) => {
  for (const headers of [{}, { authorization: 'Bearer wrong-token-000000' }] as Record<string, string>[]) {
    const refused = await get('/metrics', headers);
    t.equal(refused.statusCode, 401);
    t.notMatch(refused.body, /gate06_collector/);
  }
  t.equal((await get('/metrics?format=text', {})).statusCode, 401, 'a query string changes nothing');
  const m = await get('/metrics');
  t.equal(m.statusCode, 200);
  t.match(m.body, /gate06_collector_rejected_total\{reason="json"\} 0/);
  t.match(m.body, /gate06_collector_scrubbed_total\{reason="detail-dropped"\} 0/);
});

t.test('/metrics answers without a token to an address in metricsOpenTo, and only to it', async (t) => {
  const open = await createCollectorHttp({
    store,
    metrics,
    ingest: { status: { connected: true } as never, pendingCount: 0 },
    sites: [],
    offlineAfterS: 180,
    utcOffsetMinutes: 420,
    apiToken: Buffer.from('api-token-123456'),
    bodyLimitBytes: 16384,
    metricsOpenTo: ['10.1.2.3'],
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
  t.teardown(() => open.close());
  const from = (remoteAddress: string, url = '/metrics') => open.inject({ method: 'GET', url, remoteAddress });
  t.equal((await from('10.1.2.3')).statusCode, 200);
  t.equal((await from('::ffff:10.1.2.3')).statusCode, 200, 'an IPv4 peer on a dual-stack socket');
  t.equal((await from('10.1.2.4')).statusCode, 401);
  t.equal((await from('127.0.0.1')).statusCode, 401, 'the loopback is not open unless listed');
  t.equal((await from('10.1.2.3', '/v1/alarms')).statusCode, 401, 'the open address still needs the token on /v1');
});

t.test('the dashboard is served with a CSP that allows no inline script', async (t) => {
  const r = await get('/', {});
  t.equal(r.statusCode, 200);
  t.match(r.body, /<script type="module" src="\/app.js"><\/script>/);
  t.match(String(r.headers['content-security-policy']), /script-src 'self'/);
  t.equal((await get('/app.js', {})).statusCode, 200);
});

t.test('an unknown route is a 404 with an error body', async (t) => {
  const r = await get('/v1/nope');
  t.equal(r.statusCode, 404);
  t.equal(r.json().error, 'not-found');
});
