// The checkpoint worker keeps the WAL bounded without holding the daemon's writer: a PASSIVE copies the WAL
// before each RESTART, and a RESTART that would wait for the writer or for a reader gives way instead.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { EventStore } from '../../../gateway/store/event-store.js';
import { factEvent, type NewEvent } from '../../../gateway/store/types.js';
import { until } from '../../helpers/harness.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';

failOnUnhandledRejection(t);

const decision = (pad: string): NewEvent => ({
  ...factEvent('decision', 'L1', { pad }, { direction: 'in', credential: 'ticket' }),
  decision: 'allow',
  reason: 'ok',
  latencyMs: 1,
});

t.test('past the threshold a PASSIVE copies the WAL first, so the RESTART copies nothing under the lock', async (t) => {
  // walMaxMb 1: the worker restarts the WAL past 512 KB.
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), walMaxMb: 1, backgroundCheckpointMs: 20 });
  t.teardown(() => store.close());
  const pad = 'p'.repeat(2000);
  // One transaction, then no more writes: no commit can land between the worker's PASSIVE and its RESTART.
  store.transaction(() => {
    for (let i = 0; i < 400; i++) store.append(decision(pad));
  });
  t.ok(store.walBytes() > 512 * 1024, `the WAL is past the threshold (${store.walBytes()} bytes)`);
  await until(() => (store.checkpoints()?.restarts ?? 0) >= 1, 10_000, 'a RESTART');
  const stats = store.checkpoints()!;
  t.equal(stats.framesCopiedUnderLock, 0, `the RESTART found every frame copied (${JSON.stringify(stats)})`);
  // The restart took effect: the next commit starts the WAL over and it is trimmed to the threshold.
  await store.commitSoon(() => store.append(decision('x')));
  t.ok(store.walBytes() <= 512 * 1024, `WAL after the restart: ${store.walBytes()} bytes`);
});

t.test('a reader on an old snapshot makes the RESTART give way, and commits go on meanwhile', async (t) => {
  const path = join(t.testdir(), 'g.db');
  // Before, each RESTART held the write lock for the worker's 100 ms busy timeout while it waited for the
  // reader, and commits failed with SQLITE_BUSY (bench/checkpoint-stall.ts). Now no RESTART starts while a
  // reader holds frames the PASSIVE could not copy, so the writer never meets the worker's lock here.
  const store = new EventStore({ path, walMaxMb: 1, backgroundCheckpointMs: 20, busyTimeoutMs: 50 });
  t.teardown(() => store.close());
  const outages: string[] = [];
  store.onUnavailable = (o) => outages.push(o.problem);
  const pad = 'r'.repeat(2000);
  store.transaction(() => {
    for (let i = 0; i < 50; i++) store.append(decision(pad));
  });
  // An export or a backup in another connection: its read transaction pins the WAL from here on.
  const reader = new Database(path, { readonly: true });
  t.teardown(() => reader.close());
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM events').get();
  let commits = 0;
  const failures: unknown[] = [];
  // Commits keep coming while the worker tries its RESTARTs (one every 20 ms) against the reader.
  while ((store.checkpoints()?.restartsGivenWay ?? 0) < 20) {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store
          .commitSoon(() => store.append(decision(pad)))
          .then(
            () => commits++,
            (err: unknown) => failures.push(err),
          ),
      ),
    );
    await new Promise((r) => setTimeout(r, 2));
  }
  t.same(failures, [], `${commits} commits, none failed`);
  t.same(outages, [], 'no store outage');
  t.equal(store.lockRetries(), 0, 'no commit found the write lock held');
  t.equal(store.checkpoints()!.restarts, 0, 'no RESTART while the reader holds its snapshot');
  reader.exec('COMMIT');
  await until(() => store.checkpoints()!.restarts >= 1, 10_000, 'a RESTART once the reader is gone');
  await store.commitSoon(() => store.append(decision('x')));
  t.ok(store.walBytes() <= 1024 * 1024, `the WAL is back within its bound: ${store.walBytes()} bytes`);
});

t.test('a RESTART held off by a long reader is tried less and less often, not every 20 ms', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path, walMaxMb: 1, backgroundCheckpointMs: 1000 });
  t.teardown(() => store.close());
  const pad = 'b'.repeat(2000);
  store.transaction(() => {
    for (let i = 0; i < 50; i++) store.append(decision(pad));
  });
  const reader = new Database(path, { readonly: true });
  t.teardown(() => reader.close());
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM events').get();
  store.append(decision(pad)); // a frame the reader's snapshot does not have: the PASSIVE cannot copy all
  await until(() => (store.checkpoints()?.restartsGivenWay ?? 0) >= 1, 10_000, 'a RESTART given way');
  await new Promise((r) => setTimeout(r, 2500));
  const tries = store.checkpoints()!.restartsGivenWay;
  // 20, 40, 80, 160, 320, 640 ms, then once a second: about 8 in 2.5 s (every 20 ms would be 125).
  t.ok(tries <= 10, `${tries} tries in 2.5 s while the reader held its snapshot`);
  reader.exec('COMMIT');
});
