// Telemetry over mqtts: the gateway's `mqtt.tls.{ca,cert,key}` files are what authenticates it to a broker that
// requires client certificates. A private aedes broker behind node:tls (requestCert + rejectUnauthorized) with
// certificates generated for this run stands in for the site broker.

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import t from 'tap';
import type { GatewayConfig } from '../../../gateway/config/schema.js';
import { uniqueId } from '../../helpers/broker.js';
import { createTestCa, type PemPair, type TestCa, writePemPair } from '../../helpers/tls-certs.js';
import { eventually, FakeClock, gateConfig, newTelemetry, openStore, tempDir } from './fixtures/gate.js';

interface TlsBroker {
  url: string;
  /** MQTT clients the broker accepted, with the CN of the client certificate each authenticated with */
  clients: Array<{ id: string; cn: string | undefined; authorized: boolean }>;
  /** messages clients published to the broker */
  published: Array<{ clientId: string; topic: string; payload: string }>;
  /** TLS handshakes the broker refused, with OpenSSL's verdict on the client certificate */
  tlsErrors: Array<{ message: string; authorizationError: string | undefined }>;
  stop(): Promise<void>;
}

async function startTlsBroker(ca: TestCa, server: PemPair): Promise<TlsBroker> {
  const broker = await Aedes.createBroker();
  const result: Omit<TlsBroker, 'url' | 'stop'> = { clients: [], published: [], tlsErrors: [] };
  broker.on('client', (client) => {
    const socket = client.conn as unknown as TLSSocket;
    result.clients.push({
      id: client.id,
      cn: [socket.getPeerCertificate().subject?.CN].flat()[0],
      authorized: socket.authorized,
    });
  });
  broker.on('publish', (packet, client) => {
    if (client) result.published.push({ clientId: client.id, topic: packet.topic, payload: String(packet.payload) });
  });
  const sockets = new Set<TLSSocket>();
  const tlsServer: Server = createServer(
    { key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      broker.handle(socket);
    },
  );
  // node:tls reports a refused client certificate as "socket hang up"; the reason is on the socket
  tlsServer.on('tlsClientError', (err, socket) => {
    const reason = socket.authorizationError;
    result.tlsErrors.push({ message: err.message, authorizationError: reason ? String(reason) : undefined });
  });
  await new Promise<void>((resolve, reject) => {
    tlsServer.once('error', reject);
    tlsServer.listen(0, '127.0.0.1', () => {
      tlsServer.off('error', reject);
      resolve();
    });
  });
  const { port } = tlsServer.address() as AddressInfo;
  return {
    ...result,
    url: `mqtts://127.0.0.1:${port}`,
    stop: async () => {
      const closed = new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/** A subscriber authenticated with a certificate from the trusted CA. */
async function subscriber(
  url: string,
  ca: TestCa,
  client: PemPair,
  topic: string,
): Promise<{ client: MqttClient; received: Array<{ text: string; retain: boolean }> }> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: uniqueId('sub'),
    ca: ca.cert,
    cert: client.cert,
    key: client.key,
    rejectUnauthorized: true,
    reconnectPeriod: 0,
  });
  const received: Array<{ text: string; retain: boolean }> = [];
  c.on('message', (tp, body, packet) => {
    if (tp === topic) received.push({ text: body.toString('utf8'), retain: packet.retain });
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return { client: c, received };
}

function withTls(config: GatewayConfig, tls: { ca: string; cert: string; key: string }): GatewayConfig {
  return { ...config, mqtt: { ...config.mqtt!, tls } };
}

t.test('telemetry connects over mqtts with the configured CA and client certificate and goes online', async (t) => {
  const ca = await createTestCa('gate06 test CA');
  const serverPair = await ca.issueServer();
  const gatewayCn = uniqueId('gateway-cert');
  const gatewayPair = await ca.issueClient(gatewayCn);
  const subscriberPair = await ca.issueClient('ioc-subscriber');
  const broker = await startTlsBroker(ca, serverPair);
  t.teardown(() => broker.stop());

  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const caFile = join(dir, 'ca.cert.pem');
  writePemPair(dir, 'ca', { cert: ca.cert, key: ca.key });
  const files = writePemPair(dir, 'gateway', gatewayPair);
  const config = withTls(gateConfig({ url: broker.url }), { ca: caFile, ...files });
  t.match(config.mqtt, { url: /^mqtts:\/\/127\.0\.0\.1:\d+$/, tls: { ca: caFile, cert: files.cert, key: files.key } });

  const clock = new FakeClock();
  const store = openStore(join(dir, 'gw.db'), clock);
  const telemetry = newTelemetry({ config, store }, clock);
  t.teardown(async () => {
    await telemetry.stop();
    store.close();
  });
  await telemetry.start();

  const clientId = `gate06-${config.site.id}-${config.gate.id}`;
  const statusTopic = `gate06/v1/${config.site.id}/${config.gate.id}/status`;
  await eventually(() => broker.clients.some((c) => c.id === clientId));
  t.same(
    broker.clients.find((c) => c.id === clientId),
    { id: clientId, cn: gatewayCn, authorized: true },
    'the broker accepted the gateway authenticated by its client certificate',
  );

  // once the broker has the status, a late subscriber on the same TLS broker gets it as a retained message
  await eventually(() => broker.published.some((p) => p.clientId === clientId && p.topic === statusTopic));
  const sub = await subscriber(broker.url, ca, subscriberPair, statusTopic);
  t.teardown(() => sub.client.endAsync(true));
  await eventually(() => sub.received.length >= 1);
  t.equal(sub.received[0]!.retain, true, 'status is retained');
  t.match(JSON.parse(sub.received[0]!.text), { state: 'online', bootId: store.bootId, version: '0.1.0-test' });
  t.equal(broker.tlsErrors.length, 0, 'no handshake was refused');
});

t.test('a client certificate from an untrusted CA gets no connection and no status', async (t) => {
  const ca = await createTestCa('gate06 test CA');
  const rogue = await createTestCa('gate06 rogue CA');
  const serverPair = await ca.issueServer();
  const subscriberPair = await ca.issueClient('ioc-subscriber');
  const roguePair = await rogue.issueClient(uniqueId('gateway-cert'));
  const broker = await startTlsBroker(ca, serverPair);
  t.teardown(() => broker.stop());

  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  // The gateway trusts the real broker (right CA) but presents a certificate the broker does not trust.
  writePemPair(dir, 'ca', { cert: ca.cert, key: ca.key });
  const files = writePemPair(dir, 'gateway', roguePair);
  const config = withTls(gateConfig({ url: broker.url }), { ca: join(dir, 'ca.cert.pem'), ...files });
  const statusTopic = `gate06/v1/${config.site.id}/${config.gate.id}/status`;
  const clientId = `gate06-${config.site.id}-${config.gate.id}`;

  // the subscriber is connected (and its handshake done) before the gateway tries
  const sub = await subscriber(broker.url, ca, subscriberPair, statusTopic);
  t.teardown(() => sub.client.endAsync(true));
  t.equal(broker.tlsErrors.length, 0, 'the trusted subscriber was accepted');

  const clock = new FakeClock();
  const store = openStore(join(dir, 'gw.db'), clock);
  const telemetry = newTelemetry({ config, store, stopFlushMs: 0 }, clock);
  t.teardown(async () => {
    await telemetry.stop();
    store.close();
  });
  await t.resolves(telemetry.start(), 'start is ok: the client keeps retrying in the background');

  // the broker refuses the handshake, and again when the client retries
  await eventually(() => broker.tlsErrors.length >= 2);
  for (const err of broker.tlsErrors)
    t.equal(err.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'refused: its issuer is not trusted');

  // a round trip through the broker: anything the gateway had got through would be delivered before this
  const probe = uniqueId('probe');
  await sub.client.subscribeAsync(`probe/${probe}`, { qos: 1 });
  const echoed = new Promise<void>((resolve) =>
    sub.client.on('message', (tp) => {
      if (tp === `probe/${probe}`) resolve();
    }),
  );
  await sub.client.publishAsync(`probe/${probe}`, 'x', { qos: 1 });
  await echoed;

  t.notOk(
    broker.clients.some((c) => c.id === clientId),
    'the gateway never became an MQTT client',
  );
  t.same(
    broker.published.filter((p) => p.clientId === clientId),
    [],
    'the gateway published nothing',
  );
  t.same(sub.received, [], 'no status reached the subscriber');
});
