// The simulator's synthetic CCCD cards (sim/cards, another engineer's factory) must pass passive
// authentication against the demo CSCA, and each fault must surface as its reason code.
import { existsSync } from 'node:fs';
import t from 'tap';
import { passiveAuthenticate } from '../../../../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore } from '../../../../gateway/credentials/icao/trust-store.js';

const CSCA = new URL('../../../../seeds/pki/csca.cert.pem', import.meta.url).pathname;
const present = existsSync(CSCA) && existsSync(new URL('../../../../sim/cards/make-card.ts', import.meta.url));

t.test(
  'simulated CCCD cards verify, and their faults give the matching reason',
  { skip: present ? false : 'sim/cards or seeds/pki absent' },
  async (t) => {
    const { makeCard } = await import('../../../../sim/cards/make-card.js');
    const { NGUYEN_VAN_A } = await import('../../../../sim/cards/people.js');
    const trust = await loadTrustStore(CSCA);
    if (!trust.ok) throw new Error(trust.detail);
    const verify = async (faults: Record<string, unknown>) => {
      const card = await makeCard({ person: NGUYEN_VAN_A, faults, signingTime: new Date('2025-06-01Z') });
      return passiveAuthenticate({
        sod: card.sod,
        dataGroups: card.dataGroups,
        trust: trust.value,
        at: new Date('2026-01-01Z'),
      });
    };
    const genuine = await verify({});
    t.equal(genuine.ok, true, JSON.stringify(genuine.steps));
    t.same(genuine.dataGroups, { '1': 'match', '2': 'match', '13': 'match' });
    t.equal((await verify({ tamperDg: 2 })).failure, 'chip.dg-mismatch');
    t.equal((await verify({ untrustedSigner: true })).failure, 'chip.untrusted-signer');
  },
);
