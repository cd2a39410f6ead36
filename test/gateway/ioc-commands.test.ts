// The IOC's commands as the composed gateway carries them out: refused, not "accepted", when they cannot be.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { gateKeyRegistryFromJwks, verifyPublication } from '../../contracts/publication-signature.js';
import { composeGateway } from '../../gateway/compose.js';
import { loadConfig } from '../../gateway/config/load.js';
import type { GatewayConfig } from '../../gateway/config/schema.js';
import type { Gateway } from '../../gateway/gateway.js';
import { createLogger } from '../../gateway/logger.js';
import { loadCommandSigningKey, signCommand } from '../../gateway/telemetry/sign-command.js';
import { SimRig } from '../../sim/rig.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { LogCapture, until } from '../helpers/harness.js';

// ---- The demo config end to end (issue #11, finding 1): commands over a real broker to a composed gateway.

const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_IOC_KEY = join(ROOT_DIR, 'seeds/ioc/demo-ioc.private.jwk.json');
const DEMO_GATE_KEYS = join(ROOT_DIR, 'seeds/demo/gate-keys/jwks.json');

interface DemoGate {
  gateway: Gateway;
  site: string;
  gate: string;
  logs: LogCapture;
  /** Publishes a body on cmd/{verb}; resolves with the inbox's verdict (accepted, or the rejection reason). */
  command(verb: string, body: string): Promise<string>;
  topic(verb: string): string;
  health(): Promise<Record<string, unknown>>;
  counts: Array<{ seq: number }>;
}

/** The demo's gateway.yaml as `gate06 demo` runs it, on the test broker, with its own site id. */
async function startDemoGate(
  t: Test,
  mutate: (mqtt: NonNullable<GatewayConfig['mqtt']>) => void = () => {},
): Promise<DemoGate> {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const loaded = loadConfig(join(ROOT_DIR, 'seeds/demo/gateway.yaml'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const config = structuredClone(loaded.config);
  const dir = mkdtempSync(join(tmpdir(), 'gate06-ioc-'));
  config.site.id = uniqueId('ioc');
  config.store.path = join(dir, 'gateway.db');
  config.http.port = 0;
  config.mqtt!.url = broker.url;
  config.mqtt!.windowSeconds = 5;
  mutate(config.mqtt!);
  const rig = await SimRig.start(config, { transport: 'mock', dir: join(dir, 'tty') });
  const logs = new LogCapture();
  const gateway = await composeGateway({
    config: rig.config,
    logger: createLogger('info', logs),
    devices: rig.devices,
  });
  const site = config.site.id;
  const gate = config.gate.id;
  const topic = (verb: string) => `gate06/v1/${site}/${gate}/cmd/${verb}`;
  const ioc = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('ioc') });
  const healths: Array<Record<string, unknown>> = [];
  const counts: Array<{ seq: number }> = [];
  // The demo gate signs what it publishes: read the payload only after checking it against the demo registry.
  // This test gives the demo gate a site id of its own, so the demo key is registered under that site's kid.
  const demoKey = (JSON.parse(readFileSync(DEMO_GATE_KEYS, 'utf8')) as { keys: object[] }).keys[0]!;
  const registry = gateKeyRegistryFromJwks({ keys: [{ ...demoKey, kid: `${site}/${gate}` }] });
  if (!registry.ok) throw new Error(registry.reason);
  const payloadOf = (tp: string, body: Buffer) => {
    const v = verifyPublication(tp, body, registry.value);
    if (!v.ok) throw new Error(`publication on ${tp} does not verify: ${v.reason}`);
    return JSON.parse(v.value.payload.toString('utf8'));
  };
  ioc.on('message', (tp, body) => {
    if (tp.endsWith('/health')) healths.push(payloadOf(tp, body));
    if (tp.endsWith('/counts')) counts.push(payloadOf(tp, body));
  });
  await ioc.subscribeAsync([`gate06/v1/${site}/${gate}/health`, `gate06/v1/${site}/${gate}/counts`], { qos: 1 });
  await gateway.start();
  t.teardown(async () => {
    await ioc.endAsync(true);
    await gateway.stop();
    await rig.stop();
  });
  // Each command ends in one verdict: an accepted one is logged, a refused one reaches the bus as rejected
  // input (its log line is sampled per reason, so the log alone cannot tell). The test waits for it, not for time.
  const refusals: string[] = [];
  gateway.core.bus.on(refusals, 'input.rejected', (r) => {
    if (r.source === 'mqtt-command') refusals.push(r.reason);
  });
  const acceptedCount = (): number => logs.lines.filter((l) => l.includes('"command accepted"')).length;
  // Health goes out once the gateway is connected; its command subscription was sent before it, on the same
  // connection, so commands published from here on reach it.
  await until(() => healths.length > 0, 15_000, 'the gateway online');
  return {
    gateway,
    site,
    gate,
    logs,
    topic,
    counts,
    async command(verb, body) {
      const [accepted, refused] = [acceptedCount(), refusals.length];
      await ioc.publishAsync(topic(verb), body, { qos: 1 });
      await until(() => acceptedCount() > accepted || refusals.length > refused, 15_000, `the verdict on ${verb}`);
      return acceptedCount() > accepted ? 'accepted' : refusals[refused]!;
    },
    async health() {
      await until(() => healths.length > 0, 15_000, 'retained health');
      return healths[healths.length - 1]!;
    },
  };
}

