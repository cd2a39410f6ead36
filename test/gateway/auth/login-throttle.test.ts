import t from 'tap';
import { LoginThrottle } from '../../../gateway/auth/login-throttle.js';

const limits = { maxFailures: 3, windowMs: 60_000, maxTracked: 2 };

t.test('a name is refused after maxFailures failures, until the oldest leaves the window', async (t) => {
  const clock = { t: 0 };
  const th = new LoginThrottle(() => clock.t, limits);
  for (let i = 0; i < 3; i++) {
    t.equal(th.retryAfterMs('op'), 0);
    th.recordFailure('op');
    clock.t += 1000;
  }
  t.equal(th.retryAfterMs('op'), 57_000);
  clock.t = 60_001;
  t.equal(th.retryAfterMs('op'), 0);
});

t.test("a success clears the name's failures", async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  th.recordFailure('op');
  th.recordFailure('op');
  th.recordSuccess('op');
  th.recordFailure('op');
  t.equal(th.retryAfterMs('op'), 0);
});

t.test('the number of remembered names is bounded', async (t) => {
  const th = new LoginThrottle(() => 0, { ...limits, maxFailures: 1 });
  th.recordFailure('a');
  th.recordFailure('b');
  th.recordFailure('c');
  t.equal(th.retryAfterMs('a'), 0, 'the oldest name was forgotten');
  t.ok(th.retryAfterMs('c') > 0);
});
