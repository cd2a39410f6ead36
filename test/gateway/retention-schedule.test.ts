// The retention timer on its own, with a fake store and a hand-driven timer: it applies the store's retention
// at start and at each tick with the configured limits, keeps going after a failed round, and stops.
import t from 'tap';
import { type Repeat, RetentionSchedule } from '../../gateway/retention-schedule.js';

function fixture(opts: { removed?: number; purged?: number; failing?: boolean } = {}) {
  const limits: Array<{ maxAgeMs: number; maxBytes: number }> = [];
  const purgedAt: number[] = [];
  const infos: Array<{ fields: object; msg: string }> = [];
  const errors: string[] = [];
  const timer = { fn: undefined as undefined | (() => void), ms: 0, cancelled: false };
  const repeat: Repeat = (fn, ms) => {
    timer.fn = fn;
    timer.ms = ms;
    return () => {
      timer.cancelled = true;
    };
  };
  const schedule = new RetentionSchedule({
    store: {
      applyRetention: (l) => {
        limits.push(l);
        if (opts.failing) throw new Error('SQLITE_BUSY');
        return { removed: opts.removed ?? 0 };
      },
    },
    personal: {
      purgeExpired: (now) => {
        purgedAt.push(now);
        return opts.purged ?? 0;
      },
    },
    maxAgeMs: 90 * 86400_000,
    maxBytes: 512 * 1024 * 1024,
    logger: {
      info: (fields: object, msg: string) => infos.push({ fields, msg }),
      error: (_fields: object, msg: string) => errors.push(msg),
    } as never,
    now: () => 42,
    repeat,
  });
  return { schedule, limits, purgedAt, infos, errors, timer };
}

t.test('start applies retention once with the configured limits and schedules it hourly', async (t) => {
  const f = fixture();
  await f.schedule.start();
  t.same(f.limits, [{ maxAgeMs: 90 * 86400_000, maxBytes: 512 * 1024 * 1024 }]);
  t.same(f.purgedAt, [42], 'personal fields purged by the same clock');
  t.equal(f.timer.ms, 3600_000);
  f.timer.fn!();
  f.timer.fn!();
  t.equal(f.limits.length, 3, 'once more per tick');
});

t.test('a round that removed something says so; one that removed nothing is quiet', async (t) => {
  const quiet = fixture();
  await quiet.schedule.start();
  t.same(quiet.infos, []);
  const busy = fixture({ removed: 10, purged: 2 });
  await busy.schedule.start();
  t.same(busy.infos, [{ fields: { removed: 10, purgedPersonal: 2 }, msg: 'retention applied' }]);
});

t.test('a failing round is logged and the schedule goes on', async (t) => {
  const f = fixture({ failing: true });
  await t.resolves(f.schedule.start());
  t.same(f.errors, ['retention failed']);
  f.timer.fn!();
  t.equal(f.limits.length, 2);
});

t.test('stop cancels the timer', async (t) => {
  const f = fixture();
  await f.schedule.start();
  await f.schedule.stop();
  t.ok(f.timer.cancelled);
});
