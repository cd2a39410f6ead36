import fc from 'fast-check';
import t from 'tap';
import { TokenBucket } from '../../gateway/token-bucket.js';

t.test('a full bucket gives its capacity at once, then refills at capacity per period', async (t) => {
  let now = 0;
  const bucket = new TokenBucket(5, 1000, () => now);
  t.same(
    Array.from({ length: 6 }, () => bucket.take()),
    [true, true, true, true, true, false],
  );
  now = 199;
  t.equal(bucket.take(), false, 'under one token refilled');
  now = 200;
  t.equal(bucket.take(), true, 'one token per period / capacity');
  now = 100_000;
  t.equal([...Array(7)].filter(() => bucket.take()).length, 5, 'never more than its capacity');
});

t.test('property: over any span, tokens taken never exceed capacity + span × rate', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 10, max: 10_000 }),
      fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 200 }),
      (capacity, periodMs, steps) => {
        let now = 0;
        const bucket = new TokenBucket(capacity, periodMs, () => now);
        let taken = 0;
        for (const step of steps) {
          now += step;
          if (bucket.take()) taken++;
        }
        return taken <= capacity + Math.floor((now * capacity) / periodMs);
      },
    ),
  );
});

t.test('a clock that goes back neither refills nor breaks it', async (t) => {
  let now = 1000;
  const bucket = new TokenBucket(1, 1000, () => now);
  t.equal(bucket.take(), true);
  now = 0;
  t.equal(bucket.take(), false);
});
