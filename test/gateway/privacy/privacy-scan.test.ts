// After a short simulated session (people passing with CCCD QR codes, a networked reader, security staff
// searching by ID number, exporting and opening an event), no raw ID number, name or QR text is in the
// database, its WAL, the logs, the MQTT messages or the live stream: with personal fields off, and with them
// on (then only as AES-GCM ciphertext).
import type { MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import type { Feature } from '../../../gateway/gateway.js';
import type { SyntheticPerson } from '../../../sim/cards/people.js';
import { cccdQrText, syntheticPerson } from '../../../sim/people/population.js';
import { seededRandom } from '../../../sim/random.js';
import { startTestBroker, type TestBroker, uniqueId } from '../../helpers/broker.js';
import { ApiClient, type Harness, PASSWORDS, startHarness, until } from '../console/harness.js';
import { databaseFiles, type Needle, scan } from './scan.js';

const DEVICE_TOKEN = 'DEMO-device-token-0001';

// SYNTHETIC people: invented names ("Thử", "Mẫu", "Giả") and IDs from a seeded generator.
const rnd = seededRandom(1306);
const people: SyntheticPerson[] = Array.from({ length: 5 }, (_, i) => syntheticPerson(rnd, 100 + i));
const needles: Needle[] = people.flatMap((p, i) => [
  { label: `person ${i} id`, text: p.id },
  { label: `person ${i} name`, text: `${p.surname} ${p.givenNames}` },
  { label: `person ${i} qr`, text: cccdQrText(p) },
  ...(p.oldId ? [{ label: `person ${i} old id`, text: p.oldId }] : []),
  // A wrong-length ID typed into the search must not be echoed either.
  { label: `person ${i} partial id`, text: p.id.slice(0, 11) },
]);

/** The Telemetry feature publishing to a test broker, when it is present in this checkout. */
async function telemetryFeature(
  broker: TestBroker,
  mqttMessages: Array<{ topic: string; payload: Buffer }>,
): Promise<{
  make: (core: import('../../../gateway/gateway.js').GatewayCore) => Feature;
  client: MqttClient;
  offset: { ms: number };
} | null> {
  try {
    const { Telemetry } = await import('../../../gateway/telemetry/telemetry.js');
    const mqtt = (await import('mqtt')).default;
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('scan') });
    await client.subscribeAsync('gate06/#', { qos: 1 });
    client.on('message', (topic, payload) => mqttMessages.push({ topic, payload }));
    const offset = { ms: 0 };
    const make = (core: import('../../../gateway/gateway.js').GatewayCore): Feature => {
      const tel = new Telemetry({
        config: {
          ...core.config,
          mqtt: {
            url: broker.url,
            windowSeconds: 5,
            outboxMax: 1000,
            healthIntervalS: 1,
            categoryMinCount: 3,
            protocolVersion: 4,
            insecureUnsignedCommands: false,
            commandRateLimits: { 'free-passage': 20, resend: 4, watchlist: 6 },
          },
        },
        store: core.store,
        bus: core.bus,
        alarms: core.alarms,
        logger: core.logger,
        handlers: new Proxy({}, { get: () => () => {} }) as never,
        version: 'scan',
        clock: { now: () => Date.now() + offset.ms, mono: () => performance.now() + offset.ms },
        tickMs: 50,
        stopFlushMs: 1000,
      });
      return tel;
    };
    return { make, client, offset };
  } catch {
    return null;
  }
}

async function walk(h: Harness, lane: string, direction: 'in' | 'out', text: string): Promise<void> {
  const before = h.gw.core.store.query({ type: 'passage', limit: 1 })[0]?.seq ?? 0;
  const unlocked = new Promise((r) => h.rig.lane(lane).turnstile.once('unlock', r));
  await h.rig.lane(lane).qr[direction]!.scan(text);
  await unlocked;
  // A person takes about a second to walk through; a 300 ms blip can fall between two polls on a busy box.
  await h.rig.lane(lane).turnstile.holdSensor(direction, 1000);
  await until(
    () => (h.gw.core.store.query({ type: 'passage', limit: 1 })[0]?.seq ?? 0) > before,
    `the passage on ${lane} ${direction}`,
  );
  // The next person steps up after the arm has settled: a credential presented within one sensor poll of
  // the previous person clearing the sensor loses its passage (reported to the lane's owner).
  await new Promise((r) => setTimeout(r, 150));
}

