// Collector ingest benchmark: 1,000 simulated gates publish count windows; we measure the message rate of
// (a) a bare subscriber that only counts messages, (b) the collector on SQLite, (c) the collector on
// PostgreSQL, all on the same broker in the same run, and check that nothing was lost.
// Rate = messages / (last message handled − first message received); for the collector "handled" means
// committed to storage. Target (DESIGN.md): collector ≥ 0.5 × bare subscriber.
// Usage: node --import tsx bench/collector.ts [--gates 1000] [--windows 10]
// Broker: MQTT_URL if set, else embedded aedes. PostgreSQL: DATABASE_URL or postgres://postgres@127.0.0.1:5432/test.
// BENCH_SHARED=0 runs the collector with plain instead of shared subscriptions (to compare the two).
// The fleet publishes in rounds (statuses, each window, health) and waits for the consumer after each: a
// default Mosquitto queues at most 1,000 QoS 1 messages for a subscriber and drops the rest, which would
// turn a burst from 1,000 gates into loss for any consumer, the bare one included (seen in the first runs).
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { CollectorConfig } from '../collector/config.js';
import { startCollector } from '../collector/main.js';
import { dropPostgresSchema, openPostgresStore } from '../collector/storage/postgres.js';
import type { CollectorStore } from '../collector/storage/types.js';
import { type FleetOptions, type FleetSummary, fleetKeysJwks, runFleet } from '../sim/fleet.js';

// The fleet runs in a child process (this file, re-entered), as gate boxes are other machines: on the 2-core
// box a fleet of 1,000 clients in the collector's own event loop measured the fleet, not the consumer.
const CHILD_ENV = 'GATE06_BENCH_FLEET_CHILD';
if (process.env[CHILD_ENV]) {
  const opts = JSON.parse(process.env[CHILD_ENV]!) as FleetOptions;
  const waitGo = (): Promise<void> => new Promise((r) => process.once('message', () => r()));
  const fleet = await runFleet({
    ...opts,
    afterRound: async (k) => {
      process.send!({ round: k });
      await waitGo();
    },
  });
  process.send!({ summary: fleet.summary });
  await waitGo();
  await fleet.close('clear');
  process.exit(0);
}

/** Runs a fleet in a child process; onRound(k) resolves when the consumer has handled k messages. */
async function fleetInChild(
  opts: FleetOptions,
  onRound: (k: number) => Promise<void>,
): Promise<{ summary: FleetSummary; close(): Promise<void> }> {
  const child = fork(new URL(import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(opts) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const summary = await new Promise<FleetSummary>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`fleet child exited with ${code}`)));
    child.on('message', (m: { round?: number; summary?: FleetSummary }) => {
      if (m.summary) resolve(m.summary);
      else if (m.round !== undefined) void onRound(m.round).then(() => child.send('go'));
    });
  });
  return {
    summary,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.send('go');
      }),
  };
}

const { values } = parseArgs({
  options: { gates: { type: 'string', default: '1000' }, windows: { type: 'string', default: '10' } },
});
const GATES = Number(values.gates);
const WINDOWS = Number(values.windows);
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const runId = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
/** The fleet's site ids (runFleet names them `${prefix}-s{n}`, 10 gates a site): consumers subscribe to these
 * only, so other traffic on a shared broker (parallel test runs) does not enter the measurement. */
const sitesOf = (prefix: string): string[] =>
  Array.from({ length: Math.ceil(GATES / 10) }, (_, i) => `${prefix}-s${i}`);

async function brokerUrl(): Promise<{ url: string; kind: string; stop(): Promise<void> }> {
  if (process.env.MQTT_URL) return { url: process.env.MQTT_URL, kind: 'external (MQTT_URL)', stop: async () => {} };
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    kind: 'embedded aedes',
    stop: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    },
  };
}

interface Result {
  consumer: string;
  messages: number;
  seconds: number;
  perSecond: number;
  lost: boolean;
  detail?: Record<string, unknown>;
}

