import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseCertificate } from '../../../../gateway/credentials/icao/certificate.js';
import { readSingle, value } from '../../../../gateway/credentials/icao/der.js';
import { passiveAuthenticate } from '../../../../gateway/credentials/icao/passive-auth.js';
import { parseSod } from '../../../../gateway/credentials/icao/sod.js';
import { buildTrustStore, loadTrustStore, type TrustStore } from '../../../../gateway/credentials/icao/trust-store.js';
import * as build from '../../../../sim/cards/icao-build.js';

const FIXTURES = new URL('../../../fixtures/icao/', import.meta.url).pathname;
const SHARED_ML = new URL('../../../../../shared/vectors/icao/trust/DE_ML_2026-05-28-08-28-45.ml', import.meta.url)
  .pathname;
const COUNTRIES = ['AT', 'DE', 'FR', 'NZ', 'PH', 'US'];
const AT = new Date('2025-06-01T00:00:00Z');
const sodOf = (c: string) => readFileSync(join(FIXTURES, 'sod', `EF_SOD_${c}.bin`));
const bsi = (f: string) => readFileSync(join(FIXTURES, 'bsi-tr03105', f));

async function fixtureTrust(): Promise<TrustStore> {
  const loaded = await loadTrustStore(join(FIXTURES, 'csca'));
  if (!loaded.ok) throw new Error(loaded.detail);
  return loaded.value;
}

/** Flips the lowest bit of the last byte of `part` where it sits inside `whole`. */
function flipLastByteOf(whole: Buffer, part: Buffer): Buffer {
  const at = whole.indexOf(part);
  if (at < 0) throw new Error('part not found');
  const copy = Buffer.from(whole);
  copy[at + part.length - 1] ^= 0x01;
  return copy;
}

for (const country of COUNTRIES) {
  t.test(`the real ${country} SOD verifies against its CSCA (signature and chain)`, async (t) => {
    const r = passiveAuthenticate({ sod: sodOf(country), dataGroups: new Map(), trust: await fixtureTrust(), at: AT });
    t.equal(r.ok, true, JSON.stringify(r.steps));
    t.equal(r.steps.signature.ok, true);
    t.equal(r.steps.chain.ok, true);
    t.match(r.csca, new RegExp(`C=${country}`));
    t.equal(r.failure, undefined);
  });

  t.test(`the ${country} SOD is rejected after one byte of its eContent changes`, async (t) => {
    const original = sodOf(country);
    const parsed = parseSod(original);
    if (!parsed.ok) throw new Error('fixture does not parse');
    const r = passiveAuthenticate({
      sod: flipLastByteOf(original, parsed.value.eContent),
      dataGroups: new Map(),
      trust: await fixtureTrust(),
      at: AT,
    });
    t.equal(r.ok, false);
    t.equal(r.steps.messageDigest.ok, false);
    t.equal(r.failure, 'chip.bad-signature');
  });

  t.test(`the ${country} SOD is rejected after one byte of its signed attributes changes`, async (t) => {
    const original = sodOf(country);
    const parsed = parseSod(original);
    if (!parsed.ok || !parsed.value.signer.signedAttrsDer) throw new Error('fixture does not parse');
    const attrsContent = value(readSingle(parsed.value.signer.signedAttrsDer));
    const r = passiveAuthenticate({
      sod: flipLastByteOf(original, attrsContent),
      dataGroups: new Map(),
      trust: await fixtureTrust(),
      at: AT,
    });
    t.equal(r.ok, false);
    t.equal(r.steps.signature.ok, false);
    t.equal(r.failure, 'chip.bad-signature');
  });
}

t.test(
  'every real SOD verifies with the full DE master list as trust',
  { skip: existsSync(SHARED_ML) ? false : 'shared master list absent' },
  async (t) => {
    const loaded = await loadTrustStore(SHARED_ML);
    if (!loaded.ok) throw new Error(loaded.detail);
    for (const country of COUNTRIES) {
      const r = passiveAuthenticate({ sod: sodOf(country), dataGroups: new Map(), trust: loaded.value, at: AT });
      t.equal(r.ok, true, `${country}: ${JSON.stringify(r.steps)}`);
    }
  },
);

