// Ticket use counts and presence as projections of the event log (issue #14): what a restart rebuilds equals
// what was kept as it happened, a rolled-back decision leaves nothing, a timeout refunds exactly, entries
// past the bound go to the checkpoint tables and come back, retention forgets no use, and a file from before
// keeps its counts.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import type { ProjectionLimits } from '../../../gateway/store/admission-projection.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { type AdmissionEffects, factEvent } from '../../../gateway/store/types.js';

const open = (path: string, projectionLimits?: ProjectionLimits, now?: () => number) =>
  new EventStore({ path, projectionLimits, now });

const decision = (effects: AdmissionEffects, ts?: number) => ({
  ...factEvent('decision', 'L1', {}, ts === undefined ? {} : { ts }),
  decision: 'allow' as const,
  effects,
});
const entry = (tid: string, subject = `tid:${tid}`): AdmissionEffects => ({
  tid,
  uses: 1,
  presence: { subject, zone: 'Z', inside: true },
});
const refund = (tid: string, previousInside: boolean): AdmissionEffects => ({
  tid,
  uses: -1,
  presence: { subject: `tid:${tid}`, zone: 'Z', inside: previousInside },
});

function file(t: Test): string {
  return join(t.testdir(), 'gw.db');
}

t.test('uses and presence answer from the log, and the same after a restart', async (t) => {
  const path = file(t);
  const a = open(path);
  a.append(decision(entry('T-1'), 10));
  a.append(decision(entry('T-1'), 11));
  a.append(decision({ presence: { subject: 'tid:T-1', zone: 'Z', inside: false } }, 12));
  a.append(decision(entry('T-2'), 13));
  t.equal(a.repos.admission.ticketUses('T-1'), 2);
  t.same(a.repos.admission.presence('tid:T-1', 'Z'), { inside: 0, ts: 12 });
  t.equal(a.repos.admission.ticketUses('T-none'), 0);
  t.equal(a.repos.admission.presence('tid:T-none', 'Z'), undefined);
  a.close();
  const b = open(path);
  t.teardown(() => b.close());
  t.equal(b.repos.admission.ticketUses('T-1'), 2);
  t.equal(b.repos.admission.ticketUses('T-2'), 1);
  t.same(b.repos.admission.presence('tid:T-1', 'Z'), { inside: 0, ts: 12 });
  t.same(b.repos.admission.presence('tid:T-2', 'Z'), { inside: 1, ts: 13 });
  t.match(b.verifyChain(), { ok: true, events: 4 }, 'the effects are in the chain and verify');
});

t.test('a crash (no close, no checkpoint) loses nothing: the log after the checkpoint is replayed', async (t) => {
  const path = file(t);
  const a = open(path);
  a.append(decision(entry('T-1'), 1));
  a.close(); // checkpoint: T-1 = 1 in the tables
  const b = open(path);
  b.append(decision(entry('T-1'), 2));
  b.append(decision(refund('T-1', true), 3));
  b.append(decision(entry('T-1'), 4));
  b.closeWithoutCheckpoint(); // as kill -9 leaves it: the tables still say 1
  const raw = new Database(path, { readonly: true });
  t.equal((raw.prepare("SELECT uses FROM ticket_uses WHERE tid = 'T-1'").get() as { uses: number }).uses, 1);
  raw.close();
  const c = open(path);
  t.teardown(() => c.close());
  t.equal(c.repos.admission.ticketUses('T-1'), 2, 'checkpoint 1, then +1 -1 +1 from the log');
  t.same(c.repos.admission.presence('tid:T-1', 'Z'), { inside: 1, ts: 4 });
});

