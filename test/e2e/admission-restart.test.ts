// Ticket use counts and presence across restarts of the real daemon (issue #14: they are projections of the
// event log, kept in memory and rebuilt at boot). A stream of decisions runs on one lane while the daemon is
// killed with SIGKILL mid-stream and started again, then stopped cleanly and started again: each time the
// counts read from the file, and the decisions the daemon makes, are what they were before.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EventStore } from '../../gateway/store/event-store.js';
import { type Daemon, startDaemon, writeConfig } from '../../sim/daemon.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { DEVICE_TOKEN, demoConfig, sleep, ticket, until } from '../helpers/harness.js';

if (!hasSocat()) {
  t.plan(0, 'socat is not installed (apt-get install socat): the daemon runs in its own process over pseudo-terminals');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-admission-restart-'));
  const config = demoConfig((c) => {
    c.log.level = 'warn';
    for (const lane of c.gate.lanes) lane.passageTimeoutMs = 1000;
  });
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty') });
  const configFile = writeConfig(rig.config, dir);
  const zone = rig.config.gate.lanes[0]!.zone;
  let daemon: Daemon = await startDaemon(configFile);
  t.teardown(async () => {
    await daemon.stop();
    await rig.stop();
  });

  type Verdict = { decision: 'allow' | 'deny'; reason: string };
  const verify = async (
    token: string,
    direction: 'in' | 'out' = 'in',
    opts: { lane?: string; actuate?: boolean } = {},
  ): Promise<Verdict> => {
    const res = await fetch(`${daemon.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
      body: JSON.stringify({
        lane: opts.lane ?? 'L1',
        direction,
        credential: { kind: 'ticket', token },
        actuate: opts.actuate ?? false,
      }),
    });
    const body = (await res.json()) as Verdict;
    return { decision: body.decision, reason: body.reason };
  };

  /** What the file says once the daemon is down: the projections rebuilt from it, as the next boot will. */
  const countsInFile = (tids: string[]) => {
    const store = new EventStore({ path: rig.config.store.path });
    try {
      return Object.fromEntries(
        tids.map((tid) => [
          tid,
          {
            uses: store.repos.admission.ticketUses(tid),
            inside: store.repos.admission.presence(`tid:${tid}`, zone)?.inside ?? null,
          },
        ]),
      );
    } finally {
      store.closeWithoutCheckpoint();
    }
  };

  t.test(
    'use counts and presence are exactly as before after kill -9 mid-stream and after a clean restart',
    async (t) => {
      const tokens = {
        single: await ticket({ kind: 'single', tid: 'T-rs-single' }),
        three: await ticket({ kind: 'day', tid: 'T-rs-three', uses: 3 }),
        walked: await ticket({ kind: 'single', tid: 'T-rs-walked' }),
        day: await ticket({ kind: 'day', tid: 'T-rs-day' }),
      };
      t.match(await verify(tokens.single), { decision: 'allow' });
      t.match(await verify(tokens.three), { decision: 'allow' });
      t.match(await verify(tokens.three, 'out'), { decision: 'allow' });
      t.match(await verify(tokens.three), { decision: 'allow' }, 'second of three uses');
      t.match(await verify(tokens.day), { decision: 'allow' });
      t.match(await verify(tokens.day, 'out'), { decision: 'allow' });
      t.match(await verify(tokens.day), { decision: 'allow' });
      // An actuated grant nobody walks through: the timeout refunds the use and marks the holder out again.
      t.match(await verify(tokens.walked, 'in', { lane: 'L1', actuate: true }), { decision: 'allow' });
      await until(
        async () => (await verify(tokens.walked)).decision === 'allow',
        10_000,
        'the walked-away use refunded',
      );
      // That check spent the refunded use again; the expected state below counts it.
      const expected = {
        'T-rs-single': { uses: 1, inside: 1 },
        'T-rs-three': { uses: 2, inside: 1 },
        'T-rs-walked': { uses: 1, inside: 1 },
        'T-rs-day': { uses: 2, inside: 1 },
      };

      // A stream of other visitors on L2 while the daemon is killed.
      let streaming = true;
      let streamed = 0;
      const stream = (async () => {
        while (streaming) {
          try {
            await verify(await ticket({ kind: 'single' }), 'in', { lane: 'L2' });
            streamed++;
          } catch {
            // The daemon is gone mid-request: that request was never answered, so nothing was decided for it.
          }
        }
      })();
      await until(() => streamed >= 5, 20_000, 'the stream under way');
      await daemon.kill9();
      streaming = false;
      await stream;

      t.same(countsInFile(Object.keys(expected)), expected, 'the file, rebuilt as at boot, gives the counts of before');
      daemon = await startDaemon(configFile);
      t.match(await verify(tokens.single), { decision: 'deny', reason: 'ticket.uses-exhausted' }, 'single: used up');
      t.match(await verify(tokens.three), { decision: 'deny', reason: 'policy.anti-passback' }, 'three: still inside');
      t.match(await verify(tokens.day), { decision: 'deny', reason: 'policy.anti-passback' }, 'day: still inside');
      t.match(await verify(tokens.three, 'out'), { decision: 'allow' });
      t.match(await verify(tokens.three), { decision: 'allow' }, 'third of three uses');
      t.match(await verify(tokens.three, 'out'), { decision: 'allow' });

      // A clean stop writes the checkpoint; the boot after it loads the tables instead of replaying the log.
      await daemon.stop();
      t.same(countsInFile(['T-rs-three', 'T-rs-single']), {
        'T-rs-three': { uses: 3, inside: 0 },
        'T-rs-single': { uses: 1, inside: 1 },
      });
      daemon = await startDaemon(configFile);
      t.match(await verify(tokens.three), { decision: 'deny', reason: 'ticket.uses-exhausted' }, 'three: used up');
      t.match(await verify(tokens.single), { decision: 'deny', reason: 'ticket.uses-exhausted' });
      t.match(await verify(tokens.walked), { decision: 'deny', reason: 'ticket.uses-exhausted' });
      await sleep(10);
    },
  );
}
