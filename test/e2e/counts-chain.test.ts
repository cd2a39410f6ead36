// From lanes to the IOC: the real daemon on simulated hardware (socat ptys) publishes counts over MQTT;
// the collector stores them. After a run the collector's totals per lane equal the gateway's own event log
// exactly — also across a broker outage and a kill -9 of the daemon. Every payload is scanned for personal data.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { type Daemon, startDaemon, writeConfig } from '../../sim/daemon.js';
import { Crowd } from '../../sim/people/crowd.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { startTestCollector } from '../collector/helpers.js';
import { registryOf, type TestGateKey, testGateKey } from '../collector/signing.js';
import { type OutageBroker, startOutageBroker, startTestBroker, type TestBroker, uniqueId } from '../helpers/broker.js';
import { demoConfig, keys, sleep } from '../helpers/harness.js';
import { TWELVE_DIGIT_RUN, withoutOpaqueNumbers } from '../helpers/id-scan.js';

type Totals = Record<string, { in: number; out: number; denied: number }>;

/** The gateway's own view, from its event log: passages by direction, denials, per lane. */
function gatewayTotals(dbPath: string): Totals {
  const db = new Database(dbPath, { readonly: true });
  const out: Totals = {};
  const rows = db
    .prepare(
      "SELECT lane, type, direction, decision, count(*) AS n FROM events WHERE lane IS NOT NULL AND (type = 'passage' OR (type = 'decision' AND decision = 'deny')) GROUP BY lane, type, direction, decision",
    )
    .all() as Array<{ lane: string; type: string; direction: string; n: number }>;
  db.close();
  for (const r of rows) {
    const l = (out[r.lane] ??= { in: 0, out: 0, denied: 0 });
    if (r.type === 'passage') l[r.direction as 'in' | 'out'] += r.n;
    else l.denied += r.n;
  }
  return out;
}

interface Run {
  site: string;
  rig: SimRig;
  configFile: string;
  dbPath: string;
  daemon: Daemon;
  crowd: Crowd;
  payloads: string[];
  /** the gate's signing key; the collector's registry holds its public half */
  gateKey: TestGateKey;
}

async function startRun(t: Test, brokerUrl: string): Promise<Run> {
  const site = uniqueId('e2e');
  const gateKey = testGateKey(site, 'gate-a');
  const dir = mkdtempSync(join(tmpdir(), 'gate06-chain-'));
  const config = demoConfig((c) => {
    c.site.id = site;
    c.mqtt = {
      url: brokerUrl,
      windowSeconds: 5,
      outboxMax: 1000,
      healthIntervalS: 5,
      categoryMinCount: 3,
      protocolVersion: 4,
      insecureUnsignedCommands: false,
      commandRateLimits: { 'free-passage': 20, resend: 4, watchlist: 6 },
      signingKey: { demo: gateKey.privateJwk },
    };
    delete c.chip;
    c.gate.lanes[1]!.entry!.accepts = ['ticket', 'cccd-qr'];
    delete c.gate.lanes[1]!.entry!.chipReader;
  });
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty') });
  const configFile = writeConfig(rig.config, dir);
  const payloads: string[] = [];
  const spy = await mqtt.connectAsync(brokerUrl, { clientId: uniqueId('spy'), reconnectPeriod: 200 });
  // The gate's bodies are compact JWS: scan the JSON inside them, not its base64.
  spy.on('message', (_topic, payload) => payloads.push(jwsPayloadText(payload.toString('utf8'))));
  await spy.subscribeAsync(`gate06/v1/${site}/#`, { qos: 1 });
  const daemon = await startDaemon(configFile);
  const crowd = new Crowd({
    rig,
    site,
    peoplePerMinute: 240,
    keys: { issuer: keys.issuer(), forger: keys.forger(), unknown: keys.unknown() },
    seed: 7,
  });
  crowd.start();
  t.teardown(async () => {
    await crowd.stop();
    await run.daemon.stop();
    await rig.stop();
    await spy.endAsync();
  });
  const run: Run = { site, rig, configFile, dbPath: rig.config.store.path, daemon, crowd, payloads, gateKey };
  return run;
}