t.test(
  'BSI TR-03105 set: signature verifies, chain fails without its CSCA, DG1/DG14 match and DG15 is not in the SOD',
  async (t) => {
    const r = passiveAuthenticate({
      sod: bsi('EF_SOD.bin'),
      dataGroups: new Map([
        [1, bsi('EF_DG1.bin')],
        [14, bsi('EF_DG14.bin')],
        [15, bsi('EF_DG15.bin')],
      ]),
      trust: await fixtureTrust(),
      at: AT,
    });
    t.equal(r.steps.signature.ok, true);
    t.match(r.steps.signature.detail, /rsa-pss/);
    t.equal(r.steps.chain.ok, false);
    t.same([r.dataGroups['1'], r.dataGroups['14'], r.dataGroups['15']], ['match', 'match', 'not-in-sod']);
    t.equal(r.dataGroups['2'], 'not-read');
    t.equal(r.csca, null);
    t.equal(r.failure, 'chip.untrusted-signer');
  },
);

t.test('BSI TR-03105 set with only DG1 and DG14 read fails only for the missing CSCA', async (t) => {
  const r = passiveAuthenticate({
    sod: bsi('EF_SOD.bin'),
    dataGroups: new Map([
      [1, bsi('EF_DG1.bin')],
      [14, bsi('EF_DG14.bin')],
    ]),
    trust: await fixtureTrust(),
    at: AT,
  });
  t.equal(r.steps.dataGroups.ok, true);
  t.equal(r.failure, 'chip.untrusted-signer');
});

t.test('a trust store holding only the DSC itself does not make the chain pass', async (t) => {
  const dsc = parseCertificate(bsi('DSC_HJP_PB_DS_0142fd5cf927.cer'));
  if (!dsc.ok) throw new Error('DSC does not parse');
  const r = passiveAuthenticate({
    sod: bsi('EF_SOD.bin'),
    dataGroups: new Map(),
    trust: buildTrustStore([dsc.value]),
    at: AT,
  });
  t.equal(r.steps.signature.ok, true);
  t.equal(r.steps.chain.ok, false, 'a DSC is not its own CSCA');
});

t.test('a data group whose bytes changed reports mismatch and chip.dg-mismatch', async (t) => {
  const dg1 = Buffer.from(bsi('EF_DG1.bin'));
  dg1[dg1.length - 1] ^= 0x01;
  const r = passiveAuthenticate({
    sod: bsi('EF_SOD.bin'),
    dataGroups: new Map([[1, dg1]]),
    trust: await fixtureTrust(),
    at: AT,
  });
  t.equal(r.dataGroups['1'], 'mismatch');
  t.equal(r.steps.dataGroups.ok, false);
});

t.test('a real SOD is untrusted when its CSCA is not in the trust store', async (t) => {
  const other = parseCertificate(
    readFileSync(join(FIXTURES, 'csca', readdirSync(join(FIXTURES, 'csca')).find((f) => f.includes('_FR_'))!)),
  );
  if (!other.ok) throw new Error('fixture');
  const r = passiveAuthenticate({
    sod: sodOf('DE'),
    dataGroups: new Map(),
    trust: buildTrustStore([other.value]),
    at: AT,
  });
  t.equal(r.steps.signature.ok, true);
  t.equal(r.steps.chain.ok, false);
  t.equal(r.failure, 'chip.untrusted-signer');
});

t.test('bytes that are not an EF.SOD fail with chip.malformed and no other step runs', async (t) => {
  const r = passiveAuthenticate({
    sod: Buffer.from('77030102ff', 'hex'),
    dataGroups: new Map(),
    trust: await fixtureTrust(),
    at: AT,
  });
  t.equal(r.ok, false);
  t.equal(r.failure, 'chip.malformed');
  t.equal(r.steps.parse.ok, false);
  t.match(r.steps.signature.detail, /not checked/);
});

