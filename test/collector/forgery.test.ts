// Finding 5 (issue #11), replayed against a running collector: a real broker, the real ingest, each storage
// back-end and the IOC API. Whatever a stranger publishes (unsigned, signed by an unknown key, signed by
// another gate, out of physical or clock bounds, a replayed last will), no IOC answer changes, and
// /v1/occupancy answers 200 whatever sits in the store.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import pg from 'pg';
import { pino } from 'pino';
import t from 'tap';
import { foldBatch } from '../../collector/storage/batch.js';
import { dropPostgresSchema, openPostgresStore } from '../../collector/storage/postgres.js';
import { openSqliteStore } from '../../collector/storage/sqlite.js';
import type { CollectorStore } from '../../collector/storage/types.js';
import { topicFor } from '../../contracts/topics.js';
import { fullName, NGUYEN_VAN_A } from '../../sim/cards/people.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { countsPayload, countsRecord } from './fixtures.js';
import { auth, eventually, startTestCollector } from './helpers.js';
import { registryOf, testGateKey } from './signing.js';

const broker = await startTestBroker();
t.teardown(() => broker.stop());

const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
async function postgresAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

type Backend = { name: string; open: (dir: string) => Promise<CollectorStore>; cleanup?: () => Promise<void> };
const backends: Backend[] = [{ name: 'sqlite', open: async (dir) => openSqliteStore(`${dir}/forgery.db`) }];
if (await postgresAnswers()) {
  const schema = `t_forgery_${randomBytes(4).toString('hex')}`;
  backends.push({
    name: 'postgres',
    open: () => openPostgresStore(PG_URL, schema),
    cleanup: () => dropPostgresSchema(PG_URL, schema),
  });
} else {
  t.comment(`PostgreSQL not reachable at 127.0.0.1:5432: the forgery tests run on SQLite only`);
}

const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

