import fc from 'fast-check';
import t from 'tap';
import { reconnectDelayMs } from '../../../drivers/serial/backoff.js';

const policy = { initialMs: 250, maxMs: 10000 };

t.test('the first retry waits between half and all of the initial delay', async (t) => {
  t.equal(
    reconnectDelayMs(0, policy, () => 0),
    125,
  );
  t.equal(
    reconnectDelayMs(0, policy, () => 1),
    250,
  );
});

t.test('delays double per attempt until the cap', async (t) => {
  t.equal(
    reconnectDelayMs(1, policy, () => 1),
    500,
  );
  t.equal(
    reconnectDelayMs(3, policy, () => 1),
    2000,
  );
  t.equal(
    reconnectDelayMs(10, policy, () => 1),
    10000,
  );
  t.equal(
    reconnectDelayMs(1e9, policy, () => 1),
    10000,
  );
});

t.test('property: the delay always lies within [cap/2, cap] for any attempt and jitter', async () => {
  fc.assert(
    fc.property(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
      const d = reconnectDelayMs(attempt, policy, () => r);
      const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
      return d >= Math.floor(cap / 2) && d <= cap;
    }),
  );
});
