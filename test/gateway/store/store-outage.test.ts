// The event store fails closed and recovers: a lock, a full file, a deleted or replaced file make every
// commit fail with StoreUnavailableError (never a half-committed batch, never a crash), and probe() brings
// the store back once the cause is gone.
import { copyFileSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { EventStore } from '../../../gateway/store/event-store.js';
import { classifyStoreError, isStoreUnavailable } from '../../../gateway/store/store-errors.js';
import { factEvent, type NewEvent } from '../../../gateway/store/types.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';

failOnUnhandledRejection(t);

const decision = (over: Partial<NewEvent> = {}): NewEvent => ({
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
  ...over,
});

/** The error `fn` throws, for matching its fields (t.throws wants an Error shape). */
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

t.test(
  'a commit against a locked database fails as store unavailable, later ones fail fast, probe recovers',
  async (t) => {
    const path = join(t.testdir(), 'g.db');
    const store = new EventStore({ path, busyTimeoutMs: 20 });
    const outages: string[] = [];
    store.onUnavailable = (o) => outages.push(o.problem);
    store.append(decision());
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const r = await settle(store.commitSoon(() => store.append(decision())));
    t.equal(r.ok, false, 'not committed');
    t.ok(!r.ok && isStoreUnavailable(r.error), 'rejected with StoreUnavailableError');
    t.same(outages, ['locked'], 'told once');
    t.equal(store.lockRetries(), 1, 'the commit tried once more before the store was called unavailable');
    t.equal(store.outage()?.problem, 'locked');
    const again = await settle(store.commitSoon(() => store.append(decision())));
    t.ok(!again.ok && isStoreUnavailable(again.error), 'fails fast while unavailable');
    t.match(
      thrown(() => store.append(decision())),
      { storeUnavailable: true },
      'append alone too',
    );
    t.match(store.probe(), { ok: false, problem: 'locked' }, 'still locked');
    other.exec('COMMIT');
    other.close();
    t.same(store.probe(), { ok: true });
    t.equal(store.outage(), null);
    const ok = await store.commitSoon(() => store.append(decision()));
    t.equal(ok.seq, 2, 'the failed commits took no seq');
    t.same(store.verifyChain(), { ok: true, events: 2 });
    store.close();
  },
);

t.test(
  'a commit that finds the write lock held tries once more after a pause: a lock gone by then is no outage',
  async (t) => {
    const path = join(t.testdir(), 'g.db');
    const store = new EventStore({ path, busyTimeoutMs: 20 });
    t.teardown(() => store.close());
    const outages: string[] = [];
    store.onUnavailable = (o) => outages.push(o.problem);
    store.append(decision());
    // Another connection's write transaction, as a checkpoint that ran long holds the lock.
    const other = new Database(path);
    t.teardown(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const committed = settle(store.commitSoon(() => store.append(decision())));
    // The group commit ran in this turn's check phase, before this: it found the lock held and is waiting.
    await new Promise((r) => setImmediate(r));
    t.equal(store.lockRetries(), 1, 'the commit found the lock held');
    t.equal(store.outage(), null, 'not an outage yet');
    other.exec('COMMIT');
    const r = await committed;
    t.match(r, { ok: true, value: { seq: 2 } }, 'committed on its second try');
    t.same(outages, [], 'no outage');
    t.same(store.verifyChain(), { ok: true, events: 2 });
  },
);

t.test('SQLITE_FULL in a group commit fails the whole batch, commits nothing of it, and probe recovers', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path });
  store.append(decision());
  const pages = store.db.pragma('page_count', { simple: true }) as number;
  // A file that cannot grow: the next page the inserts need is refused with SQLITE_FULL.
  store.db.pragma(`max_page_count = ${pages}`);
  const big = { blob: 'x'.repeat(3000) };
  const batch = Array.from({ length: 20 }, () =>
    settle(store.commitSoon(() => store.append(decision({ facts: big })))),
  );
  const results = await Promise.all(batch);
  t.ok(
    results.every((r) => !r.ok && isStoreUnavailable(r.error)),
    'every decision in the batch hears it was not committed',
  );
  t.equal(store.outage()?.problem, 'full');
  t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1, 'none of them stored');
  t.match(store.probe(), { ok: false, problem: 'full' }, 'a probe needs room too');
  store.db.pragma('max_page_count = 1073741823');
  t.same(store.probe(), { ok: true });
  await store.commitSoon(() => store.append(decision({ facts: big })));
  t.same(store.verifyChain(), { ok: true, events: 2 });
  store.close();
});