const freePassageOn = (lane: string, id: string) =>
  ({ id, expiresAt: Date.now() + 60_000, lane, on: true, reason: 'evacuation drill' }) as const;
const lanesInFreePassage = (g: DemoGate) => [...g.gateway.core.lanes.values()].filter((l) => l.freePassage).length;

t.test('on the demo config only a command signed by the IOC key for this topic opens a lane', async (t) => {
  const g = await startDemoGate(t);
  const signer = loadCommandSigningKey(DEMO_IOC_KEY);
  const stranger = { kid: signer.kid, key: generateKeyPairSync('ed25519').privateKey };
  const fp = g.topic('free-passage');
  const otherGate = `gate06/v1/${g.site}/gate-zz/cmd/free-passage`;
  t.equal(await g.command('free-passage', JSON.stringify(freePassageOn('L1', 'cmd-unsigned-01'))), 'cmd.unsigned');
  t.equal(
    await g.command('free-passage', signCommand(stranger, fp, freePassageOn('L1', 'cmd-stranger-01'))),
    'cmd.bad-signature',
    'signed by another Ed25519 key under the IOC kid',
  );
  t.equal(
    await g.command('free-passage', signCommand(signer, otherGate, freePassageOn('L1', 'cmd-othergate-1'))),
    'cmd.bad-signature',
    'signed by the IOC key for another gate',
  );
  t.equal(
    await g.command('free-passage', signCommand(signer, g.topic('resend'), freePassageOn('L1', 'cmd-otherverb-1'))),
    'cmd.bad-signature',
    'signed by the IOC key for another verb',
  );
  t.equal(lanesInFreePassage(g), 0, 'no lane went into free passage');
  t.equal(await g.command('free-passage', signCommand(signer, fp, freePassageOn('L1', 'cmd-signed-0001'))), 'accepted');
  t.ok(g.gateway.core.lanes.get('L1')!.freePassage, 'the rightly signed command opened L1');
  t.equal(lanesInFreePassage(g), 1);
  t.equal((await g.health()).commandSigning, 'signed');
});

t.test('on the demo config an unsigned resend {since:0} republishes nothing; a signed one does', async (t) => {
  const g = await startDemoGate(t);
  const signer = loadCommandSigningKey(DEMO_IOC_KEY);
  await until(() => g.counts.length > 0, 20_000, 'a first window delivered');
  const resend = (id: string) => ({ id, expiresAt: Date.now() + 60_000, since: 0 });
  t.equal(await g.command('resend', JSON.stringify(resend('cmd-resend-unsigned'))), 'cmd.unsigned');
  const requeued = () => g.logs.lines.filter((l) => l.includes('windows queued again'));
  t.same(requeued(), [], 'nothing was queued again');
  const before = g.counts.length;
  t.equal(await g.command('resend', signCommand(signer, g.topic('resend'), resend('cmd-resend-signed1'))), 'accepted');
  t.equal(requeued().length, 1);
  const firstSeq = g.counts[0]!.seq;
  await until(() => g.counts.slice(before).some((c) => c.seq === firstSeq), 15_000, 'the first window again');
  t.pass('the signed resend republished the kept windows');
});

t.test('with mqtt.insecureUnsignedCommands an unsigned command opens a lane, after a warning at start', async (t) => {
  const g = await startDemoGate(t, (m) => {
    delete m.commandSignerJwksFile;
    m.insecureUnsignedCommands = true;
  });
  const warning = g.logs.lines.find((l) => l.includes('insecureUnsignedCommands is true'));
  t.ok(warning, 'the start logged a warning');
  t.equal((JSON.parse(warning ?? '{}') as { level?: number }).level, 40, 'at warn level');
  t.equal(await g.command('free-passage', JSON.stringify(freePassageOn('L2', 'cmd-insecure-01'))), 'accepted');
  t.ok(g.gateway.core.lanes.get('L2')!.freePassage);
  t.equal((await g.health()).commandSigning, 'insecure-unsigned');
});

