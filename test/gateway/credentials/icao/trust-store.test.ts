import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { forgetTrustStores, loadTrustStore } from '../../../../gateway/credentials/icao/trust-store.js';
import * as build from '../../../../sim/cards/icao-build.js';

const CSCA_DIR = new URL('../../../fixtures/icao/csca/', import.meta.url).pathname;

t.test('a folder of DER certificates loads and is indexed by subject and key identifier', async (t) => {
  const r = await loadTrustStore(CSCA_DIR);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.certificates.length, 6);
  t.ok([...r.value.bySubject.keys()].some((k) => k.includes('csca-germany')));
  t.ok(r.value.byKeyId.size >= 5);
});

t.test('loading the same path twice returns the same store without re-reading', async (t) => {
  const a = await loadTrustStore(CSCA_DIR);
  const b = await loadTrustStore(CSCA_DIR);
  t.equal(a, b);
});

t.test('PEM bundles and master lists load, unreadable files are reported and skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'icao-trust-'));
  const pem = (der: Buffer) =>
    `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  const a = build.certificate({ cn: 'A', key: build.keyPair({ type: 'ec', curve: 'prime256v1' }), ca: true });
  const b = build.certificate({ cn: 'B', key: build.keyPair({ type: 'ec', curve: 'secp384r1' }), ca: true });
  writeFileSync(join(dir, 'bundle.pem'), pem(a.der) + pem(b.der));
  const c = build.certificate({ cn: 'C', key: build.keyPair({ type: 'rsa' }), ca: true });
  writeFileSync(join(dir, 'list.ml'), build.masterList({ cscas: [c, a], signer: c }));
  writeFileSync(join(dir, 'broken.der'), Buffer.from('3003020101', 'hex'));
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  forgetTrustStores();
  const r = await loadTrustStore(dir);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.certificates.length, 3, 'A, B, C once each');
  t.equal(r.value.problems.length, 1);
  t.match(r.value.problems[0], /broken\.der/);
});

t.test('a path with no certificates fails with a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'icao-empty-'));
  t.match(await loadTrustStore(dir), { ok: false, reason: 'chip.malformed', detail: /no certificates/ });
  t.match(await loadTrustStore(join(dir, 'missing.ml')), { ok: false, reason: 'chip.malformed' });
});

t.test('a single certificate file is a trust store', async (t) => {
  const r = await loadTrustStore(join(CSCA_DIR, 'CSCA_DE_66b09a81.der'));
  t.equal(r.ok && r.value.certificates.length, 1);
  t.ok(readFileSync(join(CSCA_DIR, 'CSCA_DE_66b09a81.der')).length > 0);
});
