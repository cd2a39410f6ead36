// The real daemon (`gate06 gateway`) in its own process, on simulated hardware over socat pseudo-terminals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { EventStore } from '../../gateway/store/event-store.js';
import type { StoredEvent } from '../../gateway/store/types.js';
import { type Daemon, startDaemon, writeConfig } from '../../sim/daemon.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { DEVICE_TOKEN, demoConfig, ROOT, STAFF_TOKEN, sleep, ticket, until } from '../helpers/harness.js';
import { topLevelKeys } from '../helpers/json-keys.js';

if (!hasSocat()) {
  t.plan(
    0,
    'socat is not installed (apt-get install socat): the end-to-end tests run the daemon over pseudo-terminals',
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-e2e-'));
  const config = demoConfig((c) => {
    c.devices.offlineAfterMs = 1000;
    c.devices.reconnectInitialMs = 100;
    c.devices.reconnectMaxMs = 500;
    c.log.level = 'info';
  });
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty') });
  const configFile = writeConfig(rig.config, dir);
  let daemon: Daemon = await startDaemon(configFile);
  t.teardown(async () => {
    await daemon.stop();
    await rig.stop();
  });

  // /healthz details and /metrics need a credential (issue #11, finding 7).
  const asIntegration = { headers: { authorization: `Bearer ${STAFF_TOKEN}` } };
  const events = async (q = ''): Promise<StoredEvent[]> => {
    const res = await fetch(`${daemon.url}/v1/events?limit=200&${q}`, {
      headers: { authorization: `Bearer ${STAFF_TOKEN}` },
    });
    return ((await res.json()) as { events: StoredEvent[] }).events;
  };
  const L1 = rig.lane('L1');
  const unlocked = (lane = L1, direction: 'in' | 'out' = 'in') =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 4000);
      lane.turnstile.once('unlock', (d) => {
        clearTimeout(timer);
        resolve(d === direction);
      });
    });
  // Each test waits for the lane machine's tailgate window to pass so one test's passages don't colour the next.
  const settle = () => sleep(2200);

  t.test('a valid ticket at the scanner unlocks the turnstile and the passage is logged', async (t) => {
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket({ tid: 'T-e2e-pass' }));
    t.ok(await opened, 'the turnstile unlocked');
    await L1.turnstile.pass('in');
    await until(async () => (await events('type=passage&lane=L1')).length > 0, 5000, 'passage event');
    const [decision] = await events('type=decision&lane=L1');
    const [passage] = await events('type=passage&lane=L1');
    t.match(decision, { decision: 'allow', reason: 'ok', credential: 'ticket', direction: 'in' });
    t.match(passage, { refId: decision!.id, facts: { via: 'ticket' } });
    await settle();
  });

  t.test('two passages on one unlock raise a tailgating alarm', async (t) => {
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket());
    t.ok(await opened);
    await L1.turnstile.pass('in');
    await sleep(450);
    await L1.turnstile.pass('in');
    await until(
      async () => (await events('type=alarm')).some((e) => e.facts.kind === 'tailgating'),
      5000,
      'tailgating alarm',
    );
    t.pass('tailgating alarm logged');
    await settle();
  });

  t.test('a passage with no unlock raises a forced-passage alarm', async (t) => {
    await L1.turnstile.pass('in');
    await until(
      async () => (await events('type=alarm')).some((e) => e.facts.kind === 'forced-passage'),
      5000,
      'forced-passage alarm',
    );
    t.pass('forced passage alarm logged');
    await settle();
  });

  t.test('anti-passback: the same day ticket cannot enter twice without leaving', async (t) => {
    const token = await ticket({ kind: 'day', tid: 'T-e2e-apb' });
    const opened = unlocked();
    await L1.qr.in!.scan(token);
    t.ok(await opened);
    await L1.turnstile.pass('in');
    await sleep(300);
    await L1.qr.in!.scan(token);
    await until(
      async () => (await events('type=decision&decision=deny')).some((e) => e.reason === 'policy.anti-passback'),
      5000,
      'anti-passback deny',
    );
    t.pass('second entry denied with policy.anti-passback');
    await settle();
  });

  t.test('garbage on the scanner line is rejected without losing the next scan', async (t) => {
    await L1.qr.in!.sendGarbage(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0d, 0xc3, 0x28, 0x0d]));
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket());
    t.ok(await opened, 'the scan after the garbage still opened the lane');
    await until(async () => /qr frame rejected/.test(daemon.output()), 5000, 'the rejection logged');
    t.match(daemon.output(), /"reason":"frame\.(bad-utf8|control-chars|empty)"/, 'logged with its reason');
    const rejection = daemon
      .output()
      .split('\n')
      .find((l) => l.includes('qr frame rejected'))!;
    t.match(JSON.parse(rejection), { lane: 'L1', channel: 'lane' }, 'the line names its lane');
    t.same(
      topLevelKeys(rejection).filter((k) => k === 'lane'),
      ['lane'],
      'once: the lane logger is bound to it',
    );
    const metrics = await (await fetch(`${daemon.url}/metrics`, asIntegration)).text();
    t.match(
      metrics,
      /gate06_rejected_input_total\{source="qr-scanner",reason="frame\.[a-z0-9-]+"\} [1-9]/,
      'and counted',
    );
    await L1.turnstile.pass('in');
    await settle();
  });

  t.test('a scanner unplugged and replugged comes back without a restart', async (t) => {
    const lane = async () => {
      const h = (await (await fetch(`${daemon.url}/healthz`, asIntegration)).json()) as {
        lanes: Array<{ lane: string; degraded: boolean; links: Record<string, string> }>;
      };
      return h.lanes.find((l) => l.lane === 'L1')!;
    };
    const link = async () => (await lane()).links['qr-scanner:in'];
    await rig.unplug('L1', 'qr-in');
    await until(async () => (await link()) === 'down', 10_000, 'scanner link down');
    t.equal(await link(), 'down');
    // The exit scanner of the same lane is still there: it has its own slot and must not hide the dead one.
    t.equal((await lane()).links['qr-scanner:out'], 'up', 'the exit scanner is shown up beside it');
    t.equal((await lane()).degraded, true, 'the lane is degraded');
    t.ok(
      (await events('type=alarm')).some(
        (e) => e.facts.kind === 'device-offline' && e.facts.device === 'qr-scanner' && e.facts.side === 'in',
      ),
      'device-offline alarm naming the entry scanner',
    );
    t.match(daemon.output(), /"device":"qr-scanner","side":"in".*"msg":"device link down"/, 'the loss is in the log');
    await rig.replug('L1', 'qr-in');
    await until(async () => (await link()) === 'up', 15_000, 'scanner link up');
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket());
    t.ok(await opened, 'scans work again');
    await L1.turnstile.pass('in');
    await settle();
  });

  t.test('a turnstile board unplugged and replugged comes back', async (t) => {
    const link = async () => {
      const h = (await (await fetch(`${daemon.url}/healthz`, asIntegration)).json()) as {
        lanes: Array<{ lane: string; links: Record<string, string> }>;
      };
      return h.lanes.find((l) => l.lane === 'L1')!.links.turnstile;
    };
    await rig.unplug('L1', 'turnstile');
    await until(async () => (await link()) === 'down', 10_000, 'turnstile link down');
    await L1.qr.in!.scan(await ticket());
    await until(
      async () => (await events('type=decision&decision=deny')).some((e) => e.reason === 'policy.lane-out-of-service'),
      5000,
      'out-of-service deny',
    );
    t.pass('a credential at a lane whose turnstile is down is denied with policy.lane-out-of-service');
    // A networked reader on that lane is told the same; a handheld (no turnstile) still verifies.
    const verify = async (body: Record<string, unknown>) =>
      (await (
        await fetch(`${daemon.url}/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
          body: JSON.stringify({ lane: 'L1', credential: { kind: 'ticket', token: await ticket() }, ...body }),
        })
      ).json()) as { decision: string; reason: string };
    t.match(await verify({}), { decision: 'deny', reason: 'policy.lane-out-of-service' });
    t.match(await verify({ actuate: false }), { decision: 'allow', reason: 'ok' });
    await rig.replug('L1', 'turnstile');
    await until(async () => (await link()) === 'up', 15_000, 'turnstile link up');
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket());
    t.ok(await opened);
    await L1.turnstile.pass('in');
    await settle();
  });

  t.test('kill -9 during a stream of decisions loses no committed event and leaves the gate locked', async (t) => {
    let unlocks = 0;
    const count = () => unlocks++;
    for (const l of rig.lanes.values()) l.turnstile.on('unlock', count);
    let streaming = true;
    const stream = async (laneId: string) => {
      const lane = rig.lane(laneId);
      while (streaming) {
        const opened = unlocked(lane);
        await lane.qr.in!.scan(await ticket());
        if (await opened) await lane.turnstile.pass('in');
        await sleep(50);
      }
    };
    const streams = [stream('L1'), stream('L2')];
    await until(() => unlocks >= 6, 30_000, 'a few decisions');
    await daemon.kill9();
    streaming = false;
    await Promise.all(streams);
    for (const l of rig.lanes.values()) l.turnstile.off('unlock', count);
    const seen = unlocks;
    // The board times the pulse itself: with the daemon dead, every relay drops within one pulse.
    await sleep(config.gate.lanes[0]!.turnstile.unlockPulseMs + 500);
    for (const l of rig.lanes.values()) {
      t.notOk(l.turnstile.isUnlocked('in'), `${l.id} in is locked`);
      t.notOk(l.turnstile.isUnlocked('out'), `${l.id} out is locked`);
    }
    const store = new EventStore({ path: rig.config.store.path });
    const allows = store.query({ type: 'decision', decision: 'allow', limit: 1000 }).length;
    t.ok(allows >= seen, `every unlock (${seen}) follows a committed allow (${allows})`);
    t.ok(store.verifyChain().ok, 'the hash chain is intact after the crash');
    store.db.close();
    daemon = await startDaemon(configFile);
    const opened = unlocked();
    await L1.qr.in!.scan(await ticket());
    t.ok(await opened, 'the restarted daemon decides again');
    await L1.turnstile.pass('in');
  });

  t.test('gate06 log verify passes on the log and finds an edited event', async (t) => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/gate06.mjs'), 'log', 'verify', ...args], { encoding: 'utf8' });
    const ok = cli(['-c', configFile]);
    t.equal(ok.status, 0, ok.stdout + ok.stderr);
    t.match(JSON.parse(ok.stdout), { ok: true });
    await daemon.stop();
    const db = new Database(rig.config.store.path);
    db.prepare(
      "UPDATE events SET decision = 'allow', reason = 'ok' WHERE seq = (SELECT min(seq) FROM events WHERE decision = 'deny')",
    ).run();
    db.close();
    const bad = cli(['--db', rig.config.store.path]);
    t.equal(bad.status, 1);
    t.match(JSON.parse(bad.stdout), { ok: false, brokenAt: { why: /edited/ } });
    daemon = await startDaemon(configFile);
  });
}
