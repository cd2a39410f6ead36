// Which signed status messages may change a gate's state at the IOC: a replayed old one may not, a gate that
// rebooted with its clock behind (before NTP) may.
import t from 'tap';
import { StatusLedger } from '../../collector/status-ledger.js';

const HOUR = 3_600_000;
const T0 = 1_780_000_000_000;
const online = (bootId: string, ts: number, bootSeq?: number, link = `link-${bootId}`) =>
  ({ state: 'online', bootId, ts, link, ...(bootSeq === undefined ? {} : { bootSeq }) }) as const;
const offline = (bootId: string, ts: number, bootSeq?: number, link = `link-${bootId}`) =>
  ({ state: 'offline', bootId, ts, link, ...(bootSeq === undefined ? {} : { bootSeq }) }) as const;

t.test('a gate that rebooted with its clock an hour behind comes online: its start counter is higher', async (t) => {
  const ledger = new StatusLedger();
  t.match(ledger.judge('s', 'g', online('boot-7', T0, 7)), { ok: true });
  t.match(ledger.judge('s', 'g', offline('boot-7', T0 + 60_000, 7)), { ok: true });
  t.match(ledger.judge('s', 'g', online('boot-8', T0 - HOUR, 8)), { ok: true });
});

t.test('a replayed online status of an earlier boot is refused: older by counter and by clock', async (t) => {
  const ledger = new StatusLedger();
  t.match(ledger.judge('s', 'g', online('boot-6', T0 - 2 * HOUR, 6)), { ok: true });
  t.match(ledger.judge('s', 'g', online('boot-7', T0, 7)), { ok: true });
  t.match(ledger.judge('s', 'g', online('boot-6', T0 - 2 * HOUR, 6)), {
    ok: false,
    reason: 'status-replay',
    detail: /older than the online status in force/,
  });
});

t.test('without start counters the clock alone decides, as with gates from before bootSeq', async (t) => {
  const ledger = new StatusLedger();
  t.match(ledger.judge('s', 'g', online('boot-a', T0)), { ok: true });
  t.match(ledger.judge('s', 'g', online('boot-b', T0 - HOUR)), { ok: false, reason: 'status-replay' });
  t.match(ledger.judge('s', 'g', online('boot-b', T0 - HOUR, 9)), { ok: false }, 'the one in force has no counter');
});

t.test('the same boot cannot go back in time by claiming a higher counter', async (t) => {
  const ledger = new StatusLedger();
  t.match(ledger.judge('s', 'g', online('boot-7', T0, 7, 'link-2')), { ok: true });
  t.match(ledger.judge('s', 'g', online('boot-7', T0 - 60_000, 8, 'link-1')), { ok: false, reason: 'status-replay' });
});

t.test('an offline status counts only for the boot in force, whatever its counter says', async (t) => {
  const ledger = new StatusLedger();
  t.match(ledger.judge('s', 'g', online('boot-8', T0, 8)), { ok: true });
  t.match(ledger.judge('s', 'g', offline('boot-7', T0 + 1, 99)), { ok: false, reason: 'status-replay' });
});
