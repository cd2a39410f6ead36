// A log damaged in place and checkpoints that keep failing do not go unnoticed (issue #11 review, findings 4
// and 10): garbage copied over the open file (same inode) makes the store unavailable with `corrupt` and it
// stays so until a person deletes or replaces the file; damage past the header is found by the checkpoint
// worker's quick check; a database file that cannot be written raises store-checkpoint-failing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { AlarmKind } from '../../../gateway/events.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { isStoreUnavailable } from '../../../gateway/store/store-errors.js';
import { StoreWatch } from '../../../gateway/store/store-watch.js';
import { factEvent, type NewEvent } from '../../../gateway/store/types.js';
import { sleep, until } from '../../helpers/harness.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';

failOnUnhandledRejection(t);

const allow = (): NewEvent => ({
  type: 'decision',
  lane: 'L1',
  direction: 'in',
  credential: 'ticket',
  decision: 'allow',
  reason: 'ok',
  idHash: null,
  idMasked: null,
  latencyMs: 1,
  refId: null,
  facts: { ticketKind: 'single' },
});

const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

function watched(t: Pick<Test, 'testdir' | 'teardown'>, storeOpts: { backgroundCheckpointMs?: number } = {}) {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path, busyTimeoutMs: 10, ...storeOpts });
  const raised: Array<{ kind: AlarmKind; detail: Record<string, string | number | boolean> }> = [];
  const watch = new StoreWatch({
    store,
    logger: pino({ level: 'silent' }),
    raise: (kind, _lane, detail) => raised.push({ kind, detail }),
    path,
    checkEveryMs: 20,
    probeEveryMs: 20,
    minFreeBytes: 0,
    minFreePercent: 0,
  });
  watch.start();
  t.teardown(() => {
    watch.stop();
    store.close();
  });
  return { store, watch, raised, path };
}

t.test(
  'garbage copied over the open log in place: corrupt within a few checks, no commit after, until deleted',
  async (t) => {
    const { store, watch, raised, path } = watched(t);
    for (let i = 0; i < 20; i++) await store.commitSoon(() => store.append(allow()));
    const inode = statSync(path).ino;
    const garbage = join(dirname(path), 'garbage');
    writeFileSync(garbage, randomBytes(400_000));
    // What `cp garbage gateway.db` does: open the existing file truncating it, write (Node's copyFile makes a
    // new inode, so it would test the identity check instead).
    writeFileSync(path, readFileSync(garbage));
    t.equal(statSync(path).ino, inode, 'same inode: the identity check alone cannot see it');

    // Commits go on as at a busy gate; after detection not one more is allowed through.
    let detectedAt = 0;
    const committedAfter: number[] = [];
    let rejected = 0;
    const deadline = Date.now() + 20_000;
    while ((detectedAt === 0 || rejected < 20) && Date.now() < deadline) {
      const r = await settle(store.commitSoon(() => store.append(allow())));
      if (detectedAt !== 0) {
        if (r.ok) committedAfter.push(r.value.seq);
        else if (isStoreUnavailable(r.error)) rejected++;
      }
      if (detectedAt === 0 && store.outage() !== null) detectedAt = Date.now();
      await sleep(2);
    }
    t.equal(store.outage()?.problem, 'corrupt');
    t.match(store.outage()?.detail, /header\.magic/);
    t.same(committedAfter, [], 'nothing committed once the damage was seen');
    t.match(raised, [{ kind: 'store-unavailable', detail: { problem: 'corrupt' } }]);
    t.match(watch.status(), { available: false, problem: 'corrupt' });

    // The probe does not call a write into the cache a recovery: it stays corrupt while the file is in place.
    await sleep(200);
    t.equal(store.outage()?.problem, 'corrupt', 'still corrupt after ten probe periods');
    t.match(store.probe(), { ok: false, problem: 'corrupt' });

    // A person deletes it: a new log starts and the gate can commit again.
    unlinkSync(path);
    await until(() => store.outage() === null, 10_000, 'recovered on a new file');
    const next = await store.commitSoon(() => store.append(allow()));
    t.ok(next.seq >= 1);
    t.match(store.get(next.id), { decision: 'allow' });
  },
);

