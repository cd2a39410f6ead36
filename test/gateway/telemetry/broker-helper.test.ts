import mqtt from 'mqtt';
import t from 'tap';
import { startOutageBroker, startTestBroker, uniqueId } from '../../helpers/broker.js';

t.test('the test broker relays a QoS 1 message', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const topic = `gate06-test/${uniqueId()}/x`;
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  t.teardown(() => sub.endAsync());
  await sub.subscribeAsync(topic, { qos: 1 });
  const got = new Promise<string>((resolve) => sub.on('message', (_t, m) => resolve(m.toString())));
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  t.teardown(() => pub.endAsync());
  await pub.publishAsync(topic, 'hello', { qos: 1 });
  t.equal(await got, 'hello');
});

t.test('an outage broker comes back on the same port and keeps a persistent session', async (t) => {
  const broker = await startOutageBroker();
  t.teardown(() => broker.stop());
  const url = broker.url;
  const sub = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: uniqueId('sub'),
    clean: false,
    reconnectPeriod: 50,
  });
  t.teardown(() => sub.endAsync(true));
  await sub.subscribeAsync('x/y', { qos: 1 });
  await broker.takeDown();
  t.equal(broker.up, false);
  await broker.bringUp();
  t.equal(broker.url, url);
  const got = new Promise<string>((resolve) => sub.on('message', (_t, m) => resolve(m.toString())));
  const pub = await mqtt.connectAsync(url, { protocolVersion: 4 });
  t.teardown(() => pub.endAsync());
  await pub.publishAsync('x/y', 'after', { qos: 1 });
  t.equal(await got, 'after');
});