async function session(t: Test, personal: boolean): Promise<void> {
  const broker = await startTestBroker();
  const mqttMessages: Array<{ topic: string; payload: Buffer }> = [];
  const tel = await telemetryFeature(broker, mqttMessages);
  t.teardown(async () => {
    await tel?.client.endAsync();
    await broker.stop();
  });
  const h = await startHarness({ personal, logLevel: 'debug', extra: tel ? { features: [tel.make] } : {} });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await h.stop();
  });

  for (const p of people.slice(0, 4)) await walk(h, 'L1', 'in', cccdQrText(p));
  await walk(h, 'L1', 'out', cccdQrText(people[0]!));
  const verify = await fetch(`${h.url}/v1/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      lane: 'L2',
      direction: 'in',
      credential: { kind: 'cccd-qr', text: cccdQrText(people[4]!) },
    }),
  });
  t.equal(verify.status, 200, 'networked reader decision');

  const op = new ApiClient(h.url);
  await op.login('op', PASSWORDS.op);
  const live = new AbortController();
  const liveText: string[] = [];
  const liveRes = await op.fetch('/v1/live');
  const reader = liveRes.body!.getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      liveText.push(Buffer.from(value!).toString('utf8'));
    }
  })();
  await walk(h, 'L1', 'in', cccdQrText(people[0]!));

  const sec = new ApiClient(h.url);
  await sec.login('sec', PASSWORDS.sec);
  const search = (await (await sec.fetch('/v1/security/search', { body: { idNumber: people[0]!.id } })).json()) as {
    events: Array<{ id: string; type: string }>;
  };
  t.equal(search.events.length, 3, 'two entries and one exit of person 0');
  t.equal((await sec.fetch('/v1/security/export', { body: { idNumber: people[1]!.id } })).status, 200);
  t.equal(
    (await sec.fetch('/v1/security/search', { body: { idNumber: people[2]!.id.slice(0, 11) } })).status,
    400,
    'a wrong-length ID is refused',
  );
  const detail = (await (await sec.fetch(`/v1/security/events/${search.events.at(-1)!.id}`)).json()) as {
    personal: { state: string; name?: string; idNumber?: string };
  };
  if (personal)
    t.same(
      detail.personal,
      { state: 'shown', name: `${people[0]!.surname} ${people[0]!.givenNames}`, idNumber: people[0]!.id },
      'security staff see the decrypted fields',
    );
  else t.same(detail.personal, { state: 'not-kept' });

  if (tel) {
    tel.offset.ms = 120_000; // close the count windows now
    await until(() => mqttMessages.some((m) => m.topic.endsWith('/counts')), 'a counts message', 400).catch(() => {});
  }
  reader.cancel().catch(() => {});
  live.abort();

  const whileRunning = databaseFiles(h.dbPath);
  t.ok(
    whileRunning.some((f) => f.where.endsWith('-wal') && f.bytes.length > 0),
    'the WAL is scanned while it holds data',
  );
  const keptRows = (h.gw.core.store.db.prepare('SELECT count(*) AS n FROM event_personal').get() as { n: number }).n;
  t.equal(keptRows > 0, personal, personal ? 'personal fields are kept (encrypted)' : 'no personal fields are kept');
  await h.stop({ keepDir: true });
  stopped = true;
  const afterStop = databaseFiles(h.dbPath).map((f) => ({ ...f, where: `${f.where} (after stop)` }));

  const haystacks = [
    ...whileRunning,
    ...afterStop,
    { where: 'logs', bytes: Buffer.from(h.logs.join('')) },
    { where: 'live stream', bytes: Buffer.from(liveText.join('')) },
    ...mqttMessages.map((m) => ({ where: `mqtt ${m.topic}`, bytes: m.payload })),
  ];
  t.ok(
    h.logs.some((l) => l.includes('"decision"')) && h.logs.some((l) => l.includes('bad request')),
    `decision and refused-request log lines captured (${h.logs.length} lines)`,
  );
  t.ok(liveText.join('').includes('event: decision'), 'the live stream carried decisions');
  if (tel) t.ok(mqttMessages.length > 0, `MQTT messages captured (${mqttMessages.length})`);
  else t.comment('telemetry feature not available: MQTT not scanned');
  t.same(scan(haystacks, needles), [], 'no raw ID number, name or QR text anywhere');
  const { rmSync } = await import('node:fs');
  rmSync(h.dir, { recursive: true, force: true });
}

t.test(
  'with personal fields off, a demo session leaves no personal data in the database, WAL, logs, MQTT or live stream',
  (t) => session(t, false),
);
t.test('with personal fields on, they exist only encrypted: none in plain text anywhere', (t) => session(t, true));
