// The real daemon (`gate06 gateway`, its own process, simulated hardware over pseudo-terminals) with its
// event log locked by another process's connection for 10 s, and with the disk under it filled (a small
// tmpfs, when mount is permitted). It must stay up, answer every request in JSON, never unlock for what it
// did not commit, raise the alarms, show degraded and then ok, and keep every allow it answered.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { type Daemon, startDaemon, writeConfig } from '../../sim/daemon.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { DEVICE_TOKEN, demoConfig, ROOT, sleep, ticket, until } from '../helpers/harness.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection(t);

/** A small tmpfs for the store, so the disk can really fill; null (and why) where mount is not permitted. */
function mountTmpfs(dir: string, sizeMb: number): { ok: true } | { ok: false; why: string } {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      why: String((err as { stderr?: Buffer }).stderr ?? err)
        .trim()
        .slice(0, 200),
    };
  }
}

if (!hasSocat()) {
  t.plan(
    0,
    'socat is not installed (apt-get install socat): the end-to-end tests run the daemon over pseudo-terminals',
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-e2e-store-'));
  const storeDir = join(dir, 'store');
  const mounted = mountTmpfs(storeDir, 48);
  const config = demoConfig((c) => {
    c.store.path = join(storeDir, 'gateway.db');
    c.store.probeEveryMs = 100;
    c.store.checkEveryMs = 200;
    // The tmpfs is small: the headroom alarm at 8 MB, and a WAL bound that lets a full disk show quickly.
    c.store.minFreeMb = 8;
    c.store.minFreePercent = 0;
    c.store.walMaxMb = 1;
    c.log.level = 'info';
  });
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty') });
  const configFile = writeConfig(rig.config, dir);
  const daemon: Daemon = await startDaemon(configFile);
  const dbPath = rig.config.store.path;
  t.teardown(async () => {
    await daemon.stop();
    await rig.stop();
    if (mounted.ok) execFileSync('umount', [storeDir]);
    rmSync(dir, { recursive: true, force: true });
  });

  type Answer = { status: number; sentAt: number; body: Record<string, string> };
  const verify = async (): Promise<Answer> => {
    const sentAt = Date.now();
    const res = await fetch(`${daemon.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
      body: JSON.stringify({ lane: 'L1', actuate: false, credential: { kind: 'ticket', token: await ticket() } }),
    });
    return { status: res.status, sentAt, body: (await res.json()) as Record<string, string> };
  };
  const health = async () =>
    (await (await fetch(`${daemon.url}/healthz`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } })).json()) as {
      status: string;
      store: { available: boolean; problem?: string; diskLow: boolean };
    };
  function load(): { answers: Answer[]; stop: () => Promise<void> } {
    const answers: Answer[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        answers.push(await verify());
        await sleep(5);
      }
    })();
    return {
      answers,
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }
  /** Read from the test's own connection: what the daemon committed, whatever its API can show. */
  const committedAllows = (): Set<string> => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return new Set(
        (db.prepare("SELECT id FROM events WHERE decision = 'allow'").all() as Array<{ id: string }>).map((r) => r.id),
      );
    } finally {
      db.close();
    }
  };
  const loggedAlarms = (): Array<{ kind: string; problem?: string }> => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare("SELECT facts FROM events WHERE type = 'alarm'").all() as Array<{ facts: string }>).map(
        (r) => JSON.parse(r.facts) as { kind: string; problem?: string },
      );
    } finally {
      db.close();
    }
  };
  const stillRunning = () => daemon.child.exitCode === null && daemon.child.signalCode === null;

  t.test('the log locked by another process for 10 s under load: the daemon stays up and fails closed', async (t) => {
    const L1 = rig.lane('L1');
    const traffic = load();
    await until(() => traffic.answers.length >= 5, 20_000, 'traffic before the lock');
    const locker = new Database(dbPath);
    locker.exec('BEGIN EXCLUSIVE');
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        locker.exec('COMMIT');
        locker.close();
        resolve();
      }, 10_000),
    );
    await until(() => traffic.answers.some((a) => a.status === 503), 10_000, 'a refused verify');
    t.match(await health(), { status: 'degraded', store: { available: false, problem: 'locked' } });
    let unlocks = 0;
    const countUnlock = (): void => {
      unlocks += 1;
    };
    L1.turnstile.on('unlock', countUnlock);
    await L1.qr.in!.scan(await ticket());
    await until(() => daemon.output().includes('decision not committed'), 5000, 'the reader decision refused');
    await sleep(500);
    t.equal(unlocks, 0, 'the turnstile stays locked');
    L1.turnstile.off('unlock', countUnlock);
    await released;
    await until(async () => (await health()).status === 'ok', 15_000, '/healthz ok after the lock');
    await sleep(300);
    await traffic.stop();
    t.ok(stillRunning(), 'the daemon is still up');
    t.ok(
      traffic.answers.every((a) => a.status === 200 || a.status === 503),
      'every request answered in JSON, 200 or 503',
    );
    t.ok(traffic.answers.some((a) => a.status === 503 && a.body.reason === 'store.unavailable'));
    const allows = traffic.answers.filter((a) => a.body.decision === 'allow');
    const committed = committedAllows();
    t.ok(allows.length > 0);
    t.ok(
      allows.every((a) => committed.has(a.body.eventId!)),
      'every allow answered is in the log',
    );
    t.ok(
      loggedAlarms().some((a) => a.kind === 'store-unavailable' && a.problem === 'locked'),
      'the alarm is in the log once the store is back',
    );
    t.notMatch(daemon.output(), /unhandled promise rejection/);
  });

  t.test(
    'the disk under the log fills: disk-space-low first, then store.unavailable, then recovery',
    {
      skip: mounted.ok
        ? false
        : `mount -t tmpfs is not permitted here (${mounted.why}); SQLITE_FULL is covered by test/gateway/store/store-outage.test.ts`,
    },
    async (t) => {
      const free = () => {
        const s = statfsSync(storeDir);
        return s.bavail * s.bsize;
      };
      // Leave 6 MB: below the 8 MB threshold, still room for SQLite.
      writeFileSync(join(storeDir, 'filler-1'), Buffer.alloc(Math.max(0, free() - 6 * 1048576)));
      await until(async () => (await health()).store.diskLow, 10_000, 'disk-space-low in /healthz');
      t.equal((await health()).status, 'degraded');
      t.ok(
        loggedAlarms().some((a) => a.kind === 'disk-space-low'),
        'disk-space-low raised before SQLite fails',
      );
      const traffic = load();
      // Now nothing left: the WAL cannot grow, a commit fails with SQLITE_FULL.
      try {
        writeFileSync(join(storeDir, 'filler-2'), Buffer.alloc(free()));
      } catch {
        // ENOSPC at the very end is the point.
      }
      await until(() => traffic.answers.some((a) => a.status === 503), 60_000, 'a verify refused on a full disk');
      t.match(await health(), { status: 'degraded', store: { available: false, problem: 'full' } });
      rmSync(join(storeDir, 'filler-1'));
      rmSync(join(storeDir, 'filler-2'));
      await until(async () => (await health()).status === 'ok', 20_000, '/healthz ok after space is freed');
      const recoveredAt = Date.now();
      await until(() => traffic.answers.some((a) => a.sentAt > recoveredAt && a.status === 200), 10_000);
      await traffic.stop();
      t.ok(stillRunning(), 'the daemon is still up');
      t.ok(
        traffic.answers.every((a) => a.status === 200 || a.status === 503),
        'every request answered in JSON',
      );
      const committed = committedAllows();
      t.ok(
        traffic.answers.filter((a) => a.body.decision === 'allow').every((a) => committed.has(a.body.eventId!)),
        'every allow answered is in the log',
      );
      t.ok(loggedAlarms().some((a) => a.kind === 'store-unavailable' && a.problem === 'full'));
      t.notMatch(daemon.output(), /unhandled promise rejection/);
    },
  );

  t.test('the log deleted under load: the daemon notices, starts a new log, and says so loudly', async (t) => {
    const traffic = load();
    await until(() => traffic.answers.length >= 5, 20_000, 'traffic before the delete');
    const deletedAt = Date.now();
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
    await until(() => daemon.output().includes('EVENT LOG LOST'), 10_000, 'the loud log line');
    await until(() => traffic.answers.some((a) => a.sentAt > Date.now() - 300 && a.status === 200), 10_000);
    await traffic.stop();
    t.ok(stillRunning(), 'the daemon is still up');
    t.equal((await health()).status, 'ok');
    const committed = committedAllows();
    const after = traffic.answers.filter((a) => a.sentAt > deletedAt && a.body.decision === 'allow');
    t.ok(after.length > 0);
    t.ok(
      after.every((a) => committed.has(a.body.eventId!)),
      'every allow answered after the delete is in the new log',
    );
    t.ok(
      loggedAlarms().some((a) => a.kind === 'store-unavailable' && a.problem === 'deleted'),
      'the alarm is in the new log',
    );
    const verified = execFileSync(process.execPath, [join(ROOT, 'bin/gate06.mjs'), 'log', 'verify', '--db', dbPath], {
      encoding: 'utf8',
    });
    t.match(JSON.parse(verified), { ok: true, restarts: [{ action: 'log-lost' }] });
    t.notMatch(daemon.output(), /unhandled promise rejection/);
  });

  t.test('garbage copied over the log in place under load: no allow once seen, degraded until deleted', async (t) => {
    const traffic = load();
    await until(() => traffic.answers.length >= 5, 20_000, 'traffic before the overwrite');
    const inode = statSync(dbPath).ino;
    // `cp garbage gateway.db`: the same file truncated and rewritten, so its identity does not change.
    writeFileSync(dbPath, randomBytes(400_000));
    t.equal(statSync(dbPath).ino, inode, 'same inode');
    await until(async () => (await health()).store.problem === 'corrupt', 10_000, 'the damage seen');
    const seenAt = Date.now();
    await until(() => traffic.answers.filter((a) => a.sentAt > seenAt).length >= 10, 20_000, 'traffic after');
    const after = traffic.answers.filter((a) => a.sentAt > seenAt);
    t.same(
      after.filter((a) => a.body.decision === 'allow'),
      [],
      'no allow once the damage is seen',
    );
    t.ok(
      after.every((a) => a.status === 503 && a.body.reason === 'store.unavailable'),
      'every verify answers 503 store.unavailable',
    );
    t.match(await health(), { status: 'degraded', store: { available: false, problem: 'corrupt' } });
    // A person deletes the damaged log: a new one starts and the gate allows again.
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
    await until(async () => (await health()).status === 'ok', 10_000, 'ok again on a new log');
    await until(() => traffic.answers.some((a) => a.sentAt > Date.now() - 300 && a.status === 200), 10_000);
    await traffic.stop();
    t.ok(stillRunning(), 'the daemon is still up');
    t.notMatch(daemon.output(), /unhandled promise rejection/);
  });
}
