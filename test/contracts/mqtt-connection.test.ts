import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import t from 'tap';
import { CollectorConfig } from '../../collector/config.js';
import { Ingest } from '../../collector/ingest.js';
import { logErrorsQuietly, mqttClientOptions } from '../../contracts/mqtt-connection.js';

const base = { clientId: 'gate-test', resolveSecret: () => Buffer.from('demo-secret') };

t.test('a TLS file that cannot be read is reported by its key', async (t) => {
  const r = mqttClientOptions({ url: 'mqtts://broker:8883', tls: { ca: '/nonexistent/ca.pem' } }, base);
  t.match(r, { ok: false, reason: 'mqtt.tls-file' });
  t.same(r.ok ? null : r.detail?.split(':')[0], 'mqtt.tls.ca');
});

t.test('TLS files with a plain mqtt:// URL are refused, not silently ignored', async (t) => {
  const r = mqttClientOptions(
    { url: 'mqtt://broker:1883', tls: { ca: 'ca.pem' } },
    { ...base, readFile: () => Buffer.from('pem') },
  );
  t.match(r, { ok: false, reason: 'mqtt.tls-scheme', detail: /^mqtt\.url: TLS files are configured/ });
});

t.test('mqtts checks the broker certificate and the password comes from the secret resolver', async (t) => {
  const r = mqttClientOptions(
    { url: 'mqtts://broker:8883', username: 'gate', password: { env: 'GATE06_MQTT_PASSWORD' }, tls: { ca: 'ca.pem' } },
    { ...base, readFile: () => Buffer.from('pem') },
  );
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.value.options.rejectUnauthorized, true);
    t.equal(String(r.value.options.password), 'demo-secret');
    t.equal(String(r.value.options.ca), 'pem');
  }
});

t.test('the collector connects through the same builder: a missing CA file fails its start by key', async (t) => {
  const ingest = new Ingest({
    mqtt: CollectorConfig.shape.mqtt.parse({ url: 'mqtts://127.0.0.1:8883', tls: { ca: '/nonexistent/ca.pem' } }),
    store: {} as never,
    metrics: {} as never,
    log: pino({ level: 'silent' }),
    batchMax: 10,
    policy: {
      maxPayloadBytes: 1024,
      keys: new Map(),
      maxPersonsPerSecond: 2,
      maxDenialsPerSecond: 20,
      maxClockSkewMs: 0,
      maxWindowAgeMs: 1,
    },
  });
  await t.rejects(ingest.start(), /mqtt\.tls\.ca: cannot read/);
});

t.test('an outage logs its error once a minute, not on every reconnect attempt, and its end once', async (t) => {
  const emitter = new EventEmitter();
  const client = emitter as unknown as MqttClient;
  const lines: Array<{ level: string; obj: Record<string, unknown> }> = [];
  const log = {
    warn: (obj: Record<string, unknown>) => lines.push({ level: 'warn', obj }),
    info: (obj: Record<string, unknown>) => lines.push({ level: 'info', obj }),
  } as unknown as Logger;
  let clock = 0;
  logErrorsQuietly(client, log, 60_000, () => clock);
  const refused = new Error('connect ECONNREFUSED 127.0.0.1:1883');
  for (; clock < 100_000; clock += 2000) emitter.emit('error', refused);
  t.equal(lines.length, 2, 'first at 0 s, again after a minute');
  t.match(lines[1], { level: 'warn', obj: { err: refused.message, repeatedBefore: 29 } });
  emitter.emit('error', new Error('something else'));
  t.equal(lines.length, 3, 'a different error is logged at once');
  emitter.emit('connect');
  t.match(lines[3], { level: 'info', obj: { lastError: 'something else' } });
  emitter.emit('connect');
  t.equal(lines.length, 4, 'a connect with no errors before it logs nothing here');
});

t.test('with MQTT 5 the client announces the largest packet it takes; 3.1.1 has no such field', async (t) => {
  const v5 = mqttClientOptions({ url: 'mqtt://broker:1883' }, { ...base, protocolVersion: 5, maximumPacketSize: 4096 });
  t.match(v5.ok && v5.value.options, { protocolVersion: 5, properties: { maximumPacketSize: 4096 } });
  const v4 = mqttClientOptions({ url: 'mqtt://broker:1883' }, { ...base, maximumPacketSize: 4096 });
  t.equal(v4.ok && v4.value.options.properties, undefined);
});

const realBroker = process.env.MQTT_URL;
t.test(
  'a broker that speaks MQTT 5 drops a packet larger than the client announced',
  { skip: realBroker ? false : 'needs a real MQTT 5 broker in MQTT_URL (the embedded one speaks 3.1.1)' },
  async (t) => {
    const url = realBroker!;
    const built = mqttClientOptions(
      { url },
      { ...base, clientId: `gate-max-${process.pid}`, protocolVersion: 5, maximumPacketSize: 2048 },
    );
    if (!built.ok) throw new Error(built.detail);
    const small = await mqtt.connectAsync(built.value.url, built.value.options);
    const sender = await mqtt.connectAsync(url, { clientId: `sender-${process.pid}` });
    t.teardown(async () => {
      await small.endAsync();
      await sender.endAsync();
    });
    const topic = `gate06-test/${process.pid}/cmd/resend`;
    const got: number[] = [];
    small.on('message', (_topic, body) => got.push(body.length));
    await small.subscribeAsync(topic, { qos: 1 });
    await sender.publishAsync(topic, Buffer.alloc(10_000, 0x41), { qos: 1 });
    await sender.publishAsync(topic, Buffer.from('{"small":true}'), { qos: 1 });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    t.same(got, [14], 'only the message that fits arrived');
  },
);
