// From lanes to the IOC's analytics: the real daemon on simulated hardware (socat ptys) and a simulated crowd;
// after the run the analytics API answers with the gateway's own event log: passages exact per lane, and each
// category breakdown accounting for every passage, a cell shown only where the log has it at least at the
// minimum, and what is not shown counted as withheld (the small-cell rule on both sides); denials by reason
// exact; and the dashboard's own query (today by site) gives the same passages and domestic/foreign split.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { startDaemon, writeConfig } from '../../sim/daemon.js';
import { Crowd } from '../../sim/people/crowd.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { demoConfig, keys, sleep } from '../helpers/harness.js';
import { auth, startTestCollector } from './helpers.js';
import { registryOf, testGateKey } from './signing.js';

const MIN = 3;
type LogLane = {
  in: number;
  out: number;
  denied: number;
  domestic: number;
  foreign: number;
  unknown: number;
  byReason: Record<string, number>;
};

/** The gateway's own view from its event log, per lane: passages, denials, and nationality of passages. */
function logTotals(dbPath: string): Record<string, LogLane> {
  const db = new Database(dbPath, { readonly: true });
  const rows = db
    .prepare(
      "SELECT lane, type, direction, reason, facts FROM events WHERE lane IS NOT NULL AND (type = 'passage' OR (type = 'decision' AND decision = 'deny'))",
    )
    .all() as { lane: string; type: string; direction: string; reason: string; facts: string }[];
  db.close();
  const out: Record<string, LogLane> = {};
  for (const r of rows) {
    const l = (out[r.lane] ??= { in: 0, out: 0, denied: 0, domestic: 0, foreign: 0, unknown: 0, byReason: {} });
    if (r.type !== 'passage') {
      l.denied += 1;
      l.byReason[r.reason] = (l.byReason[r.reason] ?? 0) + 1;
      continue;
    }
    if (r.direction !== 'in' && r.direction !== 'out') continue;
    l[r.direction as 'in' | 'out'] += 1;
    const nat = (JSON.parse(r.facts) as { nationality?: unknown }).nationality;
    if (typeof nat !== 'string' || nat === '') l.unknown += 1;
    else if (nat === 'VNM') l.domestic += 1;
    else l.foreign += 1;
  }
  return out;
}

