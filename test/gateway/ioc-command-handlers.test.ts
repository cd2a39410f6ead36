// What each IOC verb does to the gate, with a fake gate behind the handlers (the signature, replay and rate
// checks before them are test/gateway/telemetry/commands.test.ts's business).
import t from 'tap';
import { type CommandTargets, iocCommandHandlers } from '../../gateway/ioc-command-handlers.js';
import { CommandRefused } from '../../gateway/telemetry/commands.js';
import type { WatchlistLoad } from '../../gateway/watchlist.js';

const base = { id: 'cmd-00000001', expiresAt: Date.now() + 60_000 };

function fakeGate(watchlist?: CommandTargets['watchlist']) {
  const switched: Array<{ lane: string; on: boolean; by: string; reason: string }> = [];
  const resent: number[] = [];
  const infos: string[] = [];
  const handlers = iocCommandHandlers({
    setFreePassage: (lane, on, by, reason) => {
      if (lane !== 'L1') return false;
      switched.push({ lane, on, by, reason });
      return true;
    },
    resendCountsSince: (since) => {
      resent.push(since);
      return 3;
    },
    watchlist,
    logger: { info: (_fields: object, msg: string) => infos.push(msg) } as never,
  });
  return { handlers, switched, resent, infos };
}

t.test('free passage on a lane this gate has is switched, on and off, named as the IOC', async (t) => {
  const g = fakeGate();
  await g.handlers['free-passage']({ ...base, lane: 'L1', on: true, reason: 'evacuation drill' });
  await g.handlers['free-passage']({ ...base, lane: 'L1', on: false, reason: 'drill over' });
  t.same(g.switched, [
    { lane: 'L1', on: true, by: 'ioc-command', reason: 'evacuation drill' },
    { lane: 'L1', on: false, by: 'ioc-command', reason: 'drill over' },
  ]);
});

t.test('free passage on a lane the gate does not have is refused, not reported as done', async (t) => {
  const g = fakeGate();
  t.throws(
    () => g.handlers['free-passage']({ ...base, lane: 'L9', on: true, reason: 'evacuation drill' }),
    new CommandRefused('no lane L9 on this gate'),
  );
  t.same(g.switched, []);
});

t.test('resend queues the count windows since the given time again', async (t) => {
  const g = fakeGate();
  await g.handlers.resend({ ...base, since: 1_700_000_000_000 });
  t.same(g.resent, [1_700_000_000_000]);
});

t.test('a watchlist is refused when the gate has no signer for it', async (t) => {
  const g = fakeGate(undefined);
  t.throws(() => g.handlers.watchlist({ ...base, jws: 'a.b.c' }), CommandRefused);
});

t.test('a watchlist that does not load is refused; one that loads replaces the list and is logged', async (t) => {
  const loaded: string[] = [];
  const g = fakeGate({
    load: (jws: string): WatchlistLoad => {
      if (jws !== 'good') return { ok: false, reason: 'bad-signature' };
      loaded.push(jws);
      return { ok: true, version: 2, entries: 1 };
    },
  });
  t.throws(() => g.handlers.watchlist({ ...base, jws: 'forged' }), /watchlist not loaded: bad-signature/);
  await g.handlers.watchlist({ ...base, jws: 'good' });
  t.same(loaded, ['good']);
  t.same(g.infos, ['watchlist updated by the IOC']);
});
