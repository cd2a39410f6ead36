// A gate with mqtt.signingKey signs everything it publishes (publication-signature.ts): counts, its retained
// online status, health, the offline status on stop and the last will, each for the exact topic it is on.
// Each connection's will names that connection's link, so a will from an earlier connection is refused.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import t from 'tap';
import { StatusLedger } from '../../../collector/status-ledger.js';
import { gateKeyRegistryFromJwks, gatePublicJwk, verifyPublication } from '../../../contracts/publication-signature.js';
import { type GatePayload, topicFor } from '../../../contracts/topics.js';
import { startTestBroker } from '../../helpers/broker.js';
import {
  Collector,
  FakeClock,
  gateConfig,
  gateOnTestBroker,
  newTelemetry,
  openStore,
  pass,
  tempDir,
} from './fixtures/gate.js';

t.test(
  'everything a gate publishes verifies with its key, and its last will names the link it was set for',
  async (t) => {
    const broker = await startTestBroker();
    t.teardown(() => broker.stop());
    const clock = new FakeClock();
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const config = gateConfig({ url: broker.url });
    const { privateKey } = generateKeyPairSync('ed25519');
    config.mqtt!.signingKey = { demo: JSON.stringify(privateKey.export({ format: 'jwk' })) };
    const site = config.site.id;
    const gate = config.gate.id;
    const registry = gateKeyRegistryFromJwks({ keys: [gatePublicJwk(site, gate, privateKey)] });
    if (!registry.ok) throw new Error(registry.detail);
    const open = (suffix: 'status' | 'counts' | 'health', text: string) => {
      const v = verifyPublication(topicFor(site, gate, suffix), Buffer.from(text), registry.value);
      if (!v.ok) throw new Error(`${suffix} does not verify: ${v.reason} ${v.detail}`);
      return JSON.parse(v.value.payload.toString('utf8'));
    };

    const spy = await Collector.connect(broker.url, site, gate);
    t.teardown(() => spy.close());
    const store = openStore(join(dir, 'gw.db'), clock);
    t.teardown(() => store.close());
    const telemetry = newTelemetry({ config, store }, clock);
    await telemetry.start();
    let stopped = false;
    t.teardown(() => (stopped ? undefined : telemetry.stop()));

    await spy.until(() => spy.on('status').length === 1 && spy.on('health').length === 1);
    const online1 = open('status', spy.on('status')[0]!.text) as GatePayload<'status'>;
    t.match(online1, { state: 'online', bootId: store.bootId, link: /^[0-9a-f]{12}$/ });
    t.match(open('health', spy.on('health')[0]!.text), { bootId: store.bootId });

    // A power cut on the link: no DISCONNECT, so the broker publishes the will; the gate reconnects.
    (telemetry as unknown as { client: MqttClient }).client.stream.destroy();
    // Told apart by state and link, not by order of arrival: the broker's will and the gate's new online status
    // race each other (the gate may reconnect before the broker notices the dead link), and the first online
    // status may come again, a QoS 1 resend of a publish whose PUBACK the cut lost.
    const statuses = () => spy.on('status').map((m) => open('status', m.text) as GatePayload<'status'>);
    const newOnline = () => statuses().find((s) => s.state === 'online' && s.link !== online1.link);
    await spy.until(() => newOnline() !== undefined && statuses().some((s) => s.state === 'offline'));
    const will = statuses().find((s) => s.state === 'offline');
    const online2 = newOnline();
    t.match(will, { state: 'offline', bootId: store.bootId, link: online1.link }, 'the will names the first link');
    t.match(online2, { state: 'online', bootId: store.bootId }, 'a reconnect is a new link');

    pass(store, 'L1', 'in', { via: 'ticket' });
    clock.advance(60_000);
    telemetry.tick();
    await spy.until(() => spy.on('counts').length === 1);
    t.match(open('counts', spy.on('counts')[0]!.text), { site, gate, lanes: [{ lane: 'L1', in: 1 }] });

    await telemetry.stop();
    stopped = true;
    const goodbyeOf = () => statuses().find((s) => s.state === 'offline' && s.link === online2!.link);
    await spy.until(() => goodbyeOf() !== undefined);
    const goodbye = goodbyeOf()!;
    t.match(goodbye, { state: 'offline', link: online2!.link }, 'the stop names the second link');

    // The collector's view of that sequence: each status in turn is taken; the first will, replayed once the
    // gate is back online, is not.
    const ledger = new StatusLedger();
    t.ok(ledger.judge(site, gate, online1).ok);
    t.ok(ledger.judge(site, gate, will!).ok);
    t.ok(ledger.judge(site, gate, online2!).ok);
    t.match(ledger.judge(site, gate, will!), { ok: false, reason: 'status-replay' });
    t.ok(ledger.judge(site, gate, goodbye).ok);
    t.match(
      ledger.judge(site, gate, online2!),
      { ok: false, reason: 'status-replay' },
      'a link that went offline stays offline',
    );
  },
);

t.test('a signing key that is not an Ed25519 private key fails the start, naming the key', async (t) => {
  const { clock, dir, config } = await gateOnTestBroker(t);
  config.mqtt!.signingKey = { demo: 'not-a-key-at-all-0123456789' };
  const store = openStore(join(dir, 'gw.db'), clock);
  t.teardown(() => store.close());
  await t.rejects(newTelemetry({ config, store }, clock).start(), {
    name: 'StartRefused',
    message: /^mqtt\.signingKey: /,
  });
});
