import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { MAX_SOD_BYTES, parseSod } from '../../../../gateway/credentials/icao/sod.js';

const FIXTURES = new URL('../../../fixtures/icao/', import.meta.url).pathname;
const SODS = ['AT', 'DE', 'FR', 'NZ', 'PH', 'US'].map((c) => readFileSync(join(FIXTURES, 'sod', `EF_SOD_${c}.bin`)));
const BSI = readFileSync(join(FIXTURES, 'bsi-tr03105', 'EF_SOD.bin'));

t.test('the BSI SOD exposes its hash algorithm, data group hashes and RSASSA-PSS signer', async (t) => {
  const r = parseSod(BSI);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.hashAlgorithm, 'sha256');
  t.same(
    [...r.value.dataGroupHashes.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4, 14],
  );
  t.equal(r.value.eContentType, '2.23.136.1.1.1');
  t.equal(r.value.signer.signatureAlgorithm.oid, '1.2.840.113549.1.1.10');
  t.ok(r.value.signer.signatureAlgorithm.params, 'PSS parameters kept');
  t.equal(r.value.signer.signedAttrsDer?.[0], 0x31, 'signed attributes re-tagged as SET');
  t.equal(r.value.certificates.length, 1);
});

t.test('a SOD with BER indefinite lengths (NZ) parses', async (t) => {
  const r = parseSod(SODS[3]);
  t.equal(r.ok, true);
  if (r.ok) t.equal(r.value.dataGroupHashes.size, 6);
});

t.test('the DE SOD uses SHA-384 data group hashes', async (t) => {
  const r = parseSod(SODS[1]);
  t.equal(r.ok && r.value.hashAlgorithm, 'sha384');
});

t.test('a SOD larger than the bound is refused without parsing', async (t) => {
  const r = parseSod(Buffer.alloc(MAX_SOD_BYTES + 1, 0x77));
  t.same(r.ok ? null : r.reason, 'chip.malformed');
  t.match(r.ok ? '' : r.detail, /exceeds/);
});

t.test('trailing bytes after the SOD are refused', async (t) => {
  const r = parseSod(Buffer.concat([BSI, Buffer.from([0])]));
  t.equal(r.ok, false);
});

const clearError = (r: ReturnType<typeof parseSod>) =>
  r.ok || (r.reason === 'chip.malformed' && typeof r.detail === 'string' && r.detail.length > 0);

t.test('random bytes never throw and give chip.malformed with a detail', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => clearError(parseSod(Buffer.from(bytes)))),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
      clearError(parseSod(Buffer.from([0x77, 0x82, 0x01, 0xff, ...bytes]))),
    ),
  );
});

t.test('mutated real SODs never throw: bytes changed, cut or inserted give a value', async () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...SODS, BSI),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      (sod, edits, cut) => {
        const copy = Buffer.from(sod);
        for (const [pos, byte] of edits) copy[pos % copy.length] = byte;
        return clearError(parseSod(copy)) && clearError(parseSod(copy.subarray(0, cut % copy.length)));
      },
    ),
    { numRuns: 1500 },
  );
});
