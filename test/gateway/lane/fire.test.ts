// The fire panel input on any lane's board frees every lane of the gate, logged; clearing it locks them again.
import t from 'tap';
import { startHarness, until } from '../../helpers/harness.js';

const h = await startHarness();
t.teardown(() => h.stop());
const boards = [...h.rig.lanes.values()].map((l) => l.turnstile);

t.test('a fire alarm puts every lane in free passage, logs it and raises an alarm', async (t) => {
  h.rig.lane('L2').turnstile.setFireAlarm(true);
  await until(() => boards.every((b) => b.isUnlocked('in') && b.isUnlocked('out')), 5000, 'all arms held open');
  const fire = h.gateway.core.store.query({ type: 'fire', limit: 5 });
  t.match(fire[0], { facts: { active: true, source: 'L2' } });
  t.ok(h.gateway.core.store.query({ type: 'alarm', limit: 10 }).some((e) => e.facts.kind === 'fire-alarm'));
  t.ok([...h.gateway.core.lanes.values()].every((l) => l.freePassage));
});

t.test('people leaving during the alarm are counted as free-passage passages', async (t) => {
  await h.rig.lane('L1').turnstile.pass('out');
  await until(() => h.gateway.core.store.query({ type: 'passage', limit: 5 }).length > 0, 5000, 'passage');
  t.match(h.gateway.core.store.query({ type: 'passage', limit: 1 })[0], {
    direction: 'out',
    facts: { via: 'free-passage' },
  });
  t.notOk(
    h.gateway.core.store.query({ type: 'alarm', limit: 20 }).some((e) => e.facts.kind === 'forced-passage'),
    'not a forced passage',
  );
});

t.test('when the fire input clears, the lanes lock again and that is logged too', async (t) => {
  h.rig.lane('L2').turnstile.setFireAlarm(false);
  await until(() => boards.every((b) => !b.isUnlocked('in') && !b.isUnlocked('out')), 5000, 'all arms locked');
  t.match(h.gateway.core.store.query({ type: 'fire', limit: 1 })[0], { facts: { active: false } });
  t.ok([...h.gateway.core.lanes.values()].every((l) => !l.freePassage));
});
