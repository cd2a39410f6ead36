// The writes the event log owes after an outage: replayed oldest first, a batch to a transaction, each write in
// its own savepoint, against a fake store that rolls back like SQLite (a nested failure undoes only itself, an
// outer one everything in it).
import fc from 'fast-check';
import t from 'tap';
import { LogBacklog } from '../../../gateway/store/backlog.js';

class OutageError extends Error {}

/** A store whose rows are a list; `inTransaction` nests like SQLite savepoints and counts outermost commits. */
function fakeStore() {
  const rows: string[] = [];
  let depth = 0;
  let commits = 0;
  const inTransaction = (fn: () => void): void => {
    const before = rows.length;
    depth += 1;
    try {
      fn();
    } catch (err) {
      rows.length = before;
      throw err;
    } finally {
      depth -= 1;
    }
    if (depth === 0) commits += 1;
  };
  return { rows, inTransaction, commits: () => commits };
}
const isOutage = (err: unknown) => err instanceof OutageError;
const write = (rows: string[], what: string, run?: () => void) => ({ what, run: run ?? (() => void rows.push(what)) });

t.test('a long backlog is written in order, a batch of writes to one commit', async (t) => {
  const store = fakeStore();
  const backlog = new LogBacklog();
  for (let i = 0; i < 1000; i++) backlog.owe(write(store.rows, `e${i}`));
  t.same(backlog.replay(store.inTransaction, isOutage, 256), { written: 1000, left: 0 });
  t.same(
    store.rows,
    Array.from({ length: 1000 }, (_, i) => `e${i}`),
  );
  t.equal(store.commits(), 4, '1000 writes, 4 commits');
});

t.test('a write that can never be written is dropped alone; the rest of its batch is written', async (t) => {
  const store = fakeStore();
  const backlog = new LogBacklog();
  backlog.owe(write(store.rows, 'a'));
  backlog.owe(
    write(store.rows, 'broken', () => {
      store.rows.push('half of broken');
      throw new TypeError('a bug in this one write');
    }),
  );
  backlog.owe(write(store.rows, 'c'));
  t.same(backlog.replay(store.inTransaction, isOutage), { written: 2, left: 0 });
  t.same(store.rows, ['a', 'c'], 'nothing of the broken write stays');
  t.equal(backlog.dropped, 1);
});

t.test('an outage in the middle rolls its batch back and keeps it owed, in order, for the next replay', async (t) => {
  const store = fakeStore();
  const backlog = new LogBacklog();
  let storeGone = true;
  for (let i = 0; i < 6; i++)
    backlog.owe(
      write(store.rows, `e${i}`, () => {
        if (i === 4 && storeGone) throw new OutageError('disk full');
        store.rows.push(`e${i}`);
      }),
    );
  const first = backlog.replay(store.inTransaction, isOutage, 3);
  t.match(first, { written: 3, left: 3 });
  t.ok(first.failed instanceof OutageError);
  t.same(store.rows, ['e0', 'e1', 'e2'], 'the first batch committed; the second rolled back whole');
  storeGone = false;
  t.same(backlog.replay(store.inTransaction, isOutage, 3), { written: 3, left: 0 });
  t.same(store.rows, ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  t.equal(backlog.dropped, 0);
});

t.test('property: whatever fails and when, every owed write ends written once or dropped, in order', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('ok', 'bug', 'outage'), { maxLength: 60 }),
      fc.integer({ min: 1, max: 8 }),
      (kinds, batchSize) => {
        const store = fakeStore();
        const backlog = new LogBacklog();
        const outageOnce = new Set(kinds.flatMap((k, i) => (k === 'outage' ? [i] : [])));
        kinds.forEach((kind, i) =>
          backlog.owe(
            write(store.rows, `e${i}`, () => {
              if (kind === 'bug') throw new TypeError('bug');
              if (outageOnce.delete(i)) throw new OutageError('gone');
              store.rows.push(`e${i}`);
            }),
          ),
        );
        for (let tries = 0; tries <= kinds.length && backlog.size > 0; tries++)
          backlog.replay(store.inTransaction, isOutage, batchSize);
        const expected = kinds.flatMap((k, i) => (k === 'bug' ? [] : [`e${i}`]));
        return (
          backlog.size === 0 &&
          JSON.stringify(store.rows) === JSON.stringify(expected) &&
          backlog.dropped === kinds.filter((k) => k === 'bug').length
        );
      },
    ),
    { numRuns: 500 },
  );
});
