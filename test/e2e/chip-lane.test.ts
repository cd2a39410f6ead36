// CCCD chip cards at a lane, end to end over socat pseudo-terminals (the mock binding without socat):
// the virtual reader sends synthetic cards over the framed protocol, the gateway runs passive authentication.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { composeGateway } from '../../gateway/compose.js';
import { keyedIdHash } from '../../gateway/credentials/identity.js';
import type { Alarm, DecisionRecord } from '../../gateway/events.js';
import { createLogger } from '../../gateway/logger.js';
import { signWatchlist } from '../../gateway/watchlist.js';
import { makeCard, type SyntheticCard } from '../../sim/cards/make-card.js';
import { NGUYEN_VAN_A, TRAN_THI_MAU } from '../../sim/cards/people.js';
import type { ReaderFault } from '../../sim/devices/virtual-chip-reader.js';
import { SimRig } from '../../sim/rig.js';
import { demoConfig, ROOT, ticket } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'gate06-chip-'));
const SITE_KEY = 'DEMO-site-key-not-for-production-0001';
const watchlisted = { ...TRAN_THI_MAU };
const watchlistFile = join(dir, 'watchlist.jws');
writeFileSync(
  watchlistFile,
  signWatchlist(join(ROOT, 'seeds/ioc/demo-ioc.private.jwk.json'), {
    version: 3,
    site: 'hn-tamchuc',
    issuedAt: Date.now(),
    hashes: [keyedIdHash(Buffer.from(SITE_KEY), watchlisted.id)],
  }),
);
const config = demoConfig((c) => {
  c.site.kind = 'station';
  c.watchlist = { file: watchlistFile, signerJwksFile: join(ROOT, 'seeds/ioc/jwks.json') };
  // L1 entry: the station's ticket barrier with a chip reader: a bound train ticket needs the holder's card.
  c.gate.lanes[0]!.entry!.chipReader = { path: '/dev/serial/by-id/usb-demo-chip-L1-in', baudRate: 115200 };
  c.gate.lanes[0]!.entry!.accepts = ['ticket'];
});
const rig = await SimRig.start(config, {
  transport: SimRig.defaultTransport(),
  dir: join(dir, 'tty'),
  chipHeartbeatMs: 1000,
});
const gateway = await composeGateway({ config: rig.config, logger: createLogger('warn'), devices: rig.devices });
await gateway.start();
t.teardown(async () => {
  await gateway.stop();
  await rig.stop();
});
t.comment(`transport: ${rig.transport}`);

const signingTime = new Date('2026-01-05T00:00:00Z');
const next = <T>(event: 'decision.made' | 'alarm.raised'): Promise<T> =>
  new Promise((resolve) => {
    const owner = {};
    gateway.core.bus.on(owner, event, (d) => {
      gateway.core.bus.removeOwner(owner);
      resolve(d as T);
    });
  });
const present = async (lane: string, card: SyntheticCard, fault?: ReaderFault): Promise<DecisionRecord> => {
  const decided = next<DecisionRecord>('decision.made');
  await rig.lane(lane).chip.in!.present(card, fault ? { fault } : {});
  return decided;
};

t.test('a genuine synthetic card passes passive authentication and opens the lane', async (t) => {
  const d = await present('L2', await makeCard({ person: NGUYEN_VAN_A, signingTime }));
  t.match(d, { decision: 'allow', reason: 'ok', credential: 'chip', idMasked: '001******345' });
  t.match(d.facts, { pa: 'ok', document: 'valid' });
  await rig.lane('L2').turnstile.pass('in');
});

for (const [name, faults, reason] of [
  ['a tampered data group', { tamperDg: 1 }, 'chip.dg-mismatch'],
  ['an SOD signed by an untrusted key', { untrustedSigner: true }, 'chip.untrusted-signer'],
  ['an expired card', { expired: true }, 'chip.expired'],
] as const) {
  t.test(`${name} is denied with ${reason}`, async (t) => {
    const person = { ...NGUYEN_VAN_A, id: '001099054321' }; // synthetic ID
    const d = await present('L2', await makeCard({ person, faults, signingTime }));
    t.match(d, { decision: 'deny', reason, credential: 'chip' });
  });
}

t.test('a truncated frame is denied with chip.read-failed, and the next card still reads', async (t) => {
  const card = await makeCard({ person: { ...NGUYEN_VAN_A, id: '001099077777' }, signingTime }); // synthetic ID
  const d = await present('L2', card, 'truncated-frame');
  t.match(d, { decision: 'deny', reason: 'chip.read-failed', facts: { readError: 'frame.truncated' } });
  await new Promise((r) => setTimeout(r, 2100));
  const again = await present('L2', card);
  t.match(again, { decision: 'allow' });
  await rig.lane('L2').turnstile.pass('in');
});

t.test('station: a train ticket bound to another ID is denied; bound to the card holder it opens', async (t) => {
  const other = await ticket({ kind: 'train', holderId: '001099099999' }); // synthetic ID
  await rig.lane('L1').qr.in!.scan(other);
  const denied = await present('L1', await makeCard({ person: { ...NGUYEN_VAN_A, id: '001099088888' }, signingTime })); // synthetic ID
  t.match(denied, { decision: 'deny', reason: 'policy.binding-mismatch', credential: 'ticket' });
  const mine = await ticket({ kind: 'train', holderId: '001099066666' }); // synthetic ID
  await rig.lane('L1').qr.in!.scan(mine);
  const allowed = await present('L1', await makeCard({ person: { ...NGUYEN_VAN_A, id: '001099066666' }, signingTime })); // synthetic ID
  t.match(allowed, { decision: 'allow', credential: 'ticket', facts: { binding: 'match' } });
  await rig.lane('L1').turnstile.pass('in');
});

t.test('a watchlisted card raises a silent watchlist alarm without personal data', async (t) => {
  const alarm = next<Alarm>('alarm.raised');
  const d = await present('L2', await makeCard({ person: watchlisted, signingTime }));
  t.equal(d.decision, 'allow', 'site policy here: alarm only');
  t.equal(d.facts.watchlistHit, true, "the hit is in the decision's own facts, for its event detail");
  const a = await alarm;
  t.equal(a.kind, 'watchlist-hit');
  t.notMatch(JSON.stringify(a), new RegExp(watchlisted.id));
});
