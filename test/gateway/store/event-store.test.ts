import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { EventStore } from '../../../gateway/store/event-store.js';
import type { NewEvent } from '../../../gateway/store/types.js';

const decision = (over: Partial<NewEvent> = {}): NewEvent => ({
  type: 'decision',
  lane: 'L1',
  direction: 'in',
  credential: 'ticket',
  decision: 'allow',
  reason: 'ok',
  idHash: null,
  idMasked: null,
  latencyMs: 1.5,
  refId: null,
  facts: { ticketKind: 'single' },
  ...over,
});

t.test('events get increasing seq, a boot id and a ULID, and read back as written', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db') });
  const a = store.append(decision());
  const b = store.append(decision({ decision: 'deny', reason: 'ticket.expired' }));
  t.ok(b.seq > a.seq);
  t.equal(a.bootId, b.bootId);
  t.match(a.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  t.same(store.get(b.id), b);
  store.close();
});

t.test('the hash chain verifies, and an edited event is found', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path });
  for (let i = 0; i < 20; i++) store.append(decision({ latencyMs: i }));
  t.same(store.verifyChain(), { ok: true, events: 20 });
  store.close();
  const raw = new Database(path);
  raw.prepare("UPDATE events SET reason = 'ok.manual-open' WHERE seq = 7").run();
  raw.close();
  const again = new EventStore({ path });
  const r = again.verifyChain();
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.brokenAt.seq, 7);
  again.close();
});

t.test('a deleted event in the middle is found', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path });
  for (let i = 0; i < 10; i++) store.append(decision());
  store.db.prepare('DELETE FROM events WHERE seq = 4').run();
  const r = store.verifyChain();
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.brokenAt.seq, 5);
  store.close();
});

t.test('retention by age removes the oldest events and the chain still verifies', async (t) => {
  let now = 1_000_000;
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), now: () => now });
  for (let i = 0; i < 10; i++) {
    store.append(decision());
    now += 1000;
  }
  const { removed } = store.applyRetention({ maxAgeMs: 4500, maxBytes: 1e9 });
  t.equal(removed, 6);
  t.same(store.verifyChain(), { ok: true, events: 4 });
  const next = store.append(decision());
  t.equal(next.seq, 11, 'seq is never reused');
  t.same(store.verifyChain(), { ok: true, events: 5 });
  store.close();
});

t.test('retention by size keeps the database under its bound', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db') });
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 2000; i++) store.append(decision({ facts: { pad: big } }));
  const before = store.sizeBytes();
  store.applyRetention({ maxAgeMs: 1e12, maxBytes: 1_500_000 });
  t.ok(store.sizeBytes() < before);
  t.ok(store.sizeBytes() <= 1_500_000 + 1_000_000, `size ${store.sizeBytes()}`);
  t.ok(store.verifyChain().ok);
  store.close();
});

t.test('the WAL is checkpointed and truncated once it passes its bound', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), walMaxMb: 1 });
  const big = 'y'.repeat(4000);
  for (let i = 0; i < 1500; i++) store.append(decision({ facts: { pad: big } }));
  store.boundWal();
  t.ok(store.walBytes() <= 1024 * 1024, `wal ${store.walBytes()}`);
  store.close();
});

t.test('a hook that throws inside the commit transaction rolls the event back', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db') });
  const owner = {};
  store.onCommitInTransaction(owner, () => {
    throw new Error('outbox full');
  });
  t.throws(() => store.append(decision()));
  store.removeOwner(owner);
  t.equal(store.query({ limit: 10 }).length, 0);
  store.append(decision());
  t.ok(store.verifyChain().ok);
  store.close();
});

t.test('query filters by lane, decision and time, newest first with a cursor', async (t) => {
  let now = 0;
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), now: () => (now += 10) });
  for (let i = 0; i < 30; i++)
    store.append(decision({ lane: i % 2 ? 'L1' : 'L2', decision: i % 3 ? 'allow' : 'deny' }));
  const page1 = store.query({ lane: 'L1', limit: 5 });
  t.equal(page1.length, 5);
  t.ok(page1.every((e) => e.lane === 'L1'));
  t.ok(page1[0]!.seq > page1[4]!.seq);
  const page2 = store.query({ lane: 'L1', limit: 5, beforeSeq: page1[4]!.seq });
  t.ok(page2[0]!.seq < page1[4]!.seq);
  t.ok(store.query({ decision: 'deny', limit: 100 }).every((e) => e.decision === 'deny'));
  t.equal(store.query({ from: 100, to: 200, limit: 100 }).length, 10);
  store.close();
});