// Synthetic documents: every algorithm family the standards allow, without special-casing.
const CARD_DGS = new Map([
  [1, build.dg1('IDVNM0990123459001099012345<<0\n9901018M3901016VNM<<<<<<<<<<<0\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<')],
  [13, build.dg13([[1, build.printable('001099012345')]])], // synthetic ID
]);

function synthetic(opts: {
  cscaKey: build.KeyKind;
  dsKey: build.KeyKind;
  hash: build.Hash;
  style?: build.SignatureStyle;
}) {
  const certStyle = opts.style === 'rsaEncryption' ? 'default' : opts.style;
  const csca = build.certificate({
    cn: 'CSCA',
    key: build.keyPair(opts.cscaKey),
    ca: true,
    hash: opts.hash,
    style: opts.cscaKey.type === 'rsa' ? certStyle : 'default',
  });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair(opts.dsKey),
    issuer: csca,
    serial: 2,
    hash: opts.hash,
    style: opts.cscaKey.type === 'rsa' ? certStyle : 'default',
  });
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds, hash: opts.hash, style: opts.style });
  const cscaCert = parseCertificate(csca.der);
  if (!cscaCert.ok) throw new Error('built CSCA does not parse');
  return passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore([cscaCert.value]), at: AT });
}

const EC_KEYS: build.KeyKind[] = [
  { type: 'ec', curve: 'prime256v1' },
  { type: 'ec', curve: 'secp384r1' },
  { type: 'ec', curve: 'secp521r1' },
  { type: 'ec', curve: 'brainpoolP256r1' },
  { type: 'ec', curve: 'brainpoolP384r1', explicit: true },
  { type: 'ec', curve: 'brainpoolP512r1', explicit: true },
  { type: 'ec', curve: 'brainpoolP256r1', explicit: true },
];
for (const key of EC_KEYS) {
  const label = `${key.type === 'ec' ? key.curve : ''}${key.type === 'ec' && key.explicit ? ' (explicit parameters)' : ''}`;
  t.test(`ECDSA on ${label} verifies in the SOD and the chain`, async (t) => {
    for (const style of ['default', 'ecdsa-plain'] as const) {
      const r = synthetic({ cscaKey: key, dsKey: key, hash: 'sha256', style });
      t.equal(r.ok, true, `${style}: ${JSON.stringify(r.steps)}`);
    }
  });
}

for (const hash of ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const) {
  t.test(`${hash} works for the data group hashes and every signature scheme`, async (t) => {
    const rsa: build.KeyKind = { type: 'rsa' };
    const ec: build.KeyKind = { type: 'ec', curve: 'brainpoolP384r1', explicit: true };
    for (const [cscaKey, dsKey, style] of [
      [rsa, rsa, 'default'],
      [rsa, rsa, 'pss'],
      [rsa, rsa, 'rsaEncryption'],
      [ec, ec, 'default'],
      [rsa, ec, 'default'],
      [ec, rsa, 'default'],
    ] as const) {
      const r = synthetic({ cscaKey, dsKey, hash, style });
      t.equal(r.ok, true, `${cscaKey.type}/${dsKey.type}/${style}: ${JSON.stringify(r.steps)}`);
      t.equal(r.hashAlgorithm, hash);
      t.same(r.dataGroups, { '1': 'match', '13': 'match' });
    }
  });
}

t.test('a DS issued by a new CSCA key verifies through a link certificate in the trust store', async (t) => {
  const oldCsca = build.certificate({
    cn: 'CSCA',
    key: build.keyPair({ type: 'ec', curve: 'brainpoolP256r1' }),
    ca: true,
  });
  const newKey = build.keyPair({ type: 'ec', curve: 'brainpoolP384r1', explicit: true });
  const link = build.certificate({ cn: 'CSCA', key: newKey, issuer: oldCsca, ca: true, serial: 5 });
  const ds = build.certificate({ cn: 'DS', key: build.keyPair({ type: 'rsa' }), issuer: link, serial: 6 });
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds });
  const certs = [oldCsca, link].map((c) => parseCertificate(c.der)).map((r) => (r.ok ? r.value : null)!);
  const r = passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore(certs), at: AT });
  t.equal(r.ok, true, JSON.stringify(r.steps));
  t.match(r.steps.chain.detail, /CN=CSCA/);
});

