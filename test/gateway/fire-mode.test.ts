// Fire mode on its own, with fake lanes, alarms, bus and log: any board's fire input frees every lane, the
// gate stays free until every board has cleared, and the record is logged (or owed while the store is down).
import t from 'tap';
import type { AlarmKind } from '../../gateway/events.js';
import { FireMode } from '../../gateway/fire-mode.js';
import type { NewEvent } from '../../gateway/store/types.js';

class FakeLane {
  fire = false;
  setFire(on: boolean): void {
    this.fire = on;
  }
}

function fakeGate(opts: { storeDown?: boolean } = {}) {
  const lanes = new Map(['L1', 'L2', 'L3'].map((id) => [id, new FakeLane()]));
  const alarms: Array<{ kind: AlarmKind; detail?: object }> = [];
  const modes: boolean[] = [];
  const logged: NewEvent[] = [];
  const owed: Array<() => void> = [];
  const fire = new FireMode({
    lanes,
    alarms: { raise: (kind, _lane, detail) => alarms.push({ kind, detail }) },
    bus: { emit: (name, payload) => name === 'fire.mode' && modes.push((payload as { active: boolean }).active) },
    store: {
      append: (ev) => {
        logged.push(ev);
        return {} as never; // the stored event: fire mode does not read it
      },
    },
    owe: (_what, run) => (opts.storeDown ? owed.push(run) : run()),
    logger: { warn: () => {} } as never,
    now: () => 1_000,
  });
  const freeLanes = () => [...lanes.values()].filter((l) => l.fire).length;
  return { fire, lanes, alarms, modes, logged, owed, freeLanes };
}

t.test('a fire input on one board frees every lane, raises fire-alarm and logs the fire', async (t) => {
  const g = fakeGate();
  g.fire.set(true, 'L2');
  t.equal(g.freeLanes(), 3);
  t.ok(g.fire.active);
  t.same(g.alarms, [{ kind: 'fire-alarm', detail: { source: 'L2' } }]);
  t.same(g.modes, [true]);
  t.match(g.logged, [{ type: 'fire', facts: { active: true, source: 'L2' } }]);
});

t.test('the gate stays free until the last board that reported the fire clears it', async (t) => {
  const g = fakeGate();
  g.fire.set(true, 'L1');
  g.fire.set(true, 'L3');
  t.equal(g.alarms.length, 1, 'a second board reporting the same fire raises no second alarm');
  g.fire.set(false, 'L1');
  t.equal(g.freeLanes(), 3, 'still free: L3 reports the fire');
  g.fire.set(false, 'L3');
  t.equal(g.freeLanes(), 0, 'every lane back to normal');
  t.notOk(g.fire.active);
  t.same(g.modes, [true, false]);
  t.match(g.logged.at(-1), { type: 'fire', facts: { active: false, source: 'L3' } });
  t.equal(g.alarms.length, 1, 'clearing raises nothing');
});

t.test('a clear from a board that never reported a fire changes nothing', async (t) => {
  const g = fakeGate();
  g.fire.set(false, 'L1');
  t.same([g.modes, g.logged, g.alarms], [[], [], []]);
});

t.test('with the store down the lanes still open; the record is owed and written when the store is back', async (t) => {
  const g = fakeGate({ storeDown: true });
  g.fire.set(true, 'L1');
  t.equal(g.freeLanes(), 3);
  t.same(g.logged, []);
  for (const run of g.owed) run();
  t.match(g.logged, [{ type: 'fire', facts: { active: true, source: 'L1' } }]);
});
