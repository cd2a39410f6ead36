import { join } from 'node:path';
import t from 'tap';
import { CountWindows } from '../../../gateway/telemetry/count-windows.js';
import { Outbox } from '../../../gateway/telemetry/outbox.js';
import { FakeClock, openStore, pass, T0, tempDir } from './fixtures/gate.js';

const MINUTE = 60_000;

function setUp(t: { teardown: (fn: () => unknown) => void }, capacity = 100) {
  const clock = new FakeClock();
  const { dir, cleanup } = tempDir();
  const store = openStore(join(dir, 'gw.db'), clock);
  const outbox = new Outbox(store.repos.outbox, capacity, { categoryMinCount: 1 }, clock.now);
  const windows = new CountWindows(store.repos.countWindows, outbox, {
    site: 's',
    gate: 'g',
    bootId: store.bootId,
    windowMs: MINUTE,
    zoneOfLane: () => 'main',
  });
  store.transaction(() => {
    windows.closeDue(clock.now()); // opens the first window, as Telemetry.start() does
  });
  store.onCommitInTransaction(windows, (ev) => windows.onCommittedEvent(ev));
  t.teardown(() => {
    store.close();
    cleanup();
  });
  const closeMinute = () => {
    clock.advance(MINUTE);
    store.transaction(() => windows.closeDue(clock.now()));
  };
  const rows = () => outbox.unsent(10_000).map((r) => ({ ...r, p: JSON.parse(r.payload) }));
  return { clock, store, outbox, windows, closeMinute, rows };
}

const sumIn = (rows: Array<{ p: { lanes?: Array<{ in: number }> } }>) =>
  rows.reduce((a, r) => a + (r.p.lanes ?? []).reduce((b, l) => b + l.in, 0), 0);

t.test('the first event after a window ends closes it in the same transaction', async (t) => {
  const { clock, store, rows } = setUp(t);
  pass(store, 'L1', 'in');
  clock.advance(MINUTE);
  pass(store, 'L1', 'in');
  t.equal(rows().length, 1);
  t.match(rows()[0]!.p, { seq: 1, windowStart: T0, windowEnd: T0 + MINUTE, lanes: [{ lane: 'L1', in: 1 }] });
});

t.test('an event that is rolled back is not counted', async (t) => {
  const { store, closeMinute, rows } = setUp(t);
  pass(store, 'L1', 'in');
  t.throws(() =>
    store.transaction(() => {
      pass(store, 'L1', 'in');
      throw new Error('abort');
    }),
  );
  closeMinute();
  t.equal(sumIn(rows()), 1);
});

t.test('when the wall clock steps back, events count into the open window and no window key repeats', async (t) => {
  const { clock, store, closeMinute, rows } = setUp(t);
  pass(store, 'L1', 'in');
  closeMinute();
  clock.wall -= 5 * MINUTE;
  pass(store, 'L1', 'in');
  clock.wall += 6 * MINUTE;
  store.transaction(() => undefined);
  closeMinute();
  const starts = rows().map((r) => r.p.windowStart);
  t.equal(new Set(starts).size, starts.length);
  t.equal(sumIn(rows()), 2);
});

t.test('a window cut short by stop is followed by one that starts at the cut', async (t) => {
  const { clock, store, windows, rows } = setUp(t);
  pass(store, 'L1', 'in');
  clock.advance(10_000);
  store.transaction(() => windows.closeEarly(clock.now()));
  pass(store, 'L1', 'in');
  t.same(windows.openWindow(), { start: T0 + 10_000, end: T0 + MINUTE });
  t.match(rows()[0]!.p, { windowStart: T0, windowEnd: T0 + 10_000 });
});

t.test('runs of empty windows queued while offline fold into one row', async (t) => {
  const { closeMinute, rows, outbox } = setUp(t);
  for (let i = 0; i < 10; i++) closeMinute();
  t.equal(outbox.depth(), 1);
  t.match(rows()[0]!.p, { seq: 1, windowStart: T0, windowEnd: T0 + 10 * MINUTE, lanes: [] });
});

t.test('a full outbox folds new windows into the newest unsent one: totals stay exact', async (t) => {
  const { store, closeMinute, rows, outbox } = setUp(t, 10);
  for (let i = 0; i < 25; i++) {
    pass(store, 'L1', 'in');
    closeMinute();
  }
  t.equal(outbox.depth(), 10);
  t.equal(sumIn(rows()), 25);
  t.same(
    rows().map((r) => r.p.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'seq stays contiguous',
  );
});

t.test('sent rows are pruned first to make room', async (t) => {
  const { store, closeMinute, outbox } = setUp(t, 10);
  for (let i = 0; i < 10; i++) {
    pass(store, 'L1', 'in');
    closeMinute();
  }
  for (const r of outbox.unsent(5)) outbox.markSent(r.id, r.rev);
  pass(store, 'L1', 'in');
  closeMinute();
  t.equal(outbox.depth(), 6);
  t.equal((store.db.prepare('SELECT count(*) AS n FROM tel_outbox').get() as { n: number }).n, 10);
});

t.test('a row changed while in flight is not marked sent by the older acknowledgement', async (t) => {
  const { store, closeMinute, outbox } = setUp(t, 1);
  pass(store, 'L1', 'in');
  closeMinute();
  const [inFlight] = outbox.unsent(1);
  pass(store, 'L1', 'in');
  closeMinute(); // full: folds into the in-flight row
  t.equal(outbox.markSent(inFlight!.id, inFlight!.rev), false);
  t.equal(outbox.depth(), 1);
});

t.test('a full outbox refuses a new alarm instead of dropping counts', async (t) => {
  const { closeMinute, store, outbox } = setUp(t, 1);
  pass(store, 'L1', 'in');
  closeMinute();
  t.equal(outbox.addAlarm({ id: 'a1', kind: 'door-held', lane: 'L1', ts: T0 }), 'full');
});

t.test(
  'a count that rolls back with its transaction is gone from the open window too (memory follows the file)',
  async (t) => {
    const { store, closeMinute, rows } = setUp(t);
    pass(store, 'L1', 'in');
    t.throws(() =>
      store.transaction(() => {
        pass(store, 'L1', 'in');
        throw new Error('the decision fails after its passage was counted');
      }),
    );
    pass(store, 'L1', 'in');
    closeMinute();
    t.equal(sumIn(rows()), 2, 'the rolled-back passage is counted neither in memory nor in the file');
  },
);
