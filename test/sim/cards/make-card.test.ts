import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import sharp from 'sharp';
import t from 'tap';
import {
  buildTrustStore,
  parseCertificate,
  parseDg1,
  parseDg2,
  parseDg13,
  passiveAuthenticate,
} from '../../../gateway/credentials/icao/index.js';
import { buildDg13 } from '../../../sim/cards/data-groups.js';
import { EXPIRED_DATE, makeCard } from '../../../sim/cards/make-card.js';
import { cccdMrz, checkDigit } from '../../../sim/cards/mrz.js';
import { NGUYEN_VAN_A, SYNTHETIC_PEOPLE, TRAN_THI_MAU } from '../../../sim/cards/people.js';
import { SEED_PKI_DIR } from '../../../sim/cards/test-pki.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/chip/${name}`, import.meta.url));
const FACE = fixture('face-small.jpg');
const AT = new Date('2026-06-01T00:00:00Z');
const SIGNED = new Date('2025-06-01T00:00:00Z');

function trustStoreOf(pemFile: string) {
  const parsed = parseCertificate(new X509Certificate(readFileSync(pemFile)).raw);
  if (!parsed.ok) throw new Error(`test CSCA does not parse: ${parsed.detail}`);
  return buildTrustStore([parsed.value]);
}
const trust = trustStoreOf(`${SEED_PKI_DIR}csca.cert.pem`);

/** Reads the LDSSecurityObject's (DG number → hash) pairs straight from the CMS, independent of the gateway's parser. */
function sodHashes(sod: Buffer): Map<number, Buffer> {
  const outer = asn1js.fromBER(new Uint8Array(sod).buffer);
  const contentInfo = new pkijs.ContentInfo({ schema: (outer.result as asn1js.Constructed).valueBlock.value[0] });
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const lso = asn1js.fromBER(signedData.encapContentInfo.eContent!.getValue()).result as asn1js.Sequence;
  const list = lso.valueBlock.value[2] as asn1js.Sequence;
  return new Map(
    list.valueBlock.value.map((entry) => {
      const [n, h] = (entry as asn1js.Sequence).valueBlock.value as [asn1js.Integer, asn1js.OctetString];
      return [n.valueBlock.valueDec, Buffer.from(h.getValue())];
    }),
  );
}

t.test('the MRZ of the vector person matches the shared synthetic TD1 vector line for line', async (t) => {
  const expected = readFileSync(fixture('cccd_td1_mrz_synthetic.txt'), 'utf8').trim().split('\n');
  const p = NGUYEN_VAN_A;
  t.same(
    cccdMrz({
      id: p.id,
      dateOfBirth: p.dateOfBirth,
      sex: p.sex,
      expiry: p.expiry,
      surname: p.surname,
      givenNames: p.givenNames,
    }),
    expected,
  );
});

t.test('the check digit follows 7-3-1 with letters as 10-35 and the filler as 0', async (t) => {
  t.equal(checkDigit('L898902C<'), '3'); // ICAO 9303-11 worked example document number
  t.equal(checkDigit('690806'), '1');
});

t.test('DG13 of the vector person is byte-identical to the shared synthetic DG13 vector', async (t) => {
  t.ok(buildDg13(NGUYEN_VAN_A).equals(readFileSync(fixture('EF_DG13_cccd_synthetic.bin'))));
});

t.test('every synthetic person is marked synthetic and has a 12-digit ID with province code 001', async (t) => {
  for (const p of SYNTHETIC_PEOPLE) {
    t.equal(p.synthetic, true);
    t.match(p.id, /^001\d{9}$/);
  }
});

t.test('the SOD holds the SHA-256 of each data group, tag and length included', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: TRAN_THI_MAU, facePhoto: FACE });
  const hashes = sodHashes(card.sod);
  t.same(
    [...hashes.keys()].sort((a, b) => a - b),
    [1, 2, 13],
  );
  for (const [n, bytes] of card.dataGroups) {
    t.ok(hashes.get(n)?.equals(createHash('sha256').update(bytes).digest()), `DG${n} hash matches`);
  }
});

t.test('a genuine card passes passive authentication with the seeds/pki CSCA as trust', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: TRAN_THI_MAU, facePhoto: FACE });
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.ok, true, JSON.stringify(pa.steps));
  t.equal(pa.failure, undefined);
});

t.test('a card with a tampered DG2 fails passive authentication with chip.dg-mismatch', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: TRAN_THI_MAU, facePhoto: FACE, faults: { tamperDg: 2 } });
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.failure, 'chip.dg-mismatch');
  t.equal(pa.dataGroups['2'] ?? pa.dataGroups.DG2, 'mismatch');
});

t.test('a card with a tampered DG1 fails passive authentication with chip.dg-mismatch', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A, faults: { tamperDg: 1 } });
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.failure, 'chip.dg-mismatch');
});

t.test('a card signed by the rogue document signer fails with chip.untrusted-signer', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A, faults: { untrustedSigner: true } });
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.failure, 'chip.untrusted-signer');
});

t.test('an expired card passes passive authentication but its DG1 expiry lies in the past', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A, faults: { expired: true } });
  const pa = passiveAuthenticate({ sod: card.sod, dataGroups: card.dataGroups, trust, at: AT });
  t.equal(pa.ok, true, "the signature is genuine: expiry is the policy's call (chip.expired)");
  const mrz = parseDg1(card.dataGroups.get(1)!, AT);
  t.ok(mrz.ok);
  if (mrz.ok) t.equal(mrz.value.dateOfExpiry, EXPIRED_DATE);
});

t.test('the gateway parsers read the synthetic DG1, DG2 and DG13 back', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: TRAN_THI_MAU, facePhoto: FACE });
  const dg1 = parseDg1(card.dataGroups.get(1)!, AT);
  const dg2 = parseDg2(card.dataGroups.get(2)!);
  const dg13 = parseDg13(card.dataGroups.get(13)!);
  t.ok(dg1.ok && dg2.ok && dg13.ok, JSON.stringify([dg1, dg2.ok || dg2, dg13.ok || dg13]));
  if (dg2.ok) t.ok(dg2.value.image.equals(card.portrait), 'DG2 carries the portrait JPEG');
});

t.test('the portrait is a 240x320 JPEG re-encoded from the given photo', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: TRAN_THI_MAU, facePhoto: FACE });
  const meta = await sharp(card.portrait).metadata();
  t.same([meta.format, meta.width, meta.height], ['jpeg', 240, 320]);
});

t.test('a card without a photo gets a drawn placeholder portrait', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A });
  const meta = await sharp(card.portrait).metadata();
  t.same([meta.format, meta.width, meta.height], ['jpeg', 240, 320]);
});

t.test('EF.COM lists the tags of DG1, DG2 and DG13', async (t) => {
  const card = await makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A });
  t.ok(card.com.subarray(-5).equals(Buffer.from([0x5c, 0x03, 0x61, 0x75, 0x6d])));
});

t.test('tampering with a data group the card does not have is refused', async (t) => {
  await t.rejects(makeCard({ signingTime: SIGNED, person: NGUYEN_VAN_A, faults: { tamperDg: 7 } }), RangeError);
});