if (!hasSocat()) {
  t.plan(0, 'socat is not installed (apt-get install socat): this test runs the daemon over pseudo-terminals');
} else {
  t.test('after a simulated run the analytics API gives the numbers of the gate event log', async (t) => {
    const broker = await startTestBroker();
    t.teardown(() => broker.stop());
    const site = uniqueId('an');
    const gateKey = testGateKey(site, 'gate-a');
    const dir = mkdtempSync(join(tmpdir(), 'gate06-an-chain-'));
    const config = demoConfig((c) => {
      c.site.id = site;
      c.mqtt = {
        url: broker.url,
        windowSeconds: 5,
        outboxMax: 1000,
        healthIntervalS: 5,
        categoryMinCount: MIN,
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
    t.teardown(() => rig.stop());
    const collector = await startTestCollector({
      mqttUrl: broker.url,
      sites: [site],
      clientId: uniqueId('col'),
      gateKeys: registryOf(gateKey),
    });
    t.teardown(() => collector.dispose());
    const daemon = await startDaemon(writeConfig(rig.config, dir));
    t.teardown(() => daemon.stop());
    const crowd = new Crowd({
      rig,
      site,
      peoplePerMinute: 240,
      keys: { issuer: keys.issuer(), forger: keys.forger(), unknown: keys.unknown() },
      seed: 11,
    });
    crowd.start();
    await sleep(12_000);
    await crowd.stop();
    await sleep(800);
    await daemon.stop();
    const log = logTotals(rig.config.store.path);
    t.ok(
      Object.values(log).some((l) => l.in > 0),
      `the run had passages: ${JSON.stringify(log)}`,
    );

    const q = `site=${site}&from=${Date.now() - 86_400_000}&to=${Date.now() + 86_400_000}&grain=month&groupBy=lane`;
    const ask = async (what: string) =>
      (await fetch(`${collector.url}/v1/analytics/${what}?${q}`, { headers: auth })).json() as Promise<{
        rows: Record<string, unknown>[];
      }>;
    // Windows arrive asynchronously: wait until the passages match (or give up and let the assertion show why).
    type P = { lane: string; in: number; out: number; denied: number };
    let passages: P[] = [];
    const want = Object.entries(log)
      .map(([lane, l]) => ({ lane, in: l.in, out: l.out, denied: l.denied }))
      .sort((a, b) => (a.lane < b.lane ? -1 : 1));
    for (let i = 0; i < 100; i++) {
      passages = ((await ask('passages')).rows as P[])
        .map((r) => ({ lane: r.lane, in: r.in, out: r.out, denied: r.denied }))
        .sort((a, b) => (a.lane < b.lane ? -1 : 1));
      if (JSON.stringify(passages) === JSON.stringify(want)) break;
      await sleep(200);
    }
    t.same(passages, want, 'passages per lane from the API equal the event log');

    type C = { lane: string; passages: number; nationality: Record<string, number> };
    const categories = (await ask('categories')).rows as C[];
    for (const c of categories) {
      const l = log[c.lane]!;
      const n = c.nationality;
      t.equal(c.passages, l.in + l.out, `${c.lane}: passages`);
      t.equal(
        n.domestic! + n.foreign! + n.unknown! + n.withheld!,
        l.in + l.out,
        `${c.lane}: every passage accounted for`,
      );
      t.equal(n.unknown, l.unknown, `${c.lane}: unknown nationality exact (never withheld)`);
      t.ok(n.domestic! <= l.domestic && n.foreign! <= l.foreign, `${c.lane}: no cell above the log`);
      t.equal(
        l.domestic - n.domestic! + (l.foreign - n.foreign!),
        n.withheld,
        `${c.lane}: what is not shown is withheld`,
      );
      for (const v of [n.domestic!, n.foreign!]) t.ok(v === 0 || v >= MIN, `${c.lane}: cell ${v} is 0 or >= ${MIN}`);
    }

    // Denials by reason: exact per lane, as the gate logged them (a gate of this version sends every reason).
    type D = { lane: string; denied: number; byReason: Record<string, number>; notReported: number };
    const denials = (await ask('denials')).rows as D[];
    const sorted = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort());
    t.same(
      denials.map((d) => [d.lane, d.denied, sorted(d.byReason), d.notReported]).sort(),
      Object.entries(log)
        .filter(([, l]) => l.denied > 0)
        .map(([lane, l]) => [lane, l.denied, sorted(l.byReason), 0])
        .sort(),
      'denials by reason per lane from the API equal the event log',
    );

    // What the dashboard's analytics card asks (today, per site): the same passages and nationality split.
    const today = `from=${Date.now() - 1}&to=${Date.now()}&grain=day&groupBy=site`;
    const board = async (what: string) =>
      (await (await fetch(`${collector.url}/v1/analytics/${what}?${today}`, { headers: auth })).json()) as {
        rows: Record<string, unknown>[];
      };
    const sum = (f: (l: LogLane) => number) => Object.values(log).reduce((a, l) => a + f(l), 0);
    const dayRows = (await board('passages')).rows.filter((r) => r.site === site);
    const dayCats = (await board('categories')).rows.filter((r) => r.site === site) as C[];
    // A run across local midnight splits into two days; the test's run is two minutes, so one row is the rule.
    const total = (rows: Record<string, unknown>[], k: string) => rows.reduce((a, r) => a + (r[k] as number), 0);
    t.same(
      [total(dayRows, 'in'), total(dayRows, 'out'), total(dayRows, 'denied')],
      [sum((l) => l.in), sum((l) => l.out), sum((l) => l.denied)],
      'the dashboard: passages today per site equal the event log',
    );
    const nat = (k: string) => dayCats.reduce((a, c) => a + (c.nationality[k] ?? 0), 0);
    t.equal(
      nat('domestic') + nat('foreign') + nat('unknown') + nat('withheld'),
      sum((l) => l.in + l.out),
      'the dashboard: the domestic/foreign split accounts for every passage today',
    );
    t.equal(
      nat('domestic'),
      categories.reduce((a, c) => a + c.nationality.domestic!, 0),
      'the dashboard: domestic today is the sum of the lanes (no small cell resurfaces in a site total)',
    );
    t.equal(
      nat('foreign'),
      categories.reduce((a, c) => a + c.nationality.foreign!, 0),
      'the dashboard: foreign too',
    );
  });
}