t.test('WAL upkeep never runs inside a group commit, so a large WAL cannot fail a decision', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), walMaxMb: 1 });
  // No automatic checkpoints: the WAL grows past its bound while commits keep coming.
  store.db.pragma('wal_autocheckpoint = 0');
  const big = 'w'.repeat(3000);
  const results = await Promise.allSettled(
    Array.from({ length: 1200 }, () => store.commitSoon(() => store.append(decision({ facts: { pad: big } })))),
  );
  t.equal(results.filter((r) => r.status === 'rejected').length, 0, 'every commit succeeded');
  store.boundWal();
  t.ok(store.walBytes() <= 1024 * 1024, `wal ${store.walBytes()}`);
  t.ok(store.verifyChain().ok);
  store.close();
});

t.test('with checkpoints on a worker the WAL stays bounded under steady group commits', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db'), walMaxMb: 1, backgroundCheckpointMs: 5 });
  t.teardown(() => store.close());
  t.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the writer itself never checkpoints');
  const big = 'c'.repeat(2000);
  let largest = 0;
  for (let round = 0; round < 60; round++) {
    await Promise.all(
      Array.from({ length: 20 }, () => store.commitSoon(() => store.append(decision({ facts: { pad: big } })))),
    );
    largest = Math.max(largest, store.walBytes());
    await new Promise((r) => setTimeout(r, 2));
  }
  const stats = store.checkpoints()!;
  t.ok(
    stats.runs > 0 && stats.restarts > 0,
    `the worker checkpointed and restarted the WAL (${JSON.stringify(stats)})`,
  );
  // 1,200 events of 2 KB wrote about 10 MB of WAL within a second, far faster than any gate: the file may
  // run ahead of the worker by a little, never without limit, and is back under the bound once it catches up.
  t.ok(largest <= 4 * 1024 * 1024, `largest WAL ${largest}`);
  await new Promise((r) => setTimeout(r, 100));
  await store.commitSoon(() => store.append(decision()));
  t.ok(store.walBytes() <= 1024 * 1024, `WAL after the worker caught up: ${store.walBytes()}`);
  t.ok(store.verifyChain().ok);
  t.equal(store.query({ limit: 1000 }).length, 1000);
  t.equal(store.verifyChain().ok && store.verifyChain().events, 1201);
});

t.test('a lost checkpoint worker is reported and SQLite checkpoints in the writer again', async (t) => {
  const warnings: string[] = [];
  const store = new EventStore({
    path: join(t.testdir(), 'g.db'),
    backgroundCheckpointMs: 50,
    onWarning: (m) => warnings.push(m),
  });
  t.teardown(() => store.close());
  // Reach into the store to kill its worker, as a crash of that thread would.
  await (
    store as unknown as { database: { checkpointer: { worker: { terminate(): Promise<number> } } } }
  ).database.checkpointer.worker.terminate();
  await new Promise((r) => setTimeout(r, 50));
  t.match(warnings.join('\n'), /WAL checkpoints back in the writer/);
  t.equal(store.checkpoints()?.running, false, 'health shows the worker gone');
  t.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  store.append(decision());
  t.ok(store.verifyChain().ok);
});

t.test('a savepoint that rolls back inside a group commit leaves the chain continuous', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db') });
  t.teardown(() => store.close());
  const results = await Promise.allSettled([
    store.commitSoon(() => store.append(decision({ lane: 'L1' }))),
    store.commitSoon(() => {
      store.append(decision({ lane: 'L2' }));
      throw new Error('policy step failed after the insert');
    }),
    store.commitSoon(() =>
      store.transaction(() => {
        store.append(decision({ lane: 'L3' }));
        return store.append(decision({ lane: 'L4' }));
      }),
    ),
    store.commitSoon(() => {
      try {
        store.transaction(() => {
          store.append(decision({ lane: 'L5' }));
          throw new Error('nested step failed');
        });
      } catch {}
      return store.append(decision({ lane: 'L6' }));
    }),
  ]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  const events = store.query({ limit: 10 }).reverse();
  t.same(
    events.map((e) => e.lane),
    ['L1', 'L3', 'L4', 'L6'],
  );
  t.same(
    events.map((e) => e.seq),
    [1, 2, 3, 4],
    'seq continues where the rolled-back events would have been',
  );
  t.ok(store.verifyChain().ok);
});
