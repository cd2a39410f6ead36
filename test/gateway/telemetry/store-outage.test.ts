// Telemetry with the event store unavailable under it: the store-unavailable alarm still reaches the IOC
// (straight to the broker, signed, the outbox being in the store; and again through the outbox once the store
// is back, for a broker that was away too), the timer keeps running without a throw, and the window it could
// not close is closed on a later tick.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { EventBus } from '../../../gateway/events.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import {
  gateKeyRegistryFromJwks,
  gatePublicJwk,
  verifyPublication,
} from '../../../gateway/telemetry/publication-signature.js';
import { GateTopics, topicFor } from '../../../gateway/telemetry/topics.js';
import { startTestBroker, uniqueId } from '../../helpers/broker.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';
import { Collector, eventually, FakeClock, gateConfig, newTelemetry, tempDir } from './fixtures/gate.js';

failOnUnhandledRejection(t);

t.test('with the store locked, an alarm goes straight to the broker and the tick does not throw', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const clock = new FakeClock();
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const config = gateConfig({ url: broker.url });
  const { privateKey } = generateKeyPairSync('ed25519');
  config.mqtt!.signingKey = { demo: JSON.stringify(privateKey.export({ format: 'jwk' })) };
  const registry = gateKeyRegistryFromJwks({ keys: [gatePublicJwk(config.site.id, config.gate.id, privateKey)] });
  if (!registry.ok) throw new Error(registry.detail);
  const alarmTopic = topicFor(config.site.id, config.gate.id, 'alarms');
  const openAlarm = (text: string) => {
    const v = verifyPublication(alarmTopic, Buffer.from(text), registry.value);
    if (!v.ok) throw new Error(`the alarm does not verify: ${v.reason} ${v.detail}`);
    return GateTopics.alarms.parse(JSON.parse(v.value.payload.toString('utf8')));
  };
  const path = join(dir, 'gw.db');
  // A short busy timeout: the locked tick below waits for it synchronously.
  const store = new EventStore({ path, now: clock.now, busyTimeoutMs: 10 });
  const bus = new EventBus();
  const collector = await Collector.connect(broker.url, config.site.id, config.gate.id);
  const telemetry = newTelemetry({ config, store, bus }, clock);
  const started = await telemetry.start();
  if (!started.ok) throw new Error(started.error);
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
  const alarm = openAlarm(collector.on('alarms')[0]!.text);
  t.match(alarm, { kind: 'store-unavailable', detail: { problem: 'locked' } }, 'sent directly, and signed');
  t.doesNotThrow(() => telemetry.stats(), 'stats answer while the store is locked');
  locker.exec('COMMIT');
  locker.close();
  store.probe();
  telemetry.tick();
  await collector.until(() => collector.on('counts').length >= 1);
  t.pass('the window the locked tick could not close went out on the next one');
  await collector.until(() => collector.on('alarms').length === 2);
  t.same(openAlarm(collector.on('alarms')[1]!.text), alarm, 'owed to the outbox and sent again once the store is back');
});