t.test('a deleted database file is noticed at the next commit, and probe starts a new log on a new file', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path, backgroundCheckpointMs: 50 });
  for (let i = 0; i < 3; i++) store.append(decision());
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) unlinkSync(f);
  t.equal(store.fileInPlace(), false);
  const r = await settle(store.commitSoon(() => store.append(decision())));
  t.ok(!r.ok && isStoreUnavailable(r.error) && r.error.problem === 'deleted', 'not answered into an unlinked file');
  const reopened: string[] = [];
  store.onReopen(t, () => reopened.push('hook'));
  t.same(store.probe(), { ok: true, reopened: 'lost' });
  t.same(reopened, ['hook'], 'owners prepare again');
  t.ok(existsSync(path), 'a new file at the path');
  const after = await store.commitSoon(() => store.append(decision()));
  const events = store.query({ limit: 10 }).reverse();
  t.match(events[0], { type: 'system', facts: { action: 'log-lost', outageProblem: 'deleted' } });
  t.equal(events[1]?.id, after.id);
  t.same(store.verifyChain(), { ok: true, events: 2 }, 'the new segment verifies from the genesis');
  store.close();
  // And a fresh process reads the new file as any other.
  const reread = new EventStore({ path });
  t.equal(reread.get(after.id)?.id, after.id);
  reread.close();
});

t.test('a database file replaced by another is opened in its place and the chain continues there', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'g.db');
  const backupPath = join(dir, 'backup.db');
  const backup = new EventStore({ path: backupPath });
  backup.append(decision());
  backup.close();
  const store = new EventStore({ path });
  store.append(decision());
  store.append(decision());
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) unlinkSync(f);
  copyFileSync(backupPath, path);
  t.match(
    thrown(() => store.append(decision())),
    { storeUnavailable: true, problem: 'deleted' },
  );
  t.same(store.probe(), { ok: true, reopened: 'replaced' });
  store.append(decision());
  t.same(store.verifyChain(), { ok: true, events: 3 }, 'backup event, log-replaced, the new one');
  store.close();
});

t.test('a read-only database is unavailable until it can be written again', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path });
  store.append(decision());
  // query_only stands in for a file system remounted read-only: SQLite refuses every write with SQLITE_READONLY.
  store.db.pragma('query_only = ON');
  t.match(
    thrown(() => store.append(decision())),
    { storeUnavailable: true, problem: 'read-only' },
  );
  t.match(store.probe(), { ok: false, problem: 'read-only' });
  store.db.pragma('query_only = OFF');
  t.same(store.probe(), { ok: true });
  store.append(factEvent('system', null, { note: 'back' }));
  t.same(store.verifyChain(), { ok: true, events: 2 });
  store.close();
});

t.test('errors about the file are store problems; a constraint or a bug is not', async (t) => {
  const code = (c: string) => Object.assign(new Error(c), { code: c });
  t.equal(classifyStoreError(code('SQLITE_BUSY')), 'locked');
  t.equal(classifyStoreError(code('SQLITE_FULL')), 'full');
  t.equal(classifyStoreError(code('SQLITE_READONLY')), 'read-only');
  t.equal(classifyStoreError(code('SQLITE_READONLY_DBMOVED')), 'deleted');
  t.equal(classifyStoreError(code('SQLITE_CORRUPT')), 'corrupt');
  t.equal(classifyStoreError(code('SQLITE_NOTADB')), 'corrupt');
  t.equal(classifyStoreError(code('SQLITE_IOERR_WRITE')), 'io');
  t.equal(classifyStoreError(code('SQLITE_CONSTRAINT_UNIQUE')), null);
  t.equal(classifyStoreError(new TypeError('x is undefined')), null);
});

t.test('a failing item that is not a store problem fails alone; the others in the batch commit', async (t) => {
  const store = new EventStore({ path: join(t.testdir(), 'g.db') });
  const [a, b] = await Promise.all([
    settle(
      store.commitSoon(() => {
        throw new Error('a bug in one decision');
      }),
    ),
    settle(store.commitSoon(() => store.append(decision()))),
  ]);
  t.equal(a.ok, false);
  t.equal(b.ok, true);
  t.equal(store.outage(), null, 'the store stays available');
  store.close();
});

t.test(
  'a store closed while a locked commit waits for its second try rejects it at once, not on a closed file',
  async (t) => {
    const path = join(t.testdir(), 'g.db');
    const store = new EventStore({ path, busyTimeoutMs: 20 });
    store.append(decision());
    const other = new Database(path);
    t.teardown(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const committed = settle(store.commitSoon(() => store.append(decision())));
    await new Promise((r) => setImmediate(r));
    t.equal(store.lockRetries(), 1, 'waiting for its second try');
    store.close();
    const r = await committed;
    t.ok(!r.ok && isStoreUnavailable(r.error), 'the caller hears it was not committed');
    t.match(!r.ok && (r.error as Error).message, /closed before a locked commit could be tried again/);
    other.exec('ROLLBACK');
  },
);
