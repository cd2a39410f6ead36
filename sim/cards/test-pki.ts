// Loads the DEMO/TEST ONLY PKI committed under seeds/pki/ (see seeds/pki/README.md).
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SEED_PKI_DIR = fileURLToPath(new URL('../../seeds/pki/', import.meta.url));

export interface SigningIdentity {
  certificate: X509Certificate;
  /** DER of the certificate, as embedded in an EF.SOD. */
  certificateDer: Buffer;
  privateKey: KeyObject;
}

export interface TestPki {
  csca: SigningIdentity;
  documentSigner: SigningIdentity;
  rogueCsca: SigningIdentity;
  rogueDocumentSigner: SigningIdentity;
}

async function loadIdentity(dir: string, stem: string): Promise<SigningIdentity> {
  const certificate = new X509Certificate(await readFile(join(dir, `${stem}.cert.pem`)));
  const privateKey = createPrivateKey(await readFile(join(dir, `${stem}.key.pem`)));
  return { certificate, certificateDer: certificate.raw, privateKey };
}

const cache = new Map<string, Promise<TestPki>>();

export function loadTestPki(dir = SEED_PKI_DIR): Promise<TestPki> {
  let pki = cache.get(dir);
  if (!pki) {
    pki = (async () => ({
      csca: await loadIdentity(dir, 'csca'),
      documentSigner: await loadIdentity(dir, 'ds'),
      rogueCsca: await loadIdentity(dir, 'rogue-csca'),
      rogueDocumentSigner: await loadIdentity(dir, 'rogue-ds'),
    }))();
    cache.set(dir, pki);
  }
  return pki;
}
