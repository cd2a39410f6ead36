// One alarm path (issue #12): every alarm kind, raised by its real trigger where that is cheap and through
// AlarmService.raise otherwise, is found in all three places people and the IOC look: the event log, the
// console's active alarms (over HTTP, with an operator session) and the MQTT `alarms` topic, signed by the gate.
// The kinds come from the AlarmKind union in gateway/events.ts, so a new kind without a trigger here fails.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import t from 'tap';
import { gateKeyRegistryFromJwks, gatePublicJwk, verifyPublication } from '../../contracts/publication-signature.js';
import { topicFor } from '../../contracts/topics.js';
import { loadConfig } from '../../gateway/config/load.js';
import type { Alarm } from '../../gateway/events.js';
import type { Feature, GatewayCore } from '../../gateway/gateway.js';
import { factEvent } from '../../gateway/store/types.js';
import { Telemetry } from '../../gateway/telemetry/telemetry.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';
import { ApiClient, PASSWORDS, startHarness, until } from './console/harness.js';

failOnUnhandledRejection(t);

const ROOT = join(import.meta.dirname, '../..');

/** The AlarmKind union as written in gateway/events.ts (the type has no runtime list of its own). */
function alarmKindsInSource(): string[] {
  const source = readFileSync(join(ROOT, 'gateway/events.ts'), 'utf8');
  // Comments inside the union may hold apostrophes ("the store's file"): drop them before reading the quotes.
  const union = /export type AlarmKind =([^;]+);/.exec(source.replace(/\/\*[\s\S]*?\*\//g, ''))?.[1];
  if (!union) throw new Error('AlarmKind union not found in gateway/events.ts');
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

/**
 * A TCP relay between the gate and the broker that the test can cut and restore: "the broker away" for this
 * gate alone, which works on the shared Mosquitto as well as on the embedded broker.
 */
async function startRelay(target: URL): Promise<{ url: string; cut(): void; restore(): void; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((inbound) => {
    inbound.on('error', () => {});
    if (!open) return void inbound.destroy();
    const outbound = tcpConnect(Number(target.port || 1883), target.hostname);
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const WINDOW_MS = 10_000;
const OUTBOX_MAX = 10;

const broker = await startTestBroker();
t.teardown(() => broker.stop());
const relay = await startRelay(new URL(broker.url));
t.teardown(() => relay.stop());

// One clock for the gateway and its telemetry: windows advance wall and monotonic time together; a clock jump
// moves the wall clock alone, which is what telemetry's ClockWatch looks for.
const offsets = { wall: 0, mono: 0 };
const now = (): number => Date.now() + offsets.wall;
const mono = (): number => performance.now() + offsets.mono;

const { privateKey } = generateKeyPairSync('ed25519');
const site = uniqueId('alarm');
const demo = loadConfig(join(ROOT, 'seeds/demo/gateway.yaml'));
if (!demo.ok) throw new Error(demo.errors.join('\n'));
let telemetry: Telemetry | undefined;
const telemetryFeature = (core: GatewayCore): Feature => {
  // Its own clocks and timing, so this telemetry is a feature of the test rather than the one the gateway
  // composes from config.mqtt (which stays unset).
  const tel = new Telemetry({
    config: {
      ...core.config,
      mqtt: {
        ...demo.config.mqtt!,
        url: relay.url,
        protocolVersion: 4, // the embedded broker speaks 3.1.1 only
        windowSeconds: WINDOW_MS / 1000,
        outboxMax: OUTBOX_MAX,
        healthIntervalS: 3600,
        commandSignerJwksFile: undefined,
        signingKey: { demo: JSON.stringify(privateKey.export({ format: 'jwk' })) },
      },
    },
    store: core.store,
    bus: core.bus,
    alarms: core.alarms,
    logger: core.logger,
    handlers: { 'free-passage': () => {}, watchlist: () => {} },
    version: 'alarm-test',
    clock: { now, mono },
    tickMs: 3600_000,
    reconnectPeriodMs: 100,
    stopFlushMs: 500,
  });
  telemetry = tel;
  return tel;
};

const h = await startHarness({
  now,
  logLevel: 'silent',
  configure: (config) => {
    config.site.id = site;
  },
  extra: { features: [telemetryFeature] },
});
t.teardown(() => h.stop());
const core = h.gw.core;
const gate = core.config.gate.id;
const tel = telemetry!;

// What the IOC receives on the alarms topic, each checked against the gate's public key.
const alarmsTopic = topicFor(site, gate, 'alarms');
const registry = gateKeyRegistryFromJwks({ keys: [gatePublicJwk(site, gate, privateKey)] });
if (!registry.ok) throw new Error(registry.detail);
const received: Alarm[] = [];
const unverified: string[] = [];
const ioc = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: uniqueId('ioc') });
t.teardown(() => ioc.endAsync());
ioc.on('message', (topic, body) => {
  const v = verifyPublication(topic, body, registry.value);
  if (v.ok) received.push(JSON.parse(v.value.payload.toString('utf8')) as Alarm);
  else unverified.push(v.reason);
});
await ioc.subscribeAsync(alarmsTopic, { qos: 1 });
await until(() => tel.stats().connected === 1, 'telemetry connected');

const loggedAlarms = () =>
  core.store
    .query({ type: 'alarm', limit: 1000 })
    .map((e) => ({ kind: String(e.facts.kind), id: String(e.facts.alarmId) }));
const logged = (kind: string) => loggedAlarms().find((a) => a.kind === kind);

/**
 * Raises `kind` through the one alarm service, as the parts that have no cheap real trigger here do. These run
 * back to back without waiting on I/O, so the earlier alarms must be acknowledged first: else the burst can
 * outgrow this tiny outbox (OUTBOX_MAX) and the last one is dropped, depending on how fast the broker answers.
 */
const viaService =
  (kind: Alarm['kind'], detail: Record<string, string | number> = {}) =>
  async () => {
    await until(() => tel.outboxDepth() === 0, 'earlier alarms acknowledged by the broker', 400);
    core.alarms.raise(
      kind,
      kind === 'store-unavailable' || kind === 'disk-space-low' || kind === 'store-checkpoint-failing' ? null : 'L1',
      detail,
    );
  };

let depthWhileAway = 0;
const L1 = h.rig.lane('L1');
const L2 = h.rig.lane('L2');
/** Each kind's trigger, run in this order (forced passage before the fire frees the lanes, the outbox last). */
const triggers: Record<string, () => Promise<void>> = {
  'forced-passage': () => L1.turnstile.pass('in'),
  'turnstile-alarm': async () => L2.turnstile.setAlarm(true),
  'device-offline': () => h.rig.unplug('L2', 'qr-out'),
  'fire-alarm': async () => {
    L1.turnstile.setFireAlarm(true);
    await until(() => logged('fire-alarm') !== undefined, 'fire alarm logged');
    L1.turnstile.setFireAlarm(false);
    await until(() => [...core.lanes.values()].every((l) => !l.freePassage), 'lanes locked again');
  },
  tailgating: viaService('tailgating', { direction: 'in' }),
  'door-held': viaService('door-held', { direction: 'in' }),
  'watchlist-hit': viaService('watchlist-hit', { listVersion: 3 }),
  'anti-passback': viaService('anti-passback', { direction: 'in' }),
  'store-unavailable': viaService('store-unavailable', { problem: 'locked' }),
  'disk-space-low': viaService('disk-space-low', { freeMb: 12 }),
  'store-checkpoint-failing': viaService('store-checkpoint-failing', { failuresInARow: 3, walMb: 12.5 }),
  'daemon-fault': viaService('daemon-fault', { error: 'TypeError' }),
  'clock-jump': async () => {
    // The burst of alarms above may still wait for PUBACKs in this tiny outbox: this tick must see it drained,
    // or it raises outbox-filling as well, before the broker is away.
    await until(() => tel.outboxDepth() === 0, 'earlier alarms acknowledged by the broker', 400);
    offsets.wall += 10 * 60_000;
    tel.tick();
  },
  // The broker away and a passage in every window: the outbox fills with closed windows until 90 % of
  // OUTBOX_MAX, when telemetry raises the alarm; it is queued behind them and goes out once the link is back.
  'outbox-filling': async () => {
    await until(() => tel.outboxDepth() === 0, 'earlier alarms acknowledged by the broker', 400);
    relay.cut();
    await until(() => tel.stats().connected === 0, 'telemetry sees the link down');
    for (let i = 0; i < 2 * OUTBOX_MAX && !logged('outbox-filling'); i++) {
      core.store.append(factEvent('passage', 'L1', { via: 'ticket' }, { direction: 'in' }));
      offsets.wall += WINDOW_MS;
      offsets.mono += WINDOW_MS;
      tel.tick();
    }
    depthWhileAway = tel.outboxDepth();
    relay.restore();
  },
};

const kinds = alarmKindsInSource();

t.test('every alarm kind has a trigger in this test', async (t) => {
  t.ok(kinds.length >= 13, 'the union is read from its source');
  t.same(
    kinds.filter((k) => !Object.hasOwn(triggers, k)),
    [],
  );
});

t.test('each alarm kind is in the event log, the console and on MQTT, with the same id', async (t) => {
  for (const [kind, trigger] of Object.entries(triggers)) {
    await trigger();
    await until(() => logged(kind) !== undefined, `${kind} in the event log`, 400);
  }
  const op = new ApiClient(h.url);
  t.equal((await op.login('op', PASSWORDS.op)).status, 200);
  const state = (await (await op.fetch('/v1/console/state')).json()) as { alarms: Alarm[] };
  await until(() => kinds.every((k) => received.some((a) => a.id === logged(k)!.id)), 'every alarm on MQTT', 800);
  for (const kind of kinds) {
    const inLog = logged(kind)!;
    t.ok(inLog, `${kind}: in the event log`);
    t.ok(
      state.alarms.some((a) => a.id === inLog.id && a.kind === kind),
      `${kind}: in the console's active alarms`,
    );
    t.ok(
      received.some((a) => a.id === inLog.id && a.kind === kind),
      `${kind}: on the MQTT alarms topic, signed by the gate`,
    );
  }
  t.same(unverified, [], 'nothing unsigned or wrongly signed on the alarms topic');
  t.ok(depthWhileAway >= OUTBOX_MAX * 0.9, 'the windows waited in the outbox while the broker was away');
});

t.test('only the alarm service announces alarms: an emit elsewhere would reach MQTT unlogged', async (t) => {
  const gatewayDir = join(ROOT, 'gateway');
  const emitters = readdirSync(gatewayDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => /emit\(\s*'alarm\.raised'/.test(readFileSync(join(gatewayDir, file), 'utf8')));
  t.same(emitters, ['alarms.ts']);
});
