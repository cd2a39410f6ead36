// Generates the DEMO/TEST ONLY PKI under seeds/pki/: a test CSCA, a Document Signer it issued, and a
// rogue CSCA/DS pair nobody trusts (for the untrusted-signer fault). The files are committed so tests
// and the demo do not regenerate them; run this only to replace them:
//   node --import tsx sim/cards/make-test-pki.ts [outDir]
// ECDSA P-256: WebCrypto (and so @peculiar/x509) has no brainpool curves. Real CCCD/passport PKIs use
// brainpool or RSA; passive authentication in gateway/credentials/icao handles those through node:crypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// Fixed, long windows so the committed files and every test using them stay valid until 2045.
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2045-01-01T00:00:00Z');

export const DEFAULT_PKI_DIR = fileURLToPath(new URL('../../seeds/pki/', import.meta.url));

interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function makeCsca(name: string, serial: string): Promise<Issued> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function makeDocumentSigner(name: string, serial: string, csca: Issued): Promise<Issued> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: name,
    issuer: csca.cert.subject,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: csca.keys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(csca.keys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

async function save(dir: string, stem: string, issued: Issued): Promise<void> {
  await writeFile(join(dir, `${stem}.cert.pem`), issued.cert.toString('pem') + '\n');
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', issued.keys.privateKey);
  await writeFile(join(dir, `${stem}.key.pem`), pem('PRIVATE KEY', pkcs8), { mode: 0o600 });
}

export async function makeTestPki(dir = DEFAULT_PKI_DIR): Promise<void> {
  await mkdir(dir, { recursive: true });
  const csca = await makeCsca('C=VN, O=gate06 DEMO TEST ONLY, CN=gate06 TEST CSCA (not a real trust anchor)', '01');
  const ds = await makeDocumentSigner('C=VN, O=gate06 DEMO TEST ONLY, CN=gate06 TEST Document Signer 01', '1001', csca);
  const rogueCsca = await makeCsca('C=VN, O=gate06 DEMO TEST ONLY, CN=gate06 ROGUE CSCA (never trusted)', '66');
  const rogueDs = await makeDocumentSigner(
    'C=VN, O=gate06 DEMO TEST ONLY, CN=gate06 ROGUE Document Signer',
    '6601',
    rogueCsca,
  );
  await save(dir, 'csca', csca);
  await save(dir, 'ds', ds);
  await save(dir, 'rogue-csca', rogueCsca);
  await save(dir, 'rogue-ds', rogueDs);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? DEFAULT_PKI_DIR;
  await makeTestPki(dir);
  console.log(`DEMO/TEST ONLY PKI written to ${dir}`);
}