/** Stops the people, then the daemon gracefully (it closes its open window and flushes), and compares. */
/** A broker (stopped at teardown), the daemon on a simulated crowd, and a collector listening to it. */
async function startChain(
  t: Test,
  broker: TestBroker | OutageBroker,
): Promise<{ run: Run; collector: Awaited<ReturnType<typeof startTestCollector>> }> {
  t.teardown(() => broker.stop());
  const run = await startRun(t, broker.url);
  const collector = await startTestCollector({
    mqttUrl: broker.url,
    sites: [run.site],
    clientId: uniqueId('col'),
    gateKeys: registryOf(run.gateKey),
  });
  t.teardown(() => collector.dispose());
  return { run, collector };
}

async function finishAndCompare(
  t: Test,
  run: Run,
  collector: Awaited<ReturnType<typeof startTestCollector>>,
): Promise<void> {
  await run.crowd.stop();
  await sleep(800);
  await run.daemon.stop();
  const expected = gatewayTotals(run.dbPath);
  t.ok(
    Object.values(expected).some((l) => l.in > 0),
    `the run had passages: ${JSON.stringify(expected)}`,
  );
  const totals = async (): Promise<Totals> => {
    const cells = await collector.store.countsCells({
      site: run.site,
      from: 0,
      to: Date.now() + 86400_000,
      bucket: 'day',
      utcOffsetMinutes: 420,
    });
    const got: Totals = {};
    for (const c of cells) {
      const l = (got[c.lane] ??= { in: 0, out: 0, denied: 0 });
      l.in += c.in;
      l.out += c.out;
      l.denied += c.denied;
    }
    return got;
  };
  let got: Totals = {};
  for (let i = 0; i < 100; i++) {
    got = await totals();
    if (JSON.stringify(got) === JSON.stringify(expected)) break;
    await sleep(200);
  }
  t.same(got, expected, 'collector totals per lane equal the gateway event log');
}

function scanForPersonalData(t: Test, payloads: string[]): void {
  t.ok(payloads.length > 0, `${payloads.length} payloads captured`);
  const all = payloads.join('\n');
  // 12-digit runs look like CCCD numbers; the synthetic names all carry these marker words.
  t.notMatch(withoutOpaqueNumbers(all), TWELVE_DIGIT_RUN, 'no 12-digit ID number');
  t.notMatch(all, /Thử|Mẫu|Giả|Nguyễn|Trần/, 'no name');
  t.notMatch(all, /\d{3}\*{6}\d{3}/, 'no masked ID either');
}

if (!hasSocat()) {
  t.plan(0, 'socat is not installed (apt-get install socat): these tests run the daemon over pseudo-terminals');
} else {
  t.test(
    'after a run the collector totals per lane equal the gateway event log, and no payload has personal data',
    async (t) => {
      const broker = await startTestBroker();
      const { run, collector } = await startChain(t, broker);
      await sleep(12_000);
      await finishAndCompare(t, run, collector);
      scanForPersonalData(t, run.payloads);
    },
  );

  t.test('stopped while people pass and the broker is down, then restarted: no count lost', async (t) => {
    const broker = await startOutageBroker();
    const { run, collector } = await startChain(t, broker);
    await sleep(6000);
    await broker.takeDown();
    await sleep(500);
    // The shutdown waits for the outbox in vain while the crowd keeps walking through.
    await run.daemon.stop();
    await run.crowd.stop();
    await broker.bringUp();
    run.daemon = await startDaemon(run.configFile);
    await sleep(6000);
    await finishAndCompare(t, run, collector);
  });

  t.test('a broker outage mid-run delays counts but loses and doubles none', async (t) => {
    const broker = await startOutageBroker();
    const { run, collector } = await startChain(t, broker);
    await sleep(6000);
    await broker.takeDown();
    await sleep(8000);
    await broker.bringUp();
    await sleep(6000);
    await finishAndCompare(t, run, collector);
  });

  t.test('kill -9 of the daemon and a restart lose and double no count', async (t) => {
    const broker = await startTestBroker();
    const { run, collector } = await startChain(t, broker);
    await sleep(7000);
    await run.daemon.kill9();
    await sleep(1500);
    run.daemon = await startDaemon(run.configFile);
    await sleep(7000);
    await finishAndCompare(t, run, collector);
  });
}

/** The JSON inside a compact JWS (what the gate signed); anything else as it came. */
function jwsPayloadText(body: string): string {
  const parts = body.split('.');
  return parts.length === 3 ? Buffer.from(parts[1]!, 'base64url').toString('utf8') : body;
}
