// TEST ONLY certificates for TLS tests, generated at test time (nothing is committed): a CA, server
// certificates for 127.0.0.1 and client certificates it issues, all ECDSA P-256. Keys come out as PKCS#8 PEM,
// certificates as PEM, so they can be written to files and handed to config or to node:tls as they are.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface PemPair {
  /** certificate, PEM */
  cert: string;
  /** private key, PKCS#8 PEM */
  key: string;
}

export interface TestCa extends PemPair {
  name: string;
  /** A certificate for 127.0.0.1 / localhost that a TLS server can present. */
  issueServer(cn?: string): Promise<PemPair>;
  /** A certificate for TLS client authentication with this subject CN. */
  issueClient(cn: string): Promise<PemPair>;
}

function serial(): string {
  // positive (high bit clear), non-zero
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 60 * 60_000), notAfter: new Date(now + 24 * 60 * 60_000) };
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A self-signed CA named `CN=<cn>`. */
export async function createTestCa(cn = 'gate06 test CA'): Promise<TestCa> {
  const name = `CN=${cn}`;
  const caKeys = await newKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const issue = async (subject: string, extensions: x509.Extension[]): Promise<PemPair> => {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: caCert.subject,
      ...validity(),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ...extensions,
      ],
    });
    return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
  };

  return {
    name,
    cert: caCert.toString('pem'),
    key: await keyPem(caKeys.privateKey),
    issueServer: (serverCn = '127.0.0.1') =>
      issue(`CN=${serverCn}`, [
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ]),
    issueClient: (clientCn) =>
      issue(`CN=${clientCn}`, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]),
  };
}

/** Writes `<stem>.cert.pem` and `<stem>.key.pem` (0600) into `dir` and returns their paths. */
export function writePemPair(dir: string, stem: string, pair: PemPair): { cert: string; key: string } {
  const cert = join(dir, `${stem}.cert.pem`);
  const key = join(dir, `${stem}.key.pem`);
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key, { mode: 0o600 });
  return { cert, key };
}