t.test('a DS issued outside its CSCA validity fails the validity step', async (t) => {
  const csca = build.certificate({
    cn: 'CSCA',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    ca: true,
    notBefore: new Date('2024-01-01Z'),
    notAfter: new Date('2024-06-01Z'),
  });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    issuer: csca,
    serial: 3,
    notBefore: new Date('2024-07-01Z'),
    notAfter: new Date('2034-01-01Z'),
  });
  const c = parseCertificate(csca.der);
  if (!c.ok) throw new Error('fixture');
  const r = passiveAuthenticate({
    sod: build.sod({ dataGroups: CARD_DGS, signer: ds }),
    dataGroups: CARD_DGS,
    trust: buildTrustStore([c.value]),
    at: AT,
  });
  t.equal(r.steps.chain.ok, true);
  t.equal(r.steps.validity.ok, false);
  t.equal(r.failure, 'chip.untrusted-signer');
});

t.test('a document that outlives its DS certificate still passes, with the expiry reported', async (t) => {
  const csca = build.certificate({ cn: 'CSCA', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    issuer: csca,
    serial: 3,
    notBefore: new Date('2024-01-01Z'),
    notAfter: new Date('2024-12-31Z'),
  });
  const c = parseCertificate(csca.der);
  if (!c.ok) throw new Error('fixture');
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds, signingTime: new Date('2024-03-01Z') });
  const r = passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore([c.value]), at: AT });
  t.equal(r.ok, true, JSON.stringify(r.steps));
  t.match(r.steps.validity.detail, /DS not valid at 2025-06-01/);
});

t.test('a SOD signed (signing-time) before its DS certificate was valid fails the validity step', async (t) => {
  const csca = build.certificate({ cn: 'CSCA', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    issuer: csca,
    serial: 3,
    notBefore: new Date('2024-06-01Z'),
  });
  const c = parseCertificate(csca.der);
  if (!c.ok) throw new Error('fixture');
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds, signingTime: new Date('2024-01-01Z') });
  const r = passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore([c.value]), at: AT });
  t.equal(r.steps.validity.ok, false);
});

t.test('a content-type attribute that differs from eContentType fails the contentType step', async (t) => {
  const csca = build.certificate({ cn: 'CSCA', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    issuer: csca,
    serial: 3,
  });
  const c = parseCertificate(csca.der);
  if (!c.ok) throw new Error('fixture');
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds, contentTypeAttr: '1.2.840.113549.1.7.1' });
  const r = passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore([c.value]), at: AT });
  t.equal(r.steps.contentType.ok, false);
  t.equal(r.steps.signature.ok, true);
  t.equal(r.failure, 'chip.bad-signature');
});

t.test('a SOD whose eContentType is not the LDS security object fails the contentType step', async (t) => {
  const csca = build.certificate({ cn: 'CSCA', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const ds = build.certificate({
    cn: 'DS',
    key: build.keyPair({ type: 'ec', curve: 'prime256v1' }),
    issuer: csca,
    serial: 3,
  });
  const c = parseCertificate(csca.der);
  if (!c.ok) throw new Error('fixture');
  const sod = build.sod({ dataGroups: CARD_DGS, signer: ds, eContentType: '1.2.840.113549.1.7.1' });
  const r = passiveAuthenticate({ sod, dataGroups: CARD_DGS, trust: buildTrustStore([c.value]), at: AT });
  t.equal(r.steps.contentType.ok, false);
  t.equal(r.failure, 'chip.bad-signature');
});