for (const backend of backends) {
  t.test(`${backend.name}: forged, replayed and impossible messages change no IOC answer`, async (t) => {
    const site = uniqueId('forge');
    const gA = testGateKey(site, 'gA');
    const gB = testGateKey(site, 'gB');
    const stranger = testGateKey(site, 'gA'); // a key for gA's name the collector never registered
    const invented = testGateKey(site, 'g-invented');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const store = await backend.open(mkdtempSync(`${tmpdir()}/gate06-forgery-`));
    const c = await startTestCollector({
      mqttUrl: broker.url,
      sites: [site],
      clientId: uniqueId('col'),
      store,
      gateKeys: registryOf(gA, gB),
    });
    t.teardown(async () => {
      await c.dispose();
      await backend.cleanup?.();
    });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('pub') });
    t.teardown(async () => {
      for (const g of ['gA', 'gB', 'g-invented'])
        await pub.publishAsync(topicFor(site, g, 'status'), '', { qos: 1, retain: true });
      await pub.endAsync();
    });
    const send = (gate: string, suffix: 'counts' | 'status' | 'alarms', body: string, retain = false) =>
      pub.publishAsync(topicFor(site, gate, suffix), body, { qos: 1, retain });
    const signedBy = (key: typeof gA, gate: string, suffix: 'counts' | 'status' | 'alarms', v: unknown) =>
      key.sign(topicFor(site, gate, suffix), v);

    // The genuine gate: online on its second link (an earlier link of the same boot went offline), one window.
    const now = Date.now();
    const ws = minute(now) - 120_000;
    await send(
      'gA',
      'status',
      signedBy(gA, 'gA', 'status', { state: 'online', bootId: 'b1', version: '1', ts: now - 5000, link: 'link-2' }),
      true,
    );
    const real = countsPayload(site, 'gA', ws, [{ lane: 'L1', in: 10, out: 3, denied: 1 }], {
      zones: [{ zone: 'main', in: 10, out: 3 }],
    });
    await send('gA', 'counts', signedBy(gA, 'gA', 'counts', real));
    await eventually(
      () => c.ingest.drained().then(() => c.ingest.status.stored),
      (n) => n >= 2,
    );
    const api = async () => {
      const get = async (url: string) => {
        const r = await c.app.inject({ method: 'GET', url, headers: auth });
        return { status: r.statusCode, body: r.json() as Record<string, unknown> };
      };
      const gates = await get(`/v1/gates?site=${site}`);
      return {
        counts: await get(
          `/v1/counts?site=${site}&from=${ws - 86_400_000}&to=${now + 86_400_000 * 365 * 100}&bucket=day`,
        ),
        occupancy: await get(`/v1/occupancy?site=${site}`),
        // lastSeen moves with any genuine message; what a forgery must not move is the state and identity
        gates: (gates.body.gates as { gate: string; state: string; bootId: string }[]).map((g) => [
          g.gate,
          g.state,
          g.bootId,
        ]),
        alarms: await get(`/v1/alarms?site=${site}`),
      };
    };
    const before = await api();
    t.equal(before.occupancy.status, 200);
    t.match(before.occupancy.body, { sites: [{ site, in: 10, out: 3, occupancy: 7 }] }, 'the genuine window is in');
    t.same(before.gates, [['gA', 'online', 'b1']]);

    const zero = countsPayload(site, 'gA', ws, [{ lane: 'L1', in: 0, out: 0 }], {
      zones: [{ zone: 'main', in: 0, out: 0 }],
    });
    const y2100 = countsPayload(site, 'gA', Date.UTC(2100, 0, 1), [{ lane: 'L1', in: 50, out: 0 }]);
    const fire = { id: 'fake-fire-1', kind: 'fire-alarm', lane: null, ts: now };
    const forgeries: [string, 'counts' | 'status' | 'alarms', string][] = [
      // counts for an invented gate, unsigned and self-signed
      ['g-invented', 'counts', JSON.stringify(countsPayload(site, 'g-invented', ws, [{ lane: 'L1', in: 99, out: 0 }]))],
      [
        'g-invented',
        'counts',
        signedBy(
          invented,
          'g-invented',
          'counts',
          countsPayload(site, 'g-invented', ws, [{ lane: 'L1', in: 99, out: 0 }]),
        ),
      ],
      // a zero-count window over the real one: unsigned, by an unknown key, by gate B
      ['gA', 'counts', JSON.stringify(zero)],
      ['gA', 'counts', signedBy(stranger, 'gA', 'counts', zero)],
      ['gA', 'counts', gB.sign(topicFor(site, 'gA', 'counts'), JSON.stringify(zero))],
      // gate A's key for gate B's window
      [
        'gB',
        'counts',
        gA.sign(
          topicFor(site, 'gB', 'counts'),
          JSON.stringify(countsPayload(site, 'gB', ws, [{ lane: 'L1', in: 5, out: 0 }])),
        ),
      ],
      // dated 2100, even with gate A's own key
      ['gA', 'counts', signedBy(gA, 'gA', 'counts', y2100)],
      // a fake offline status: unsigned, and gate A's genuine will of its earlier link replayed
      ['gA', 'status', JSON.stringify({ state: 'offline' })],
      [
        'gA',
        'status',
        signedBy(gA, 'gA', 'status', { state: 'offline', bootId: 'b1', link: 'link-1', ts: now - 60_000 }),
      ],
      // an old online status of another boot replayed
      [
        'gA',
        'status',
        signedBy(gA, 'gA', 'status', { state: 'online', bootId: 'b0', version: '1', ts: now - 86_400_000, link: 'x' }),
      ],
      // a fake fire alarm: unsigned, and signed by gate B on gate A's topic
      ['gA', 'alarms', JSON.stringify(fire)],
      ['gA', 'alarms', gB.sign(topicFor(site, 'gA', 'alarms'), JSON.stringify(fire))],
    ];
    // 17 windows at 2^53-1, signed by gate A itself: refused by the lane bound before any SUM sees them
    for (let i = 0; i < 17; i++) {
      const huge = Number.MAX_SAFE_INTEGER;
      const w = countsPayload(site, 'gA', ws - (i + 1) * 60_000, [{ lane: 'L1', in: huge, out: 0, denied: huge }], {
        zones: [{ zone: 'main', in: huge, out: 0 }],
      });
      forgeries.push(['gA', 'counts', signedBy(gA, 'gA', 'counts', w)]);
    }
    const rejectedBefore = c.ingest.status.rejected;
    for (const [gate, suffix, body] of forgeries) await send(gate, suffix, body);
    await eventually(
      async () => c.ingest.status.rejected - rejectedBefore,
      (n) => n === forgeries.length,
    );
    await c.ingest.drained();
    t.same(await api(), before, 'no IOC answer changed');
    const metrics = await c.metrics.registry.metrics();
    for (const reason of [
      'unsigned',
      'bad-signature',
      'unknown-gate',
      'wrong-topic',
      'clock',
      'implausible',
      'status-replay',
    ])
      t.match(
        metrics,
        new RegExp(`gate06_collector_rejected_total\\{reason="${reason}"\\} [1-9]`),
        `counted: ${reason}`,
      );

    // The genuine gate's own last will for the link that is online now does take it offline.
    await send(
      'gA',
      'status',
      signedBy(gA, 'gA', 'status', { state: 'offline', bootId: 'b1', link: 'link-2', ts: now }),
      true,
    );
    const gates = await eventually(
      () => c.store.gates(site),
      (g) => g.some((x) => x.gate === 'gA' && x.state === 'offline'),
    );
    t.equal(gates.find((g) => g.gate === 'gA')?.state, 'offline');
  });

  t.test(
    `${backend.name}: a signed watchlist-hit alarm carrying a name and an ID number is stored without them`,
    async (t) => {
      // Finding 11: the gate's own key does not make its alarm detail safe to keep (a buggy or compromised gate).
      const site = uniqueId('pii');
      const gA = testGateKey(site, 'gA');
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const store = await backend.open(mkdtempSync(`${tmpdir()}/gate06-pii-`));
      const logLines: string[] = [];
      const c = await startTestCollector({
        mqttUrl: broker.url,
        sites: [site],
        clientId: uniqueId('col'),
        store,
        gateKeys: registryOf(gA),
        log: pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) }),
      });
      t.teardown(async () => {
        await c.dispose();
        await backend.cleanup?.();
      });
      const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('pub') });
      t.teardown(() => pub.endAsync());
      const eventId = '01KBTW3Q5ZP8M2X7Y9C4D6E8FG';
      const hit = {
        id: 'hit-1',
        kind: 'watchlist-hit',
        lane: 'L1',
        ts: Date.now(),
        detail: { name: fullName(NGUYEN_VAN_A), id: NGUYEN_VAN_A.id, eventId },
      };
      // The SYNTHETIC person of sim/cards/people.ts, as a buggy or compromised gate might put it in an alarm.
      const personal = new RegExp(`Nguy|${NGUYEN_VAN_A.id}`);
      const alarmsTopic = topicFor(site, 'gA', 'alarms');
      await pub.publishAsync(alarmsTopic, gA.sign(alarmsTopic, hit), { qos: 1 });
      await pub.publishAsync(alarmsTopic, gA.sign(alarmsTopic, { ...hit, id: 'hit-2' }), { qos: 1 });
      // Finding 12: a burst of refused messages is counted in full but logged once per reason (sampled).
      for (let i = 0; i < 5; i++)
        await pub.publishAsync(alarmsTopic, JSON.stringify({ ...hit, id: `bare-${i}` }), { qos: 1 });
      await eventually(
        () => c.ingest.drained().then(() => [c.ingest.status.stored, c.ingest.status.rejected]),
        ([stored, rejected]) => stored >= 2 && rejected >= 5,
      );
      const r = await c.app.inject({ method: 'GET', url: `/v1/alarms?site=${site}`, headers: auth });
      t.equal(r.statusCode, 200);
      t.match(r.json(), { alarms: [{ id: 'hit-1', kind: 'watchlist-hit', detail: { eventId } }] }, 'the alarm is kept');
      t.notMatch(r.body, personal, 'neither the name nor the ID number is served');
      t.notMatch(r.body, /"name"|"id":"0/, 'nor their keys');
      t.notMatch(JSON.stringify(await c.store.alarms({ site, limit: 100 })), personal, 'nor stored');
      const m = await c.app.inject({ method: 'GET', url: '/metrics', headers: auth });
      t.match(m.body, /gate06_collector_scrubbed_total\{reason="detail-dropped"\} 4/);
      t.match(m.body, /gate06_collector_rejected_total\{reason="unsigned"\} 5/);
      const logged = logLines.map((l) => JSON.parse(l) as { reason?: string; entries?: number });
      const dropLines = logged.filter((l) => l.reason === 'detail-dropped');
      t.equal(dropLines.length, 1, 'one sampled line for the dropped detail of two alarms');
      t.equal(dropLines[0]?.entries, 2);
      t.equal(logged.filter((l) => l.reason === 'unsigned').length, 1, 'one sampled line for five unsigned alarms');
      t.notMatch(logLines.join(''), personal, 'no dropped value in the log');
      t.notMatch(logLines.join(''), /"name"/, 'nor a dropped key');
    },
  );

  t.test(
    `${backend.name}: /v1/occupancy answers 200 over stored windows at the largest values the store takes`,
    async (t) => {
      const site = uniqueId('huge');
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const store = await backend.open(mkdtempSync(`${tmpdir()}/gate06-huge-`));
      const c = await startTestCollector({ mqttUrl: broker.url, sites: [site], clientId: uniqueId('col'), store });
      t.teardown(async () => {
        await c.dispose();
        await backend.cleanup?.();
      });
      // Written past ingest, as rows from before the bounds existed would be: SQLite takes 2^53-1 (and 1,024 of
      // those overflow its 64-bit sum()), PostgreSQL's integer columns 2^31-1.
      const huge = backend.name === 'sqlite' ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1;
      const ws = minute(Date.now()) - 60_000;
      const lanes = Array.from({ length: 64 }, (_, l) => ({ lane: `L${l}`, in: huge, out: 0, denied: huge }));
      const rows = Array.from({ length: 17 }, (_, g) => {
        const r = countsRecord(site, `g${g}`, ws, lanes);
        if (r.kind === 'counts') r.payload.zones = [{ zone: 'main', in: huge, out: 0 }];
        return r;
      });
      const windows = 17 * 64;
      // and one dated 2100, which must not count "today"
      rows.push(countsRecord(site, 'g-future', Date.UTC(2100, 0, 1), [{ lane: 'L1', in: 5, out: 0 }]));
      await store.write(foldBatch(rows));
      for (const url of [`/v1/occupancy`, `/v1/occupancy?site=${site}`, `/v1/counts?site=${site}&bucket=day`]) {
        const r = await c.app.inject({ method: 'GET', url, headers: auth });
        t.equal(r.statusCode, 200, `${url} answers 200`);
      }
      const occ = (await c.app.inject({ method: 'GET', url: `/v1/occupancy?site=${site}`, headers: auth })).json();
      t.ok(Math.abs(occ.sites[0].in / (huge * windows) - 1) < 1e-9, 'the stored values are summed, not an error');
    },
  );
}
