// makeChipCard: the SOD covers DG14 and DG15, and a clone read off the simulated chip passes passive
// authentication (the gateway's) although it fails chip authentication.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { readChip } from '../../../drivers/chip-pcsc/icao/session.js';
import { buildTrustStore, parseCertificate, passiveAuthenticate } from '../../../gateway/credentials/icao/index.js';
import { CccdChip } from '../../../sim/cards/cccd-chip/cccd-chip.js';
import { InProcessCardChannel } from '../../../sim/cards/cccd-chip/in-process-channel.js';
import { cloneChipCard, makeChipCard } from '../../../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A } from '../../../sim/cards/people.js';
import { SEED_PKI_DIR } from '../../../sim/cards/test-pki.js';

const csca = parseCertificate(new X509Certificate(readFileSync(`${SEED_PKI_DIR}csca.cert.pem`)).raw);
if (!csca.ok) throw new Error('test CSCA does not parse');
const trust = buildTrustStore([csca.value]);
const AT = new Date('2026-06-01T00:00:00Z');
const card = await makeChipCard({ person: NGUYEN_VAN_A, signingTime: new Date('2025-06-01T00:00:00Z') });

t.test('the SOD of a chip card covers DG1, DG2, DG13, DG14 and DG15 and passes passive authentication', async (t) => {
  t.same(
    [...card.dataGroups.keys()].sort((a, b) => a - b),
    [1, 2, 13, 14, 15],
  );
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.ok, true, JSON.stringify(pa.steps));
});

t.test(
  'the CAN is the last six digits of the ID and the MRZ key is the 9-digit document number with DOB and expiry',
  async (t) => {
    t.equal(card.can, NGUYEN_VAN_A.id.slice(-6));
    t.equal(card.mrzKey.documentNumber, NGUYEN_VAN_A.id.slice(3));
    t.match(card.mrzKey.dateOfBirth, /^\d{6}$/);
    t.match(card.mrzKey.dateOfExpiry, /^\d{6}$/);
  },
);

t.test(
  'files read off a clone pass passive authentication, but the session reports chip.clone-suspected',
  async (t) => {
    const clone = cloneChipCard(card);
    const pa = passiveAuthenticate({ sod: clone.sod, dataGroups: clone.dataGroups, trust, at: AT });
    t.equal(pa.ok, true, 'passive authentication alone does not see a clone');
    const outcome = await readChip(new InProcessCardChannel(new CccdChip(clone)), { can: clone.can });
    t.equal(outcome.ok ? 'ok' : outcome.reason, 'chip.clone-suspected');
  },
);

t.test('files read off a genuine chip pass passive authentication as read', async (t) => {
  const outcome = await readChip(new InProcessCardChannel(new CccdChip(card)), { can: card.can });
  if (!outcome.ok) return t.fail(outcome.reason);
  const dataGroups = new Map([...outcome.value.dataGroups].map(([n, b]) => [n, Buffer.from(b)]));
  const pa = passiveAuthenticate({ sod: Buffer.from(outcome.value.sod), dataGroups, trust, at: AT });
  t.equal(pa.ok, true, JSON.stringify(pa.steps));
});
