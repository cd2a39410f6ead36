import t from 'tap';
import { ALL_INACTIVE, inputEdges, inputWindow, snapshotFromBits } from '../../../drivers/turnstile/inputs.js';

const inputs = { passageIn: 4, passageOut: 5, alarm: 6, fireAlarm: 7 };

t.test('one read window covers every configured input', async (t) => {
  t.same(inputWindow(inputs), { start: 4, count: 4 });
  t.same(inputWindow({ passageIn: 1, passageOut: 0 }), { start: 0, count: 2 });
});

t.test('inputs too far apart for one FC02 read are a configuration error', async (t) => {
  t.throws(() => inputWindow({ passageIn: 0, passageOut: 5000 }), RangeError);
});

t.test('bits map to the configured inputs; unconfigured inputs read inactive', async (t) => {
  const w = inputWindow({ passageIn: 1, passageOut: 0 });
  t.same(snapshotFromBits({ passageIn: 1, passageOut: 0 }, w, [false, true]), {
    passageIn: true,
    passageOut: false,
    alarm: false,
    fireAlarm: false,
  });
});

t.test('no change gives no edges', async (t) => {
  t.same(inputEdges(ALL_INACTIVE, ALL_INACTIVE), []);
});

t.test('a fire alarm that rises with a passage is reported first', async (t) => {
  const next = { ...ALL_INACTIVE, fireAlarm: true, passageIn: true };
  t.same(inputEdges(ALL_INACTIVE, next), [
    { kind: 'fireAlarm', active: true },
    { kind: 'passage', direction: 'in', active: true },
  ]);
});

t.test('falling edges are reported with active false', async (t) => {
  t.same(inputEdges({ ...ALL_INACTIVE, passageOut: true, alarm: true }, ALL_INACTIVE), [
    { kind: 'alarm', active: false },
    { kind: 'passage', direction: 'out', active: false },
  ]);
});
