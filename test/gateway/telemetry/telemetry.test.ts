import { join } from 'node:path';
import t from 'tap';
import { CountsPayload, GateTopics } from '../../../contracts/topics.js';
import { startOutageBroker, startTestBroker, uniqueId } from '../../helpers/broker.js';
import { TWELVE_DIGIT_RUN, withoutOpaqueNumbers } from '../../helpers/id-scan.js';
import {
  Collector,
  deny,
  distinctWindows,
  eventually,
  FakeClock,
  gateConfig,
  gateOnTestBroker,
  newTelemetry,
  openStore,
  pass,
  tempDir,
  totals,
} from './fixtures/gate.js';

const MINUTE = 60_000;

async function setUp(
  t: { teardown: (fn: () => unknown) => void },
  url: string,
  opts: { outboxMax?: number; categoryMinCount?: number } = {},
) {
  const clock = new FakeClock();
  const { dir, cleanup } = tempDir();
  const config = gateConfig({ url, outboxMax: opts.outboxMax, categoryMinCount: opts.categoryMinCount });
  const store = openStore(join(dir, 'gw.db'), clock);
  const collector = await Collector.connect(url, config.site.id, config.gate.id, { persistent: true });
  const telemetry = newTelemetry({ config, store }, clock);
  await telemetry.start();
  t.teardown(async () => {
    await telemetry.stop();
    await collector.close();
    store.close();
    cleanup();
  });
  return { clock, config, store, collector, telemetry };
}

/** Four passages and a denial on two lanes, then the window closes: the payload the IOC receives. */
async function oneWindow(t: Parameters<typeof setUp>[0], opts: { categoryMinCount?: number }) {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { clock, store, collector, telemetry } = await setUp(t, broker.url, opts);
  pass(store, 'L1', 'in', { via: 'ticket', nationality: 'VNM', ageBand: '18-39', sex: 'F' });
  pass(store, 'L1', 'in', { via: 'chip', nationality: 'KOR' });
  pass(store, 'L1', 'out', { via: 'free-passage' });
  pass(store, 'L2', 'in', { via: 'cccd-qr', nationality: 'VNM', sex: 'M' });
  deny(store, 'L2');
  clock.advance(MINUTE);
  telemetry.tick();
  await collector.until(() => collector.counts().length === 1);
  const [w] = collector.counts();
  return CountsPayload.parse(w!.payload);
}

t.test('by default a category cell of fewer than 3 people is withheld; in, out and denied stay exact', async (t) => {
  const p = await oneWindow(t, {});
  const l1 = p.lanes.find((l) => l.lane === 'L1')!;
  t.match(l1, { in: 2, out: 1, denied: 0, byCredential: { ticket: 1, chip: 1, 'free-passage': 1 } });
  t.match(l1.byCategory, {
    domestic: 0,
    foreign: 0,
    unknown: 1,
    ageBand: { '18-39': 0 },
    sex: { F: 0 },
    withheld: { nationality: 2, ageBand: 1, sex: 1 },
  });
});

t.test('a closed window is published once with exact per-lane, per-zone and category counts', async (t) => {
  // A site whose DPO allows every cell (categoryMinCount 1): the category counts are exact too.
  const p = await oneWindow(t, { categoryMinCount: 1 });
  t.equal(p.seq, 1);
  t.equal(p.windowEnd - p.windowStart, MINUTE);
  const l1 = p.lanes.find((l) => l.lane === 'L1')!;
  const l2 = p.lanes.find((l) => l.lane === 'L2')!;
  t.match(l1, { in: 2, out: 1, denied: 0, byCredential: { ticket: 1, chip: 1, 'free-passage': 1, 'cccd-qr': 0 } });
  t.match(l1.byCategory, { domestic: 1, foreign: 1, unknown: 1, ageBand: { '18-39': 1 }, sex: { F: 1, M: 0 } });
  t.match(l2, { in: 1, out: 0, denied: 1, byCredential: { 'cccd-qr': 1 } });
  t.same(p.zones, [
    { zone: 'main', in: 2, out: 1 },
    { zone: 'museum', in: 1, out: 0 },
  ]);
});

