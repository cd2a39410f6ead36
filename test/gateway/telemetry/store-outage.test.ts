// Telemetry with the event store unavailable under it: the store-unavailable alarm still reaches the IOC
// (straight to the broker, the outbox being in the store), the timer keeps running without a throw, and
// the window it could not close is closed on a later tick, once the store is back.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { GateTopics } from '../../../contracts/topics.js';
import { EventBus } from '../../../gateway/events.js';
import { EventStore } from '../../../gateway/store/event-store.js';
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
