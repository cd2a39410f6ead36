// The CSCA trust store: certificates from a folder of DER/PEM files and/or master lists, indexed
// by subject DN and subject key identifier. Every certificate in it is a trust anchor: a master
// list or a folder the operator installed vouches for each entry, and that is how CSCA link
// certificates (new CSCA key signed by the old one) work too: the DS issued under the new key
// finds the link certificate by DN/key identifier and verifies with its key.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fail, ok, type Result } from '../../reasons.js';
import { type Certificate, parseCertificate, pemBlocks } from './certificate.js';
import { errorMessage } from './der.js';
import { parseMasterList } from './master-list.js';

export interface TrustStore {
  certificates: readonly Certificate[];
  bySubject: ReadonlyMap<string, Certificate[]>;
  byKeyId: ReadonlyMap<string, Certificate[]>;
  /** Files or entries that were not loaded, and why (a bad file never aborts the load). */
  problems: string[];
  /** DS fingerprint → the CSCA whose signature on it verified: chain checks are done once per DS. */
  verifiedIssuers: Map<string, Certificate>;
}

const CERT_EXTENSIONS = new Set(['.der', '.cer', '.crt', '.pem']);
const MASTER_LIST_EXTENSIONS = new Set(['.ml']);
const MAX_FILES = 10_000;

export function buildTrustStore(certs: Iterable<Certificate>, problems: string[] = []): TrustStore {
  const certificates: Certificate[] = [];
  const seen = new Set<string>();
  const bySubject = new Map<string, Certificate[]>();
  const byKeyId = new Map<string, Certificate[]>();
  const add = (map: Map<string, Certificate[]>, key: string, c: Certificate) => {
    const list = map.get(key);
    if (list) list.push(c);
    else map.set(key, [c]);
  };
  for (const c of certs) {
    if (seen.has(c.fingerprint)) continue;
    seen.add(c.fingerprint);
    certificates.push(c);
    add(bySubject, c.subject.key, c);
    if (c.subjectKeyId) add(byKeyId, c.subjectKeyId, c);
  }
  return { certificates, bySubject, byKeyId, problems, verifiedIssuers: new Map() };
}

/** Certificates in one file: a master list, a PEM bundle or one DER certificate. */
export function certificatesFromFile(
  name: string,
  bytes: Buffer,
): Result<Certificate[], 'chip.malformed' | 'chip.bad-signature'> {
  if (MASTER_LIST_EXTENSIONS.has(extname(name).toLowerCase())) {
    const ml = parseMasterList(bytes);
    return ml.ok ? ok(ml.value.certificates) : ml;
  }
  const blocks = pemBlocks(bytes) ?? [bytes];
  const certs: Certificate[] = [];
  for (const block of blocks) {
    const c = parseCertificate(block);
    if (!c.ok) return c;
    certs.push(c.value);
  }
  return ok(certs);
}

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (out.length >= MAX_FILES) return;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (
        CERT_EXTENSIONS.has(extname(entry.name).toLowerCase()) ||
        MASTER_LIST_EXTENSIONS.has(extname(entry.name).toLowerCase())
      )
        out.push(full);
    }
  };
  await walk(path);
  return out.sort();
}

async function loadUncached(paths: readonly string[]): Promise<Result<TrustStore, 'chip.malformed'>> {
  const certs: Certificate[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      files = await listFiles(path);
    } catch (e) {
      return fail('chip.malformed', `trust store ${path}: ${errorMessage(e)}`);
    }
    for (const file of files) {
      const loaded = certificatesFromFile(file, await readFile(file));
      if (loaded.ok) certs.push(...loaded.value);
      else problems.push(`${file}: ${loaded.detail ?? loaded.reason}`);
    }
  }
  const store = buildTrustStore(certs, problems);
  if (store.certificates.length === 0)
    return fail('chip.malformed', `no certificates loaded from ${paths.join(', ')}: ${problems.join('; ')}`);
  return ok(store);
}

const cache = new Map<string, Promise<Result<TrustStore, 'chip.malformed'>>>();

/**
 * Loads a trust store from files and/or folders, once per process: later calls with the same
 * paths return the same store (a master list takes ~0.2 s to read, far too slow per card).
 */
export function loadTrustStore(paths: string | readonly string[]): Promise<Result<TrustStore, 'chip.malformed'>> {
  const list = (typeof paths === 'string' ? [paths] : paths).map((p) => resolve(p));
  const key = list.join('\0');
  let pending = cache.get(key);
  if (!pending) {
    pending = loadUncached(list);
    cache.set(key, pending);
  }
  return pending;
}

/** Drops cached stores, e.g. after the operator installed a new master list. */
export function forgetTrustStores(): void {
  cache.clear();
}