t.test('a decision whose savepoint or batch rolls back leaves the projections as they were', async (t) => {
  const store = open(file(t));
  t.teardown(() => store.close());
  store.append(decision(entry('T-1'), 1));
  // One item of a group commit fails after its insert: only it goes.
  const failed = store.commitSoon(() => {
    store.append(decision(entry('T-1'), 2));
    throw new Error('policy blew up after the insert');
  });
  const kept = store.commitSoon(() => store.append(decision(entry('T-2'), 3)));
  await t.rejects(failed, /policy blew up/);
  await kept;
  t.equal(store.repos.admission.ticketUses('T-1'), 1, 'the failed item took its use back');
  t.same(store.repos.admission.presence('tid:T-1', 'Z'), { inside: 1, ts: 1 });
  t.equal(store.repos.admission.ticketUses('T-2'), 1, 'the other item of the batch stands');
  // A whole transaction that fails takes back everything in it.
  t.throws(() =>
    store.transaction(() => {
      store.append(decision(entry('T-3'), 4));
      store.append(decision(entry('T-1'), 5));
      throw new Error('rolled back');
    }),
  );
  t.equal(store.repos.admission.ticketUses('T-3'), 0);
  t.equal(store.repos.admission.ticketUses('T-1'), 1);
  const next = store.append(decision(entry('T-1'), 6));
  t.equal(next.seq, 3, 'the chain tail went back too: no seq skipped');
  t.match(store.verifyChain(), { ok: true, events: 3 });
});

t.test('a refund never goes below zero, and puts the presence mark back as the undo says', async (t) => {
  const store = open(file(t));
  t.teardown(() => store.close());
  store.append(decision(refund('T-1', false), 1));
  t.equal(store.repos.admission.ticketUses('T-1'), 0);
  store.append(decision(entry('T-1'), 2));
  store.append(decision(refund('T-1', false), 3));
  t.equal(store.repos.admission.ticketUses('T-1'), 0);
  t.same(store.repos.admission.presence('tid:T-1', 'Z'), { inside: 0, ts: 3 });
});

t.test('past the bound, the least recently changed entries go to the tables and are read back', async (t) => {
  const path = file(t);
  const limits = { tickets: 3, presence: 2 };
  const a = open(path, limits);
  for (let i = 0; i < 6; i++) a.append(decision(entry(`T-${i}`), i));
  a.append(decision(entry('T-0'), 10));
  t.same(a.repos.admission.size(), { tickets: 3, presence: 2 }, 'memory holds no more than the bound');
  for (let i = 1; i < 6; i++) t.equal(a.repos.admission.ticketUses(`T-${i}`), 1, `T-${i} read back`);
  t.equal(a.repos.admission.ticketUses('T-0'), 2);
  t.same(a.repos.admission.presence('tid:T-2', 'Z'), { inside: 1, ts: 2 });
  t.equal(a.repos.admission.ticketUses('T-none'), 0, 'a ticket nobody used is still 0');
  a.closeWithoutCheckpoint();
  const b = open(path, limits);
  t.teardown(() => b.close());
  for (let i = 1; i < 6; i++) t.equal(b.repos.admission.ticketUses(`T-${i}`), 1, `T-${i} after the restart`);
  t.equal(b.repos.admission.ticketUses('T-0'), 2);
});

t.test('retention removes events, never the uses and presence they recorded', async (t) => {
  let clock = 1_000;
  const path = file(t);
  const a = open(path, undefined, () => clock);
  a.append(decision(entry('T-old')));
  a.append(decision(entry('T-old')));
  clock = 100_000;
  a.append(decision(entry('T-new')));
  t.match(a.applyRetention({ maxAgeMs: 50_000, maxBytes: 1e9 }), { removed: 2 });
  t.equal(a.repos.admission.ticketUses('T-old'), 2);
  a.append(decision(entry('T-new')));
  a.closeWithoutCheckpoint();
  const b = open(path);
  t.teardown(() => b.close());
  t.equal(b.repos.admission.ticketUses('T-old'), 2, 'the purged uses are in the checkpoint');
  t.equal(b.repos.admission.ticketUses('T-new'), 2, 'one in the checkpoint, one replayed after it');
  t.match(b.verifyChain(), { ok: true, events: 2 });
});