t.test('the first event after a window ends closes it, publishes it and counts it as closed', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { clock, store, collector, telemetry } = await setUp(t, broker.url);
  pass(store, 'L1', 'in', { via: 'ticket' });
  clock.advance(MINUTE);
  pass(store, 'L1', 'out', { via: 'ticket' }); // no tick in between: this commit closes the first window
  await collector.until(() => collector.counts().length === 1);
  const p = CountsPayload.parse(collector.counts()[0]!.payload);
  t.match(p.lanes, [{ lane: 'L1', in: 1, out: 0 }]);
  t.equal(telemetry.stats().windowsClosed, 1);
});

t.test('an empty window is published as a zero heartbeat with no lanes', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { clock, collector, telemetry } = await setUp(t, broker.url);
  clock.advance(MINUTE);
  telemetry.tick();
  await collector.until(() => collector.counts().length === 1);
  t.same(collector.counts()[0]!.payload.lanes, []);
});

t.test('each start of the gate is counted in its log file and named in its statuses (bootSeq)', async (t) => {
  const { broker, clock, dir, config } = await gateOnTestBroker(t);
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  t.teardown(() => collector.close());
  for (const expected of [1, 2]) {
    const store = openStore(join(dir, 'gw.db'), clock);
    const telemetry = newTelemetry({ config, store }, clock);
    await telemetry.start();
    await collector.until(() =>
      collector.on('status').some((m) => m.text.includes('"online"') && m.text.includes(store.bootId)),
    );
    await telemetry.stop();
    await collector.until(() => collector.on('status').filter((m) => m.text.includes(store.bootId)).length >= 2);
    for (const m of collector.on('status').filter((m) => m.text.includes(store.bootId)))
      t.match(JSON.parse(m.text), { bootSeq: expected }, `start ${expected}: ${JSON.parse(m.text).state}`);
    store.close();
  }
});

t.test('status is online and retained on connect, and offline and retained after stop', async (t) => {
  const { broker, clock, dir, config } = await gateOnTestBroker(t);
  const store = openStore(join(dir, 'gw.db'), clock);
  const telemetry = newTelemetry({ config, store }, clock);
  await telemetry.start();
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  await collector.until(() => collector.on('status').length === 1);
  t.match(JSON.parse(collector.on('status')[0]!.text), {
    state: 'online',
    bootId: store.bootId,
    version: '0.1.0-test',
  });
  await telemetry.stop();
  await collector.until(() => collector.on('status').length === 2);
  t.match(JSON.parse(collector.on('status')[1]!.text), { state: 'offline', bootId: store.bootId });
  // a late subscriber sees the retained offline state
  const late = await Collector.connect(broker.url, config.site.id, config.gate.id);
  await late.until(() => late.on('status').length === 1);
  t.equal(late.on('status')[0]!.retain, true);
  t.match(JSON.parse(late.on('status')[0]!.text), { state: 'offline', bootId: store.bootId });
  await late.close();
  await collector.close();
  store.close();
});

t.test('stop() publishes the open window before going offline', async (t) => {
  const { broker, clock, dir, config } = await gateOnTestBroker(t);
  const store = openStore(join(dir, 'gw.db'), clock);
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  const telemetry = newTelemetry({ config, store }, clock);
  await telemetry.start();
  pass(store, 'L1', 'in');
  clock.advance(10_000);
  await telemetry.stop();
  await collector.until(() => collector.on('status').some((m) => m.text.includes('offline')));
  const counts = collector.counts();
  t.equal(counts.length, 1);
  t.equal(counts[0]!.payload.windowEnd, clock.now());
  const order = collector.messages.filter((m) => !m.topic.endsWith('/health')).map((m) => m.topic.split('/').pop());
  t.same(order.slice(-2), ['counts', 'status'], 'counts before offline');
  await collector.close();
  store.close();
});

t.test('a window sent again on cmd/resend is byte-identical to the first delivery', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { clock, store, collector, telemetry } = await setUp(t, broker.url);
  pass(store, 'L1', 'in');
  const since = clock.now();
  clock.advance(MINUTE);
  telemetry.tick();
  await collector.until(() => collector.counts().length === 1);
  await eventually(() => telemetry.outboxDepth() === 0); // the PUBACK may trail the delivery
  t.equal(telemetry.resendSince(since), 1);
  await collector.until(() => collector.counts().length === 2);
  const [a, b] = collector.counts();
  t.equal(b!.text, a!.text);
});

