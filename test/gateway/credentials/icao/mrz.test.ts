import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { checkDigit, parseMrz } from '../../../../gateway/credentials/icao/mrz.js';

const CCCD = readFileSync(new URL('../../../fixtures/icao/cccd/cccd_td1_mrz_synthetic.txt', import.meta.url), 'latin1');
const NOW = new Date('2026-01-01Z');
// ICAO 9303-4 and 9303-5 specimens.
const TD3 = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10';
const TD1 = 'I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<';

t.test('check digits follow 7-3-1 on the ICAO specimen fields', async (t) => {
  t.equal(checkDigit('L898902C3'), 6);
  t.equal(checkDigit('740812'), 2);
  t.equal(checkDigit('120415'), 9);
  t.equal(checkDigit('D23145890'), 7);
  t.equal(checkDigit('<<<<<'), 0);
});

t.test('the ICAO TD3 specimen parses with all fields', async (t) => {
  const r = parseMrz(TD3, NOW);
  if (!r.ok) throw new Error(r.detail);
  t.match(r.value, {
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'UTO',
    documentNumber: 'L898902C3',
    dateOfBirth: '1974-08-12',
    sex: 'F',
    dateOfExpiry: '2012-04-15',
    nationality: 'UTO',
    surname: 'ERIKSSON',
    givenNames: 'ANNA MARIA',
    optionalData: 'ZE184226B',
  });
});

t.test('the ICAO TD1 specimen parses', async (t) => {
  const r = parseMrz(TD1, NOW);
  t.equal(r.ok && r.value.documentNumber, 'D23145890');
  t.equal(r.ok && r.value.personalId, undefined);
});

t.test('a CCCD TD1 MRZ yields the 12-digit ID from the optional data and the 9-digit document number', async (t) => {
  const r = parseMrz(CCCD, NOW);
  if (!r.ok) throw new Error(r.detail);
  t.match(r.value, {
    format: 'TD1',
    documentCode: 'ID',
    issuingState: 'VNM',
    documentNumber: '099012345',
    personalId: '001099012345', // synthetic ID
    dateOfBirth: '1999-01-01',
    sex: 'M',
    dateOfExpiry: '2039-01-01',
    nationality: 'VNM',
    surname: 'NGUYEN',
    givenNames: 'VAN A',
  });
});

t.test('a CCCD whose 12-digit ID does not end in the document number is refused', async (t) => {
  // Change the last digit of the ID in the optional data and recompute the composite check digit.
  const [l1, l2, l3] = CCCD.trim().split('\n');
  const badL1 = l1.slice(0, 26) + '6' + l1.slice(27);
  const composite = checkDigit(badL1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29));
  const r = parseMrz([badL1, l2.slice(0, 29) + composite, l3].join('\n'), NOW);
  t.equal(r.ok, false);
  t.match(r.ok ? '' : r.detail, /12-digit ID/);
});

for (const [what, line, pos] of [
  ['document number', 0, 14],
  ['date of birth', 1, 6],
  ['date of expiry', 1, 14],
  ['composite', 1, 29],
] as const) {
  t.test(`a wrong ${what} check digit is refused naming the field`, async (t) => {
    const lines = CCCD.trim().split('\n');
    const digit = Number(lines[line][pos]);
    lines[line] = lines[line].slice(0, pos) + String((digit + 1) % 10) + lines[line].slice(pos + 1);
    const r = parseMrz(lines.join('\n'), NOW);
    t.equal(r.ok, false);
    t.match(r.ok ? '' : r.detail, new RegExp(what));
  });
}

t.test('a long TD1 document number continued in the optional data is joined', async (t) => {
  const l1Body = 'I<UTOD23145890<AB12';
  const cd = checkDigit('D23145890AB12');
  const l1 = (l1Body + cd).padEnd(30, '<');
  const l2Head = '7408122F1204159UTO<<<<<<<<<<<';
  const l2 = l2Head + checkDigit(l1.slice(5, 30) + l2Head.slice(0, 7) + l2Head.slice(8, 15) + l2Head.slice(18, 29));
  const r = parseMrz([l1, l2, 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'].join('\n'), NOW);
  t.equal(r.ok && r.value.documentNumber, 'D23145890AB12');
});

t.test('an impossible date is refused even with a matching check digit', async (t) => {
  const l2Head = '9913318M3901016VNM<<<<<<<<<<<';
  const [l1, , l3] = CCCD.trim().split('\n');
  const fixDob = l2Head.slice(0, 6) + checkDigit(l2Head.slice(0, 6)) + l2Head.slice(7);
  const l2 = fixDob + checkDigit(l1.slice(5, 30) + fixDob.slice(0, 7) + fixDob.slice(8, 15) + fixDob.slice(18, 29));
  const r = parseMrz([l1, l2, l3].join('\n'), NOW);
  t.match(r.ok ? '' : r.detail, /date of birth is not a real date/);
});

t.test('text of the wrong length or alphabet is refused', async (t) => {
  t.match(parseMrz('ABC'), { ok: false, reason: 'chip.malformed' });
  t.match(parseMrz(TD3.toLowerCase()), { ok: false, reason: 'chip.malformed' });
});

t.test('random and mutated MRZ text never throws', async () => {
  const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<');
  fc.assert(
    fc.property(fc.string({ maxLength: 250 }), (s) => typeof parseMrz(s).ok === 'boolean'),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.array(alphabet, { minLength: 90, maxLength: 90 }),
      (chars) => typeof parseMrz(chars.join('')).ok === 'boolean',
    ),
  );
  fc.assert(
    fc.property(fc.constantFrom(CCCD, TD1, TD3), fc.nat(), alphabet, (mrz, pos, c) => {
      const flat = mrz.replace(/\n/g, '');
      const i = pos % flat.length;
      return typeof parseMrz(flat.slice(0, i) + c + flat.slice(i + 1)).ok === 'boolean';
    }),
    { numRuns: 1000 },
  );
});
