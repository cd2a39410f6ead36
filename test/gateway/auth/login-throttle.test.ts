// Login backoff per source address: never a lock on an account.
import t from 'tap';
import { type BackoffLimits, LoginThrottle } from '../../../gateway/auth/login-throttle.js';

const limits: BackoffLimits = {
  freeFailuresPerAccount: 3,
  freeFailuresPerSource: 5,
  firstDelayMs: 1000,
  maxDelayMs: 60_000,
  forgetAfterMs: 600_000,
  maxTracked: 100,
};
const fail = (th: LoginThrottle, source: string, name: string, n: number) => {
  for (let i = 0; i < n; i++) th.recordFailure(source, name);
};

t.test(
  'after the free failures an address waits, twice as long after each further failure, up to a ceiling',
  async (t) => {
    const clock = { t: 0 };
    const th = new LoginThrottle(() => clock.t, limits);
    fail(th, '10.0.0.9', 'op', 2);
    t.equal(th.retryAfterMs('10.0.0.9', 'op'), 0, 'two failures are free');
    th.recordFailure('10.0.0.9', 'op');
    t.equal(th.retryAfterMs('10.0.0.9', 'op'), 1000);
    th.recordFailure('10.0.0.9', 'op');
    t.equal(th.retryAfterMs('10.0.0.9', 'op'), 2000);
    clock.t += 1500;
    t.equal(th.retryAfterMs('10.0.0.9', 'op'), 500, 'the wait runs from the last failure');
    fail(th, '10.0.0.9', 'op', 20);
    t.equal(th.retryAfterMs('10.0.0.9', 'op'), 60_000, 'never longer than maxDelayMs');
  },
);

t.test('the right password from another address is never held back by failures elsewhere', async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  fail(th, '10.0.0.9', 'admin', 10);
  t.ok(th.retryAfterMs('10.0.0.9', 'admin') > 0);
  t.equal(th.retryAfterMs('10.0.0.7', 'admin'), 0);
});

t.test('an address spraying many names is slowed for every name, including ones it has not tried', async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) th.recordFailure('10.0.0.9', name);
  t.ok(th.retryAfterMs('10.0.0.9', 'someone-else') > 0);
  t.equal(th.retryAfterMs('10.0.0.8', 'someone-else'), 0);
});

t.test("a success clears that address's record for that name, not its record over all names", async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  const succeed = () => {
    t.equal(th.beginAttempt('10.0.0.9', 'op'), 0);
    th.recordSuccess('10.0.0.9', 'op');
  };
  fail(th, '10.0.0.9', 'op', 2);
  succeed();
  th.recordFailure('10.0.0.9', 'op');
  t.equal(th.retryAfterMs('10.0.0.9', 'op'), 0, 'the pair starts again');
  fail(th, '10.0.0.9', 'op', 1);
  succeed();
  fail(th, '10.0.0.9', 'x', 1);
  t.ok(th.retryAfterMs('10.0.0.9', 'y') > 0, 'five failures from the address still count');
});

t.test('a record with no failure for forgetAfterMs is forgotten', async (t) => {
  const clock = { t: 0 };
  const th = new LoginThrottle(() => clock.t, limits);
  fail(th, '10.0.0.9', 'op', 6);
  clock.t = limits.forgetAfterMs;
  t.equal(th.retryAfterMs('10.0.0.9', 'op'), 0);
  th.recordFailure('10.0.0.9', 'op');
  t.equal(th.retryAfterMs('10.0.0.9', 'op'), 0, 'the count started again');
});

t.test('the number of remembered records is bounded', async (t) => {
  const th = new LoginThrottle(() => 0, { ...limits, freeFailuresPerSource: 1, maxTracked: 2 });
  th.recordFailure('10.0.0.1', 'op');
  th.recordFailure('10.0.0.2', 'op');
  t.equal(th.retryAfterMs('10.0.0.1', 'op'), 0, 'the oldest records were dropped');
  t.ok(th.retryAfterMs('10.0.0.2', 'op') > 0);
});

t.test('an attempt is counted when it begins, so attempts begun together cannot all pass', async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  const waits = Array.from({ length: 6 }, () => th.beginAttempt('10.0.0.9', 'op'));
  t.same(waits.slice(0, 3), [0, 0, 0], 'the free attempts go on');
  t.ok(
    waits.slice(3).every((w) => w > 0),
    'the ones begun after them wait, though no failure has been reported yet',
  );
});

t.test('a successful attempt gives back what it counted against the address', async (t) => {
  const th = new LoginThrottle(() => 0, limits);
  for (let i = 0; i < 4; i++) th.recordFailure('10.0.0.9', `n${i}`);
  t.equal(th.beginAttempt('10.0.0.9', 'op'), 0);
  th.recordSuccess('10.0.0.9', 'op');
  t.equal(th.retryAfterMs('10.0.0.9', 'other'), 0, 'four failures over all names, still under the five free');
  th.recordFailure('10.0.0.9', 'n9');
  t.ok(th.retryAfterMs('10.0.0.9', 'other') > 0, 'the fifth counts');
});
