// The shipped Mosquitto configuration (config/mosquitto/) on the real broker binary: per-gate accounts made
// by add-gate.sh and the ACL keep each gate to its own topics. Starts its own mosquitto on a free port.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import t from 'tap';

const MOSQUITTO = '/usr/sbin/mosquitto';
const CONFIG_DIR = fileURLToPath(new URL('../../config/mosquitto/', import.meta.url));
const hasPasswd = spawnSync('mosquitto_passwd', ['-h']).error === undefined;

if (!existsSync(MOSQUITTO) || !hasPasswd) {
  t.plan(0, `${MOSQUITTO} or mosquitto_passwd not installed: the broker ACL tests need the real Mosquitto binary`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-acl-'));
  // Mosquitto started as root drops to the mosquitto user, which must still read the files made here.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const passwd = join(dir, 'gate06.passwd');
  const gatePassword = (site: string, gate: string): string => {
    const r = spawnSync('sh', [join(CONFIG_DIR, 'add-gate.sh'), site, gate, passwd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`add-gate.sh failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const pwA = gatePassword('sa', 'ga');
  const pwB = gatePassword('sa', 'gb');
  for (const [user, pw] of [
    ['collector', 'collector-pw'],
    ['ioc', 'ioc-pw'],
  ])
    spawnSync('mosquitto_passwd', ['-b', passwd, user!, pw!]);
  // The shipped file, with this test's port and files; nothing else changed.
  const conf = readFileSync(join(CONFIG_DIR, 'mosquitto.conf'), 'utf8')
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replace(/^password_file .*$/m, `password_file ${passwd}`)
    .replace(/^acl_file .*$/m, `acl_file ${join(CONFIG_DIR, 'gate06.acl')}`)
    .replace(/^persistence true$/m, 'persistence false')
    .replace(/^persistence_location .*$/m, '');
  writeFileSync(join(dir, 'mosquitto.conf'), conf);
  chmodSync(passwd, 0o644);
  const broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let brokerLog = '';
  broker.stderr.on('data', (d) => (brokerLog += d));
  t.teardown(() => {
    broker.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `mqtt://127.0.0.1:${port}`;
  const clients: MqttClient[] = [];
  t.teardown(() => Promise.all(clients.map((c) => c.endAsync(true))));
  await listening(port).catch((err: Error) => {
    throw new Error(`${err.message}; mosquitto said: ${brokerLog.slice(-500)}`);
  });
  const connect = async (username: string, password: string, clientId?: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, {
      username,
      password,
      reconnectPeriod: 0,
      protocolVersion: 4,
      ...(clientId ? { clientId } : {}),
    });
    clients.push(c);
    return c;
  };
  /** Messages a client receives, and a wait for the one that proves everything sent before it was handled. */
  const inbox = (c: MqttClient) => {
    const got: string[] = [];
    const waiters: [string, () => void][] = [];
    c.on('message', (topic, body) => {
      got.push(`${topic} ${body}`);
      for (const [want, wake] of waiters) if (`${topic} ${body}` === want) wake();
    });
    return {
      got,
      until: (want: string) =>
        got.includes(want) ? Promise.resolve() : new Promise<void>((r) => waiters.push([want, r])),
    };
  };

  // The client id each gateway asks for (gateway/telemetry/telemetry.ts).
  const gateA = await connect('sa/ga', pwA, 'gate06-sa-ga');
  const gateB = await connect('sa/gb', pwB);
  const collector = await connect('collector', 'collector-pw');
  const ioc = await connect('ioc', 'ioc-pw');

  t.test('a stranger without an account is refused at connect', async (t) => {
    await t.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 }), /Not authorized/i);
    await t.rejects(
      mqtt.connectAsync(url, { username: 'sa/ga', password: 'wrong', reconnectPeriod: 0, protocolVersion: 4 }),
      /Not authorized|Bad username/i,
    );
  });

  t.test("gate A cannot publish under gate B's topics; the collector reads gate A's own", async (t) => {
    const seen = inbox(collector);
    await collector.subscribeAsync('gate06/v1/+/+/#', { qos: 1 });
    await gateA.publishAsync('gate06/v1/sa/gb/counts', 'forged-by-a', { qos: 1 });
    await gateA.publishAsync('gate06/v1/sa/gb/status', 'forged-by-a', { qos: 1 });
    await gateA.publishAsync('gate06/v1/sa/ga/counts', 'own', { qos: 1 });
    await seen.until('gate06/v1/sa/ga/counts own');
    t.same(seen.got, ['gate06/v1/sa/ga/counts own']);
  });

  t.test("gate A cannot read gate B's commands, and gate B gets its own from the IOC", async (t) => {
    const a = inbox(gateA);
    const b = inbox(gateB);
    // Mosquitto accepts the subscription and never delivers what the ACL does not let A read.
    await gateA.subscribeAsync('gate06/v1/sa/gb/cmd/#', { qos: 1 });
    await gateA.subscribeAsync('gate06/v1/sa/ga/cmd/#', { qos: 1 });
    await gateB.subscribeAsync('gate06/v1/sa/gb/cmd/#', { qos: 1 });
    await ioc.publishAsync('gate06/v1/sa/gb/cmd/free-passage', 'for-b', { qos: 1 });
    await ioc.publishAsync('gate06/v1/sa/ga/cmd/free-passage', 'for-a', { qos: 1 });
    await b.until('gate06/v1/sa/gb/cmd/free-passage for-b');
    await a.until('gate06/v1/sa/ga/cmd/free-passage for-a');
    t.same(a.got, ['gate06/v1/sa/ga/cmd/free-passage for-a'], "A saw its own command only, not B's");
  });

  t.test('a gate cannot publish a command, not even to itself; the collector cannot publish at all', async (t) => {
    const a = inbox(gateA);
    await gateA.subscribeAsync('gate06/v1/sa/ga/cmd/#', { qos: 1 });
    await gateA.publishAsync('gate06/v1/sa/ga/cmd/free-passage', 'self-issued', { qos: 1 });
    await collector.publishAsync('gate06/v1/sa/ga/cmd/free-passage', 'from-collector', { qos: 1 });
    await collector.publishAsync('gate06/v1/sa/ga/counts', 'from-collector', { qos: 1 });
    await ioc.publishAsync('gate06/v1/sa/ga/cmd/resend', 'sentinel', { qos: 1 });
    await a.until('gate06/v1/sa/ga/cmd/resend sentinel');
    t.same(a.got, ['gate06/v1/sa/ga/cmd/resend sentinel']);
  });

  t.test("gate B connecting with gate A's client id does not take gate A off the broker", async (t) => {
    const dropped = new Promise<'dropped'>((resolve) => gateA.once('close', () => resolve('dropped')));
    // The id gate A's gateway asks for, and the account name the broker gives gate A's connection.
    for (const id of ['gate06-sa-ga', 'sa/ga', 'gate06-sa-ga']) await connect('sa/gb', pwB, id);
    const seen = inbox(collector);
    const delivered = gateA
      .publishAsync('gate06/v1/sa/ga/health', 'still-here', { qos: 1 })
      .then(() => seen.until('gate06/v1/sa/ga/health still-here'))
      .then(() => 'delivered' as const);
    t.equal(await Promise.race([dropped, delivered]), 'delivered', "gate A's connection was not dropped");
  });

  t.test('the IOC cannot publish gate telemetry', async (t) => {
    const seen = inbox(collector);
    await ioc.publishAsync('gate06/v1/sa/ga/counts', 'from-ioc', { qos: 1 });
    await gateA.publishAsync('gate06/v1/sa/ga/health', 'sentinel', { qos: 1 });
    await seen.until('gate06/v1/sa/ga/health sentinel');
    t.notOk(seen.got.some((m) => m.includes('from-ioc')));
    t.comment(brokerLog.split('\n').slice(-3).join(' | '));
  });
}

/** Resolves once the broker accepts TCP connections (it starts asynchronously), or fails after 15 s. */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
