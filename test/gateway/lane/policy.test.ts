import t from 'tap';
import type { GatewayConfig } from '../../../gateway/config/schema.js';
import { allowedUses, applyPolicy, type PolicyFacts } from '../../../gateway/lane/policy.js';
import { demoConfig } from '../../helpers/harness.js';

const cfg = demoConfig();
const side = cfg.gate.lanes[0]!.entry!;
const base: PolicyFacts = { kind: 'ticket', direction: 'in', side, insideZone: false, watchlistHit: false };
const policy = (p: Partial<GatewayConfig['policy']> = {}) => ({ ...cfg.policy, ...p });

t.test('a valid credential on a lane that accepts it is allowed', async (t) => {
  t.same(applyPolicy(policy(), base), { decision: 'allow', reason: 'ok', alarms: [] });
});

t.test('a credential the lane does not accept is denied', async (t) => {
  t.equal(applyPolicy(policy(), { ...base, kind: 'chip' }).reason, 'policy.credential-not-accepted');
});

t.test('anti-passback: a second entry without an exit is denied in hard mode and alarmed', async (t) => {
  const v = applyPolicy(policy(), { ...base, insideZone: true });
  t.equal(v.reason, 'policy.anti-passback');
  t.same(v.alarms, ['anti-passback']);
});

t.test('anti-passback in soft mode allows with an alarm', async (t) => {
  const v = applyPolicy(policy({ antiPassback: { enabled: true, mode: 'soft', resetAfterS: 60 } }), {
    ...base,
    insideZone: true,
  });
  t.equal(v.decision, 'allow');
  t.same(v.alarms, ['anti-passback']);
});

t.test('leaving is never blocked by anti-passback', async (t) => {
  t.equal(
    applyPolicy(policy(), { ...base, direction: 'out', side: cfg.gate.lanes[0]!.exit!, insideZone: true }).decision,
    'allow',
  );
});

t.test('a ticket used as often as it allows is denied', async (t) => {
  t.equal(applyPolicy(policy(), { ...base, ticketUses: { used: 1, allowed: 1 } }).reason, 'ticket.uses-exhausted');
  t.equal(applyPolicy(policy(), { ...base, ticketUses: { used: 5, allowed: null } }).decision, 'allow');
});

t.test('single and train tickets allow one entry unless they say otherwise', async (t) => {
  t.equal(allowedUses('single', undefined), 1);
  t.equal(allowedUses('train', undefined), 1);
  t.equal(allowedUses('day', undefined), null);
  t.equal(allowedUses('multi', 10), 10);
});

t.test("a bound ticket shown with another person's ID is denied with its own reason", async (t) => {
  t.equal(applyPolicy(policy(), { ...base, binding: 'mismatch' }).reason, 'policy.binding-mismatch');
  t.equal(applyPolicy(policy(), { ...base, binding: 'unverified' }).reason, 'policy.binding-unverified');
});

t.test('a watchlist hit alarms silently and denies only when the site says so', async (t) => {
  const alarmOnly = applyPolicy(policy(), { ...base, watchlistHit: true });
  t.equal(alarmOnly.decision, 'allow');
  t.same(alarmOnly.alarms, ['watchlist-hit']);
  t.equal(applyPolicy(policy({ watchlistAction: 'deny' }), { ...base, watchlistHit: true }).reason, 'policy.watchlist');
});

t.test('the printed QR alone opens only where the site allows it', async (t) => {
  t.equal(
    applyPolicy(policy({ cccdQrOpens: false }), { ...base, kind: 'cccd-qr' }).reason,
    'policy.credential-not-accepted',
  );
});