t.test('an alarm from the bus is published with no personal data in its detail', async (t) => {
  const { broker, clock, dir, config } = await gateOnTestBroker(t);
  const store = openStore(join(dir, 'gw.db'), clock);
  const { EventBus } = await import('../../../gateway/events.js');
  const bus = new EventBus();
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  const telemetry = newTelemetry({ config, store, bus }, clock);
  await telemetry.start();
  t.teardown(async () => {
    await telemetry.stop();
    await collector.close();
    store.close();
  });
  bus.emit('alarm.raised', {
    id: uniqueId('al'),
    kind: 'watchlist-hit',
    lane: 'L1',
    ts: clock.now(),
    detail: { listVersion: 7, note: 'id 001099012345' }, // synthetic ID
  });
  await collector.until(() => collector.on('alarms').length === 1);
  const alarm = GateTopics.alarms.parse(JSON.parse(collector.on('alarms')[0]!.text));
  t.same(alarm.detail, { listVersion: 7 });
});

t.test('broker down mid-run then back: every window arrives, in order, none lost', async (t) => {
  const broker = await startOutageBroker();
  t.teardown(() => broker.stop());
  const { clock, store, collector, telemetry, config } = await setUp(t, broker.url);
  const publishedSeqs: number[] = [];
  broker.onClientPublish((topic, payload) => {
    if (topic === `gate06/v1/${config.site.id}/${config.gate.id}/counts`)
      publishedSeqs.push((JSON.parse(payload.toString()) as { seq: number }).seq);
  });
  let passages = 0;
  const passMinute = (n: number): void => {
    for (let i = 0; i < n; i++) pass(store, i % 2 ? 'L1' : 'L2', 'in');
    passages += n;
    clock.advance(MINUTE);
    telemetry.tick();
  };
  passMinute(3);
  await collector.until(() => collector.counts().length === 1);
  await broker.takeDown();
  for (let m = 0; m < 20; m++) passMinute(m % 5);
  t.ok(telemetry.outboxDepth() > 0, 'windows wait in the outbox while the broker is down');
  await broker.bringUp();
  passMinute(2);
  await collector.until(() => distinctWindows(collector.counts()).size === 22);
  const firstSeen: number[] = [];
  for (const seq of publishedSeqs) if (!firstSeen.includes(seq)) firstSeen.push(seq);
  t.same(
    firstSeen,
    Array.from({ length: 22 }, (_, i) => i + 1),
    'the gate published in seq order, no gap',
  );
  t.equal(totals(distinctWindows(collector.counts())).in, passages);
  await eventually(() => telemetry.outboxDepth() === 0);
  t.equal(telemetry.outboxDepth(), 0);
});

t.test('no published payload carries an ID number', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { clock, store, collector, telemetry } = await setUp(t, broker.url);
  pass(store, 'L1', 'in', { via: 'chip', nationality: 'VNM', ageBand: '40-59', sex: 'M' });
  deny(store, 'L1');
  clock.advance(MINUTE);
  telemetry.tick();
  await collector.until(() => collector.counts().length === 1 && collector.on('status').length >= 1);
  for (const m of collector.messages) {
    t.notMatch(withoutOpaqueNumbers(m.text), TWELVE_DIGIT_RUN, `${m.topic} has no 12-digit number`);
    t.notMatch(m.text, /\*{3}/, `${m.topic} has no masked ID`);
  }
});

t.test('the command signer JWKS decides the signing mode; a broken one stops telemetry, naming the key', async (t) => {
  const { commandSigningFrom } = await import('../../../gateway/telemetry/telemetry.js');
  const dir = t.testdir({
    'rsa.jwks.json': JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r1' }] }),
    'not-json.jwks.json': '{',
  });
  const logger = { info: () => {}, error: () => {} };
  t.same(commandSigningFrom({ insecureUnsignedCommands: false }, logger), { ok: true, value: { mode: 'disabled' } });
  t.same(commandSigningFrom({ insecureUnsignedCommands: true }, logger), {
    ok: true,
    value: { mode: 'insecure-unsigned' },
  });
  const demo = commandSigningFrom(
    {
      commandSignerJwksFile: join(import.meta.dirname, '../../../seeds/ioc/jwks.json'),
      insecureUnsignedCommands: false,
    },
    logger,
  );
  t.equal(demo.ok && demo.value.mode, 'signed');
  for (const f of ['rsa.jwks.json', 'not-json.jwks.json', 'missing.jwks.json']) {
    const r = commandSigningFrom({ commandSignerJwksFile: join(dir, f), insecureUnsignedCommands: false }, logger);
    t.match(r, { ok: false, reason: 'mqtt.command-signer', detail: /^mqtt\.commandSignerJwksFile: / }, f);
  }
});