t.test('damage past the header is found by the quick check on the checkpoint worker', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const seed = new EventStore({ path });
  for (let i = 0; i < 300; i++)
    seed.append(factEvent('system', null, { action: 'filler', n: i, pad: 'x'.repeat(200) }));
  seed.close();
  // The second half of the file: pages of the filler events, written after the schema's (sqlite_master, which
  // now spans more than the first two pages with every owner's tables, stays intact, so the store still opens).
  const size = statSync(path).size;
  t.ok(size > 16 * 4096, 'a log of several pages');
  const from = Math.ceil(size / 2 / 4096) * 4096;
  const fd = openSync(path, 'r+');
  writeSync(fd, randomBytes(size - from), 0, size - from, from);
  closeSync(fd);

  const store = new EventStore({ path, backgroundCheckpointMs: 50, quickCheckEveryMs: 100 });
  t.teardown(() => store.close());
  const outages: Array<{ problem: string; detail: string }> = [];
  store.onUnavailable = (o) => outages.push(o);
  t.equal(store.headerDefect(), null, 'the header is intact');
  await until(() => outages.length > 0, 20_000, 'the quick check reports');
  t.match(outages, [{ problem: 'corrupt', detail: /quick_check/ }]);
  t.ok((store.checkpoints()?.quickChecks ?? 0) >= 1);
  const r = await settle(store.commitSoon(() => store.append(allow())));
  t.ok(!r.ok && isStoreUnavailable(r.error), 'a commit after it fails closed');
  t.match(store.probe(), { ok: false, problem: 'corrupt' }, 'and stays failed while the file is in place');
});

/** chattr needs root (CAP_LINUX_IMMUTABLE) and a file system with the flag; null when it works, else why not. */
function chattrUnavailable(file: string): string | null {
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'pipe' });
    execFileSync('chattr', ['-i', file], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).slice(0, 160);
  }
}

t.test('checkpoints failing on an immutable database file raise store-checkpoint-failing, commits go on', async (t) => {
  // t.testdir() is called once per test: a second call would clear the directory under the open store.
  const { store, watch, raised, path } = watched(t, { backgroundCheckpointMs: 20 });
  const why = chattrUnavailable(path);
  if (why) {
    t.plan(0, `chattr +i is not permitted here: ${why}`);
    return;
  }
  let immutable = false;
  const setImmutable = (on: boolean): void => {
    execFileSync('chattr', [on ? '+i' : '-i', path]);
    immutable = on;
  };
  // Registered after watched()'s teardown, so it runs first: the test dir must be removable.
  t.teardown(() => {
    if (immutable) setImmutable(false);
  });
  await store.commitSoon(() => store.append(allow()));
  setImmutable(true);
  // Frames keep arriving in the WAL, so every checkpoint has pages to copy and fails.
  let committed = 0;
  const deadline = Date.now() + 20_000;
  while (!watch.status().checkpointFailing && Date.now() < deadline) {
    const r = await settle(store.commitSoon(() => store.append(allow())));
    if (r.ok) committed++;
    await sleep(5);
  }
  t.equal(watch.status().checkpointFailing, true, 'checkpoints reported failing');
  t.ok(committed > 0, 'commits went on meanwhile (into the WAL)');
  t.equal(watch.status().available, true, 'the log is still writable: no store-unavailable for this');
  t.match(raised, [{ kind: 'store-checkpoint-failing', detail: { failuresInARow: Number } }]);
  t.ok((store.checkpoints()?.failuresInARow ?? 0) >= 3);

  setImmutable(false);
  // Once the file can be written, the first checkpoint copies the backlog; a commit racing it may hit a
  // short lock (the store fails closed and its probe recovers), so only the end state is asserted.
  await until(
    async () => {
      await settle(store.commitSoon(() => store.append(allow())));
      return !watch.status().checkpointFailing && watch.status().available;
    },
    20_000,
    'checkpoints working again',
  );
  t.equal(raised.filter((r) => r.kind === 'store-checkpoint-failing').length, 1, 'one alarm per spell');
  t.equal(store.verifyChain().ok, true);
});
