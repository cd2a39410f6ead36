// gate06 cmd send: what it publishes is a command the gate accepts, signed for the exact topic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import mqtt from 'mqtt';
import t from 'tap';
import { run } from '../../cli/cmd.js';
import { GateTopics } from '../../contracts/topics.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { until } from '../helpers/harness.js';

const ROOT = join(import.meta.dirname, '../..');
const DEMO_KEY = join(ROOT, 'seeds/ioc/demo-ioc.private.jwk.json');

t.test('free passage on two lanes: two commands, each signed by the IOC key for its topic', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const site = uniqueId('cmd');
  const received: Array<{ topic: string; body: string; retain: boolean }> = [];
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('sub') });
  t.teardown(() => sub.endAsync(true));
  sub.on('message', (topic, body, p) => void received.push({ topic, body: body.toString(), retain: p.retain }));
  await sub.subscribeAsync(`gate06/v1/${site}/+/cmd/#`, { qos: 1 });
  const args = ['send', '--verb', 'free-passage', '--site', site, '--gate', 'gate-a', '--key', DEMO_KEY];
  const code = await run([...args, '--lane', 'L1', '--lane', 'L2', '--url', broker.url, '--reason', 'drill']);
  t.equal(code, 0);
  await until(() => received.length === 2, 15_000, 'both commands');
  const keys = createLocalJWKSet(JSON.parse(readFileSync(join(ROOT, 'seeds/ioc/jwks.json'), 'utf8')));
  for (const [i, m] of received.entries()) {
    t.equal(m.topic, `gate06/v1/${site}/gate-a/cmd/free-passage`);
    t.equal(m.retain, false);
    const { payload, protectedHeader } = await compactVerify(m.body, keys);
    t.equal(protectedHeader.topic, m.topic);
    const cmd = GateTopics['cmd/free-passage'].parse(JSON.parse(new TextDecoder().decode(payload)));
    t.match(cmd, { lane: `L${i + 1}`, on: true, reason: 'drill' });
  }
});

t.test('a command the gate would refuse is refused here first, and nothing is sent', async (t) => {
  const base = ['send', '--site', 'site-a', '--gate', 'gate-a', '--key', DEMO_KEY, '--url', 'mqtt://127.0.0.1:9'];
  t.equal(await run([...base, '--verb', 'free-passage']), 2, 'no lane');
  t.equal(await run([...base, '--verb', 'free-passage', '--lane', 'bad lane!']), 2, 'a lane id the schema refuses');
  t.equal(await run([...base, '--verb', 'open-door']), 2, 'an unknown verb');
  t.equal(await run([...base, '--verb', 'resend', '--since', 'yesterday']), 2, 'a time that is none');
});