/** Polls every 2 ms until ok() holds; gives up after 60 s (then the run reports a loss). */
async function waitFor(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

async function bareSubscriber(url: string): Promise<Result> {
  const prefix = `bb${runId}`;
  // Same protocol as the collector gets from this broker, so the comparison is like for like.
  const sub = await mqtt.connectAsync(url, {
    protocolVersion: process.env.MQTT_URL ? 5 : 4,
    clientId: `${prefix}-bare`,
    clean: true,
  });
  let n = 0;
  let first = 0;
  let last = 0;
  sub.on('message', () => {
    const t = Date.now();
    if (!n) first = t;
    n++;
    last = t;
  });
  await sub.subscribeAsync(
    sitesOf(prefix).map((site) => `gate06/v1/${site}/+/#`),
    { qos: 1 },
  );
  let done = 0;
  const fleet = await fleetInChild({ mqttUrl: url, gates: GATES, windows: WINDOWS, sitePrefix: prefix }, (k) =>
    waitFor(() => n >= k).then(() => void (done = last)),
  );
  const expected = fleet.summary.messages.total;
  await fleet.close();
  await sub.endAsync();
  const seconds = (done - first) / 1000;
  n = Math.min(n, expected);
  return {
    consumer: 'bare subscriber',
    messages: n,
    seconds,
    perSecond: Math.round(n / seconds),
    lost: n < expected,
    detail: { expected, publishMs: fleet.summary.publishMs },
  };
}

/** The registry of the fleet's gate keys (every message is signed; the collector verifies each one). */
function writeFleetKeys(dir: string, prefix: string): string {
  const file = join(dir, 'gate-keys.json');
  writeFileSync(file, JSON.stringify(fleetKeysJwks({ gates: GATES, sitePrefix: prefix })));
  return file;
}

async function collector(url: string, storage: 'sqlite' | 'postgres'): Promise<Result> {
  const prefix = `bc${storage[0]}${runId}`;
  const dir = mkdtempSync(join(tmpdir(), 'gate06-bench-'));
  const schema = `bench_${runId}`;
  let store: CollectorStore | undefined;
  if (storage === 'postgres') store = await openPostgresStore(PG_URL, schema);
  const cfg = CollectorConfig.parse({
    mqtt: {
      url,
      clientId: `${prefix}-col`,
      sites: sitesOf(prefix),
      sessionExpirySeconds: 60,
      sharedSubscription: process.env.BENCH_SHARED !== '0',
    },
    storage: { sqlitePath: join(dir, 'bench.db') },
    http: { port: 0, apiToken: { demo: 'bench-token-0123456789' } },
    gates: { keysFile: writeFleetKeys(dir, prefix) },
  });
  const c = await startCollector(cfg, { log: pino({ level: 'warn' }), store, env: {} });
  try {
    const s = c.ingest.status;
    let done = 0;
    const fleet = await fleetInChild({ mqttUrl: url, gates: GATES, windows: WINDOWS, sitePrefix: prefix }, (k) =>
      waitFor(() => s.stored >= k).then(() => void (done = s.lastCommitAt ?? 0)),
    );
    const expected = fleet.summary.messages.total;
    const seconds = (done - (s.firstReceivedAt ?? 0)) / 1000;
    // Nothing lost: every lane total the fleet sent is in storage.
    let stored = { in: 0, out: 0, denied: 0 };
    for (const site of fleet.summary.sites) {
      const cells = await c.store.countsCells({
        site,
        from: 0,
        to: Date.now() + 86_400_000,
        bucket: 'day',
        utcOffsetMinutes: 0,
      });
      for (const x of cells)
        stored = { in: stored.in + x.in, out: stored.out + x.out, denied: stored.denied + x.denied };
    }
    const want = fleet.summary.totals;
    const lost =
      stored.in !== want.in || stored.out !== want.out || stored.denied !== want.denied || s.stored < expected;
    const messages = Math.min(s.stored, expected);
    await fleet.close();
    await c.ingest.drained();
    return {
      consumer: `collector (${storage}, MQTT ${s.protocolVersion}${s.shared ? ', shared subscription' : ''})`,
      messages,
      seconds,
      perSecond: Math.round(messages / seconds),
      lost,
      detail: {
        expected,
        storedTotals: stored,
        sentTotals: want,
        rejected: s.rejected,
        publishMs: fleet.summary.publishMs,
      },
    };
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
    if (storage === 'postgres') await dropPostgresSchema(PG_URL, schema).catch(() => {});
  }
}

const broker = await brokerUrl();
const results: Result[] = [];
results.push(await bareSubscriber(broker.url));
results.push(await collector(broker.url, 'sqlite'));
let pgNote: string | undefined;
try {
  results.push(await collector(broker.url, 'postgres'));
} catch (err) {
  pgNote = `PostgreSQL skipped: ${(err as Error).message}`;
}
await broker.stop();
const bare = results[0]!.perSecond;
const out = {
  bench: 'collector-ingest',
  date: new Date().toISOString(),
  broker: broker.kind,
  gates: GATES,
  windowsPerGate: WINDOWS,
  lanesPerGate: 2,
  results: results.map((r) => ({ ...r, ratioToBare: Number((r.perSecond / bare).toFixed(2)) })),
  goal: 'collector ≥ 0.5 × bare subscriber, nothing lost',
  pass: results.slice(1).every((r) => !r.lost && r.perSecond >= 0.5 * bare) && !results[0]!.lost,
  ...(pgNote ? { note: pgNote } : {}),
};
console.log(JSON.stringify(out, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/collector.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
process.exit(out.pass ? 0 : 1);
