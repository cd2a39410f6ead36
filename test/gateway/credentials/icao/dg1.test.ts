import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { parseDg1 } from '../../../../gateway/credentials/icao/dg1.js';
import * as build from '../../../../sim/cards/icao-build.js';

const BSI_DG1 = readFileSync(new URL('../../../fixtures/icao/bsi-tr03105/EF_DG1.bin', import.meta.url));
const CCCD = readFileSync(new URL('../../../fixtures/icao/cccd/cccd_td1_mrz_synthetic.txt', import.meta.url), 'latin1');
const NOW = new Date('2026-01-01Z');

t.test('the BSI specimen DG1 (TD3) parses', async (t) => {
  const r = parseDg1(BSI_DG1, NOW);
  if (!r.ok) throw new Error(r.detail);
  t.match(r.value, {
    format: 'TD3',
    issuingState: 'D',
    documentNumber: 'C11T002JM',
    surname: 'MUSTERMANN',
    givenNames: 'ERIKA',
    dateOfBirth: '1996-08-12',
    dateOfExpiry: '2023-10-31',
  });
});

t.test('a CCCD DG1 (TD1) yields the 12-digit personal ID', async (t) => {
  const r = parseDg1(build.dg1(CCCD.trim()), NOW);
  t.equal(r.ok && r.value.personalId, '001099012345'); // synthetic ID
});

t.test('a DG1 without the 5F1F MRZ element is refused', async (t) => {
  const r = parseDg1(build.tlv(0x61, build.tlv(0x5f20, Buffer.from('x'))));
  t.match(r, { ok: false, reason: 'chip.malformed', detail: /5F1F/ });
});

t.test('random and mutated DG1 bytes never throw', async () => {
  const valid = [BSI_DG1, build.dg1(CCCD.trim())];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => typeof parseDg1(Buffer.from(b)).ok === 'boolean'),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), (dg, pos, byte) => {
      const copy = Buffer.from(dg);
      copy[pos % copy.length] = byte;
      const r = parseDg1(copy);
      return r.ok || (r.reason === 'chip.malformed' && Boolean(r.detail));
    }),
    { numRuns: 1000 },
  );
});
