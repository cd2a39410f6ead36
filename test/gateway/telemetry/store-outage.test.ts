// Telemetry with the event store unavailable under it: the store-unavailable alarm still reaches the IOC
// (straight to the broker, the outbox being in the store), the timer keeps running without a throw, and
// the window it could not close is closed on a later tick, once the store is back. An alarm that neither the
// outbox nor the broker can take is held and sent once they can.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { gateKeyRegistryFromJwks, gatePublicJwk, verifyPublication } from '../../../contracts/publication-signature.js';
import { GateTopics, topicFor } from '../../../contracts/topics.js';
import { EventBus } from '../../../gateway/events.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { startOutageBroker, uniqueId } from '../../helpers/broker.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';
import {
  Collector,
  eventually,
  FakeClock,
  gateConfig,
  gateOnTestBroker,
  newTelemetry,
  tempDir,
} from './fixtures/gate.js';

failOnUnhandledRejection(t);

t.test('with the store locked, an alarm goes straight to the broker and the tick does not throw', async (t) => {
  const { broker, clock, dir, config } = await gateOnTestBroker(t);
  const path = join(dir, 'gw.db');
  // A short busy timeout: the locked tick below waits for it synchronously.
  const store = new EventStore({ path, now: clock.now, busyTimeoutMs: 10 });
  const bus = new EventBus();
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  const telemetry = newTelemetry({ config, store, bus }, clock);
  await telemetry.start();
  t.teardown(async () => {
    await telemetry.stop();
    await collector.close();
    store.close();
  });
  await eventually(() => telemetry.stats().connected === 1);
  const locker = new Database(path);
  locker.exec('BEGIN EXCLUSIVE');
  clock.advance(60_000);
  t.doesNotThrow(() => telemetry.tick(), 'a locked store fails the tick quietly');
  bus.emit('alarm.raised', {
    id: uniqueId('al'),
    kind: 'store-unavailable',
    lane: null,
    ts: clock.now(),
    detail: { problem: 'locked' },
  });
  await collector.until(() => collector.on('alarms').length === 1);
  const alarm = GateTopics.alarms.parse(JSON.parse(collector.on('alarms')[0]!.text));
  t.match(alarm, { kind: 'store-unavailable', detail: { problem: 'locked' } });
  t.doesNotThrow(() => telemetry.stats(), 'stats answer while the store is locked');
  locker.exec('COMMIT');
  locker.close();
  store.probe();
  telemetry.tick();
  await collector.until(() => collector.on('counts').length >= 1);
  t.pass('the window the locked tick could not close went out on the next one');
});

t.test(
  'an alarm raised with the store locked and the broker away is published, signed, once both are back',
  async (t) => {
    const broker = await startOutageBroker();
    t.teardown(() => broker.stop());
    const clock = new FakeClock();
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const config = gateConfig({ url: broker.url });
    const { privateKey } = generateKeyPairSync('ed25519');
    config.mqtt!.signingKey = { demo: JSON.stringify(privateKey.export({ format: 'jwk' })) };
    const { id: site } = config.site;
    const { id: gate } = config.gate;
    const registry = gateKeyRegistryFromJwks({ keys: [gatePublicJwk(site, gate, privateKey)] });
    if (!registry.ok) throw new Error(registry.detail);
    const path = join(dir, 'gw.db');
    const store = new EventStore({ path, now: clock.now, busyTimeoutMs: 10 });
    const bus = new EventBus();
    const collector = await Collector.connect(broker.url, site, gate, { persistent: true });
    const telemetry = newTelemetry({ config, store, bus }, clock);
    await telemetry.start();
    t.teardown(async () => {
      await telemetry.stop();
      await collector.close();
      store.close();
    });
    await eventually(() => telemetry.stats().connected === 1);

    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    await broker.takeDown();
    await eventually(() => telemetry.stats().connected === 0);
    const id = uniqueId('al');
    // As the AlarmService announces it (it owes the log write to the store watch meanwhile).
    bus.emit('alarm.raised', {
      id,
      kind: 'store-unavailable',
      lane: null,
      ts: clock.now(),
      detail: { problem: 'locked' },
    });
    telemetry.tick();
    await broker.bringUp();
    await eventually(() => telemetry.stats().connected === 1);
    locker.exec('COMMIT');
    locker.close();
    store.probe();
    telemetry.tick();

    await collector.until(() => collector.on('alarms').some((m) => m.text.length > 0));
    const bodies = collector.on('alarms').map((m) => {
      const v = verifyPublication(topicFor(site, gate, 'alarms'), Buffer.from(m.text), registry.value);
      if (!v.ok) throw new Error(`alarm does not verify: ${v.reason}`);
      return GateTopics.alarms.parse(JSON.parse(v.value.payload.toString('utf8')));
    });
    t.match(bodies[0], { id, kind: 'store-unavailable', detail: { problem: 'locked' } });
    t.equal(telemetry.stats().alarmsDropped, 0);
  },
);
