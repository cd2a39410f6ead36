// The IOC's commands as the assembled gateway carries them out: refused, not "accepted", when they cannot be.
import pino from 'pino';
import t from 'tap';
import { iocCommandHandlers } from '../../gateway/assemble.js';
import { CommandRefused } from '../../gateway/telemetry/commands.js';

const logger = pino({ level: 'silent' });
const base = { id: 'cmd-00000001', expiresAt: Date.now() + 60_000 };

t.test('free passage on a lane this gate has is carried out; on any other lane it is refused', async (t) => {
  const switched: string[] = [];
  const handlers = iocCommandHandlers(
    {
      logger,
      setFreePassage: (lane: string) => {
        if (lane !== 'L1') return false;
        switched.push(lane);
        return true;
      },
    },
    undefined,
  );
  await handlers['free-passage']({ ...base, lane: 'L1', on: true, reason: 'evacuation drill' });
  t.same(switched, ['L1']);
  t.throws(
    () => handlers['free-passage']({ ...base, lane: 'L9', on: true, reason: 'evacuation drill' }),
    CommandRefused,
  );
});

t.test('a watchlist is refused when the gate has no signer for it, or when it does not load', async (t) => {
  const noSigner = iocCommandHandlers({ logger, setFreePassage: () => true }, undefined);
  t.throws(() => noSigner.watchlist({ ...base, jws: 'a.b.c' }), CommandRefused);
  const loaded: string[] = [];
  const withSigner = iocCommandHandlers({ logger, setFreePassage: () => true }, {
    load: (jws: string) => {
      if (jws !== 'good') return { ok: false, reason: 'bad-signature' };
      loaded.push(jws);
      return { ok: true, version: 2, entries: 1 };
    },
  } as never);
  t.throws(() => withSigner.watchlist({ ...base, jws: 'forged' }), CommandRefused);
  await withSigner.watchlist({ ...base, jws: 'good' });
  t.same(loaded, ['good']);
});
