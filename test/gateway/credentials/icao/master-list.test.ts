import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { parseMasterList } from '../../../../gateway/credentials/icao/master-list.js';
import * as build from '../../../../sim/cards/icao-build.js';

const SHARED_ML = new URL('../../../../../shared/vectors/icao/trust/DE_ML_2026-05-28-08-28-45.ml', import.meta.url)
  .pathname;

function smallList() {
  const root = build.certificate({
    cn: 'CSCA Test',
    key: build.keyPair({ type: 'ec', curve: 'brainpoolP256r1', explicit: true }),
    ca: true,
  });
  const other = build.certificate({
    cn: 'CSCA Other',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    ca: true,
    country: 'UT',
  });
  const signer = build.certificate({
    cn: 'Master List Signer',
    key: build.keyPair({ type: 'rsa' }),
    issuer: root,
    serial: 9,
  });
  return build.masterList({ cscas: [root, other], signer });
}

t.test('a signed master list returns its CSCA certificates and names its signer and issuer', async (t) => {
  const r = parseMasterList(smallList());
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.certificates.length, 2);
  t.equal(r.value.signer, 'C=VN, O=Test, CN=Master List Signer');
  t.equal(r.value.signerIssuedBy, 'C=VN, O=Test, CN=CSCA Test');
});

t.test('a master list whose content was altered fails with chip.bad-signature', async (t) => {
  const ml = smallList();
  const at = ml.indexOf(Buffer.from('CSCA Other'));
  ml[at] = 'X'.charCodeAt(0);
  t.match(parseMasterList(ml), { ok: false, reason: 'chip.bad-signature' });
});

t.test('a SignedData that is not a CSCA master list is refused', async (t) => {
  const signer = build.certificate({ cn: 'S', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const notMl = build.signedData({ eContentType: '1.2.840.113549.1.7.1', eContent: build.seq(), signer });
  t.match(parseMasterList(notMl), { ok: false, reason: 'chip.malformed', detail: /not a CSCA master list/ });
});

t.test(
  'the German master list verifies and holds 588 CSCAs',
  { skip: existsSync(SHARED_ML) ? false : 'shared master list absent' },
  async (t) => {
    const r = parseMasterList(readFileSync(SHARED_ML));
    if (!r.ok) throw new Error(r.detail);
    t.equal(r.value.certificates.length, 588);
    t.match(r.value.signerIssuedBy, /csca-germany/);
  },
);

t.test('random and mutated master list bytes never throw', async () => {
  const valid = smallList();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => typeof parseMasterList(Buffer.from(b)).ok === 'boolean'),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (edits, cut) => {
        const copy = Buffer.from(valid);
        for (const [pos, byte] of edits) copy[pos % copy.length] = byte;
        return [parseMasterList(copy), parseMasterList(copy.subarray(0, cut % copy.length))].every(
          (r) => r.ok || ((r.reason === 'chip.malformed' || r.reason === 'chip.bad-signature') && Boolean(r.detail)),
        );
      },
    ),
    { numRuns: 500 },
  );
});
