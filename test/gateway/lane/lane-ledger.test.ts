// The lane ledger, the one writer of a lane's decisions, passages and timeouts: a grant's ticket use and
// presence mark, and the timeout that takes both back as one operation; passages logged and announced,
// or owed while the store is down and announced when written.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { EventBus, type GatewayEvents } from '../../../gateway/events.js';
import { grantEffects, grantUndo, LaneLedger } from '../../../gateway/lane/lane-ledger.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { factEvent } from '../../../gateway/store/types.js';

function setup(t: Test, write?: (what: string, run: () => void) => void) {
  const store = new EventStore({ path: join(t.testdir(), 'ledger.db') });
  t.teardown(() => store.close());
  const bus = new EventBus();
  const seen: Array<GatewayEvents['passage.seen']> = [];
  const timeouts: Array<GatewayEvents['passage.timeout']> = [];
  bus.on(t, 'passage.seen', (p) => seen.push(p));
  bus.on(t, 'passage.timeout', (p) => timeouts.push(p));
  return { store, bus, seen, timeouts, ledger: new LaneLedger(store, bus, write) };
}

t.test("an allow's grant spends a ticket use and marks presence; its timeout takes both back", async (t) => {
  const { store, ledger, timeouts } = setup(t);
  // Out before (an earlier exit), as the decision read it; the entry marks the subject inside.
  ledger.appendDecision({
    ...factEvent('decision', 'L1', {}),
    effects: grantEffects({ subject: 'tid:T-1', zone: 'Z', direction: 'out' }),
    ts: 1,
  });
  t.same(ledger.presence('tid:T-1', 'Z'), { inside: 0, ts: 1 });
  const decision = ledger.appendDecision({
    ...factEvent('decision', 'L1', { stand: 'in for the decision' }),
    effects: grantEffects({ tid: 'T-1', subject: 'tid:T-1', zone: 'Z', direction: 'in' }),
    ts: 2,
  });
  t.equal(ledger.ticketUses('T-1'), 1);
  t.same(ledger.presence('tid:T-1', 'Z'), { inside: 1, ts: 2 });

  const written = await ledger.recordTimeout({
    lane: 'L1',
    direction: 'in',
    decisionId: decision.id,
    credential: 'ticket',
    undo: { zone: 'Z', direction: 'in', tid: 'T-1', subject: 'tid:T-1', previousInside: false },
    ts: 3,
  });
  t.equal(written, 'written');
  t.equal(ledger.ticketUses('T-1'), 0, 'the ticket use is refunded');
  t.same(ledger.presence('tid:T-1', 'Z'), { inside: 0, ts: 3 }, 'presence is what it was before the grant');
  const [timeout] = store.query({ type: 'timeout', limit: 5 });
  t.match(timeout, {
    lane: 'L1',
    direction: 'in',
    credential: 'ticket',
    refId: decision.id,
    facts: { walkedAway: true },
  });
  t.same(timeouts, [{ lane: 'L1', direction: 'in', decisionId: decision.id, ts: 3 }]);
});

t.test('a refund never takes a ticket below zero uses, and a grant with nothing to undo only logs', async (t) => {
  const { store, ledger } = setup(t);
  const undo = { zone: 'Z', direction: 'in' as const, tid: 'T-2' };
  await ledger.recordTimeout({ lane: 'L1', direction: 'in', decisionId: 'd', credential: null, undo, ts: 1 });
  t.equal(ledger.ticketUses('T-2'), 0);
  await ledger.recordTimeout({ lane: 'L1', direction: 'in', decisionId: 'e', credential: null, undo: null, ts: 2 });
  t.equal(store.query({ type: 'timeout', limit: 5 }).length, 2);
});

t.test('a passage is logged with the decision that authorised it and announced with its stored id', async (t) => {
  const { store, ledger, seen } = setup(t);
  const ev = ledger.recordPassage({
    lane: 'L1',
    direction: 'in',
    decisionId: 'dec-1',
    credential: 'ticket',
    facts: { via: 'ticket', nationality: 'VNM' },
    ts: 5,
  });
  t.ok(ev);
  t.match(store.query({ type: 'passage', limit: 5 }), [
    { id: ev!.id, refId: 'dec-1', credential: 'ticket', facts: { via: 'ticket', nationality: 'VNM' } },
  ]);
  t.match(seen, [{ eventId: ev!.id, lane: 'L1', direction: 'in', authorizedBy: 'dec-1' }]);
});

t.test('a passage owed while the store is down is announced when it is written, not before', async (t) => {
  const owed: Array<() => void> = [];
  const { store, ledger, seen } = setup(t, (_what, run) => owed.push(run));
  const ev = ledger.recordPassage({
    lane: 'L1',
    direction: 'out',
    decisionId: null,
    credential: null,
    facts: { via: 'forced', alarm: 'forced-passage' },
    ts: 7,
  });
  t.equal(ev, null, 'not written yet');
  t.same(seen, []);
  t.equal(store.query({ type: 'passage', limit: 5 }).length, 0);
  owed.shift()!();
  t.equal(store.query({ type: 'passage', limit: 5 }).length, 1);
  t.match(seen, [{ lane: 'L1', direction: 'out', authorizedBy: null, facts: { via: 'forced' } }]);
});

t.test(
  "an allow's undo: an entry takes back its ticket use, an exit none; presence goes back to what it was",
  async (t) => {
    t.same(grantUndo('Z', 'in', 'T-3', 'tid:T-3', { inside: 0 }), {
      zone: 'Z',
      direction: 'in',
      tid: 'T-3',
      subject: 'tid:T-3',
      previousInside: false,
    });
    t.same(grantUndo('Z', 'out', 'T-3', 'tid:T-3', { inside: 1 }), {
      zone: 'Z',
      direction: 'out',
      subject: 'tid:T-3',
      previousInside: true,
    });
    t.same(grantUndo('Z', 'in', undefined, null, undefined), { zone: 'Z', direction: 'in' });
  },
);
