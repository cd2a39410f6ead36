import t from 'tap';
import { LogThrottle } from '../../gateway/log-throttle.js';

t.test('one line per key and period, and the next one says how many were held back', async (t) => {
  let now = 0;
  const lines = new LogThrottle({ everyMs: 10_000, monotonicNow: () => now });
  t.equal(lines.pass('L1'), 0, 'the first line goes through');
  for (let i = 0; i < 500; i++) t.equal(lines.pass('L1'), null);
  t.equal(lines.pass('L2'), 0, 'another key is not held back by the first');
  now = 9_999;
  t.equal(lines.pass('L1'), null, 'still inside the period');
  now = 10_000;
  t.equal(lines.pass('L1'), 501, 'the held-back count comes with the next line');
  t.equal(lines.pass('L1'), null);
});

t.test('keys are bounded: past the bound, keys whose period is over go first, then the oldest', async (t) => {
  let now = 0;
  const lines = new LogThrottle({ everyMs: 1000, maxKeys: 2, monotonicNow: () => now });
  lines.pass('a');
  now = 500;
  lines.pass('b');
  now = 1200;
  t.equal(lines.pass('c'), 0, 'a third key: `a`, whose period is over, is forgotten');
  t.equal(lines.pass('b'), null, '`b` is still remembered and held back');
  now = 1300;
  t.equal(lines.pass('d'), 0, 'every period still running: the oldest (`b`) goes');
  t.equal(lines.pass('b'), 0, '`b` was forgotten, so it goes through again');
});

t.test('the period is not bent by a wall-clock step: its default clock is monotonic', async (t) => {
  const wallNow = Date.now;
  let wallStep = 0;
  Date.now = () => wallNow() + wallStep;
  t.teardown(() => {
    Date.now = wallNow;
  });
  const lines = new LogThrottle({ everyMs: 40 });
  t.equal(lines.pass('L1'), 0);
  wallStep = 10 * 60_000;
  t.equal(lines.pass('L1'), null, 'a step forward does not end the period');
  wallStep = -10 * 60_000;
  await new Promise((r) => setTimeout(r, 60));
  t.equal(lines.pass('L1'), 1, 'a step back does not stretch it: the next line goes through once 40 ms have passed');
});