t.test('a file from before the projections opens with its counts, and adds to them', async (t) => {
  const path = file(t);
  const old = new Database(path);
  // What a gateway before issue #14 left: the tables written in each decision's transaction, no effects column.
  old.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, boot_id TEXT NOT NULL,
      ts INTEGER NOT NULL, type TEXT NOT NULL, lane TEXT, direction TEXT, credential TEXT, decision TEXT, reason TEXT,
      id_hash TEXT, id_masked TEXT, latency_ms REAL, ref_id TEXT, facts TEXT NOT NULL DEFAULT '{}', prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL);
    CREATE TABLE schema_versions (feature TEXT PRIMARY KEY, version INTEGER NOT NULL);
    INSERT INTO schema_versions VALUES ('admission', 1);
    CREATE TABLE ticket_uses (tid TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_ts INTEGER NOT NULL);
    CREATE TABLE presence (subject TEXT NOT NULL, zone TEXT NOT NULL, inside INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (subject, zone));
    INSERT INTO ticket_uses VALUES ('T-1', 3, 5);
    INSERT INTO presence VALUES ('tid:T-1', 'Z', 1, 5);
  `);
  old.pragma('user_version = 2');
  old.close();
  const a = open(path);
  t.equal(a.repos.admission.ticketUses('T-1'), 3);
  t.same(a.repos.admission.presence('tid:T-1', 'Z'), { inside: 1, ts: 5 });
  a.append(decision(entry('T-1'), 6));
  a.closeWithoutCheckpoint();
  const b = open(path);
  t.teardown(() => b.close());
  t.equal(b.repos.admission.ticketUses('T-1'), 4);
});

/** The model: what the tables held when every decision wrote them in its own transaction. */
function model(ops: Array<{ tid: string; grant: boolean; inside: boolean }>) {
  const uses = new Map<string, number>();
  const inside = new Map<string, boolean>();
  for (const op of ops) {
    uses.set(op.tid, Math.max(0, (uses.get(op.tid) ?? 0) + (op.grant ? 1 : -1)));
    inside.set(op.tid, op.inside);
  }
  return { uses, inside };
}

t.test('fast-check: any run of grants, refunds, rollbacks, restarts and crashes gives the model', async (t) => {
  const dir = t.testdir();
  let run = 0;
  const op = fc.oneof(
    fc.record({
      k: fc.constant('effect' as const),
      tid: fc.constantFrom('A', 'B', 'C', 'D', 'E'),
      grant: fc.boolean(),
      inside: fc.boolean(),
      rollback: fc.boolean(),
    }),
    fc.record({ k: fc.constantFrom('restart' as const, 'crash' as const, 'retention' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (ops, bound) => {
      const path = join(dir, `p${run++}.db`);
      let clock = 1;
      const limits = { tickets: bound, presence: bound };
      let store = open(path, limits, () => clock);
      const done: Array<{ tid: string; grant: boolean; inside: boolean }> = [];
      for (const o of ops) {
        clock++;
        if (o.k === 'restart') {
          store.close();
          store = open(path, limits, () => clock);
        } else if (o.k === 'crash') {
          store.closeWithoutCheckpoint();
          store = open(path, limits, () => clock);
        } else if (o.k === 'retention') {
          store.applyRetention({ maxAgeMs: 0, maxBytes: 1e9 });
        } else if (o.k === 'effect') {
          const effects: AdmissionEffects = {
            tid: o.tid,
            uses: o.grant ? 1 : -1,
            presence: { subject: o.tid, zone: 'Z', inside: o.inside },
          };
          try {
            store.transaction(() => {
              store.append(decision(effects));
              if (o.rollback) throw new Error('rolled back');
            });
          } catch {}
          if (!o.rollback) done.push(o);
        }
      }
      const want = model(done);
      for (const tid of ['A', 'B', 'C', 'D', 'E']) {
        if (store.repos.admission.ticketUses(tid) !== (want.uses.get(tid) ?? 0)) return false;
        const p = store.repos.admission.presence(tid, 'Z');
        if (Boolean(p?.inside) !== (want.inside.get(tid) ?? false)) return false;
        if (p === undefined && want.inside.has(tid)) return false;
      }
      store.close();
      return true;
    }),
    { numRuns: 60 },
  );
  t.pass('no counterexample');
});