t.test('with neither a signer nor the insecure flag the gate takes no command and says so at start', async (t) => {
  const g = await startDemoGate(t, (m) => {
    delete m.commandSignerJwksFile;
  });
  t.ok(g.logs.lines.some((l) => l.includes('IOC commands are disabled until a signer JWKS is configured')));
  const signer = loadCommandSigningKey(DEMO_IOC_KEY);
  const fp = g.topic('free-passage');
  t.equal(await g.command('free-passage', JSON.stringify(freePassageOn('L1', 'cmd-nosigner-01'))), 'cmd.no-signer');
  t.equal(
    await g.command('free-passage', signCommand(signer, fp, freePassageOn('L1', 'cmd-nosigner-02'))),
    'cmd.no-signer',
  );
  t.equal(lanesInFreePassage(g), 0);
  t.equal((await g.health()).commandSigning, 'disabled');
});

// ---- Commands across store trouble (issue #11 review, findings 6 and 7), on a real event store.

const freePassage = (lane: string, id: string, on: boolean) =>
  ({ id, expiresAt: Date.now() + 60_000, lane, on, reason: 'evacuation drill' }) as const;
const seenIds = (g: DemoGate): string[] =>
  (g.gateway.core.store.db.prepare('SELECT id FROM tel_cmd_seen ORDER BY id').all() as Array<{ id: string }>).map(
    (r) => r.id,
  );

t.test('a signed command captured before the database was deleted does not run again on the new log', async (t) => {
  const g = await startDemoGate(t);
  const signer = loadCommandSigningKey(DEMO_IOC_KEY);
  const fp = g.topic('free-passage');
  const captured = signCommand(signer, fp, freePassage('L1', 'cmd-captured-on1', true));
  t.equal(await g.command('free-passage', captured), 'accepted');
  t.equal(
    await g.command('free-passage', signCommand(signer, fp, freePassage('L1', 'cmd-closing-off1', false))),
    'accepted',
  );
  t.notOk(g.gateway.core.lanes.get('L1')!.freePassage);

  const dbPath = g.gateway.core.config.store.path;
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f)) unlinkSync(f);
  await until(() => g.logs.lines.some((l) => l.includes('EVENT LOG LOST')), 15_000, 'the new, empty log');
  t.same(seenIds(g), ['cmd-captured-on1', 'cmd-closing-off1'], 'the new file is seeded with the remembered ids');

  t.equal(await g.command('free-passage', captured), 'cmd.repeated');
  t.notOk(g.gateway.core.lanes.get('L1')!.freePassage, 'the replay did not free L1');
});

t.test('during a store lock an IOC command is refused as cmd.store-unavailable, except free passage OFF', async (t) => {
  const g = await startDemoGate(t);
  const signer = loadCommandSigningKey(DEMO_IOC_KEY);
  const fp = g.topic('free-passage');
  const L1 = g.gateway.core.lanes.get('L1')!;
  const L2 = g.gateway.core.lanes.get('L2')!;
  t.equal(
    await g.command('free-passage', signCommand(signer, fp, freePassage('L1', 'cmd-lock-on-L1', true))),
    'accepted',
  );
  t.ok(L1.freePassage);

  const locker = new Database(g.gateway.core.config.store.path);
  t.teardown(() => {
    if (locker.open) locker.close();
  });
  locker.exec('BEGIN EXCLUSIVE');
  const openL2 = signCommand(signer, fp, freePassage('L2', 'cmd-lock-on-L2', true));
  t.equal(await g.command('free-passage', openL2), 'cmd.store-unavailable', 'opening is refused unrecorded');
  t.notOk(L2.freePassage);
  const closeL1 = signCommand(signer, fp, freePassage('L1', 'cmd-lock-off-L1', false));
  t.equal(await g.command('free-passage', closeL1), 'accepted', 'closing is the safe direction');
  t.notOk(L1.freePassage, 'L1 left free passage during the lock');
  t.ok(g.gateway.core.storeWatch.status().owed >= 2, 'the OFF event and its id are owed to the log');
  locker.exec('ROLLBACK');
  locker.close();

  await until(
    () => g.gateway.core.storeWatch.status().available && g.gateway.core.storeWatch.status().owed === 0,
    15_000,
    'the store back and the backlog written',
  );
  t.notOk(L1.freePassage, 'L1 stayed out of free passage after recovery');
  t.ok(seenIds(g).includes('cmd-lock-off-L1'), 'the OFF command id is recorded once the store is back');
  t.notOk(seenIds(g).includes('cmd-lock-on-L2'), 'the refused id was not remembered');
  const offEvents = g.gateway.core.store.db
    .prepare("SELECT facts FROM events WHERE type = 'free-passage' AND lane = 'L1'")
    .all() as Array<{ facts: string }>;
  t.ok(
    offEvents.some((e) => JSON.parse(e.facts).requested === false),
    'the free-passage OFF event is in the log',
  );
  t.equal(await g.command('free-passage', openL2), 'accepted', 'the IOC could resend the refused command');
  t.ok(L2.freePassage);
});
