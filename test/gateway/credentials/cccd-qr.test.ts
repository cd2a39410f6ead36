import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { idAgreesWith, parseCccdQr, parseDdMmYyyy } from '../../../gateway/credentials/cccd-qr.js';
import { REASON_CODES } from '../../../gateway/reasons.js';

const NOW = Date.parse('2026-11-28T10:00:00Z');
const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/cccd/cccd_qr_synthetic.json', import.meta.url), 'utf8'),
) as Array<{ raw: string }>;
const [withOldId, withoutOldId, sixFields] = vectors.map((v) => v.raw) as [string, string, string];

t.test('a synthetic QR with an old CMND parses into a claimed (unverified) identity', async (t) => {
  const r = parseCccdQr(withOldId, NOW);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.value.identity.idNumber, '001099012345'); // synthetic ID
  t.equal(r.value.identity.verified, false);
  t.equal(r.value.identity.birthDate, '1999-01-01');
  t.equal(r.value.identity.sex, 'M');
  t.equal(r.value.oldIdPresent, true);
});

t.test('an empty old-CMND field is accepted', async (t) => {
  const r = parseCccdQr(withoutOldId, NOW);
  t.ok(r.ok);
  if (r.ok) t.equal(r.value.identity.sex, 'F');
});

t.test('the 6-field layout some parsers assume is rejected as malformed', async (t) => {
  t.same(parseCccdQr(sixFields, NOW), { ok: false, reason: 'qr.malformed', detail: '6 fields, expected 7' });
});

const fields = withOldId.split('|');
const withField = (i: number, v: string) => fields.map((f, j) => (j === i ? v : f)).join('|');
for (const [name, text, reason] of [
  ['an 11-digit ID', withField(0, '00109901234'), 'qr.bad-id'],
  ['an unknown province code', withField(0, '999099012345'), 'qr.bad-id'],
  ['an ID whose century/sex digit disagrees with the sex', withField(4, 'Nữ'), 'qr.bad-id'],
  ['an old CMND of 8 digits', withField(1, '16800000'), 'qr.bad-old-id'],
  ['an impossible date of birth (31 Feb)', withField(3, '31021999'), 'qr.bad-date'],
  ['a date of birth in the future', withField(3, '01012099'), 'qr.bad-date'],
  ['an issue date before birth', withField(6, '01011990'), 'qr.bad-date'],
  ['a sex that is neither Nam nor Nữ', withField(4, 'M'), 'qr.bad-sex'],
  ['an empty name', withField(2, '  '), 'qr.bad-name'],
] as const) {
  t.test(`${name} is rejected with ${reason}`, async (t) => {
    const r = parseCccdQr(text, NOW);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.reason, reason);
  });
}

t.test('dates are real calendar dates', async (t) => {
  t.equal(parseDdMmYyyy('29022024'), '2024-02-29');
  t.equal(parseDdMmYyyy('29022023'), null);
  t.equal(parseDdMmYyyy('1/1/2000'), null);
});

t.test('the ID encodes century and sex of birth', async (t) => {
  t.ok(idAgreesWith('001099012345', '1999-01-01', 'M')); // synthetic ID
  t.ok(idAgreesWith('035305000001', '2005-03-01', 'F')); // synthetic ID
  t.notOk(idAgreesWith('035305000001', '1905-03-01', 'F')); // synthetic ID
});

const QR_REASONS = new Set(REASON_CODES.filter((r) => r.startsWith('qr.')));

t.test('random text never throws and is never accepted by accident', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseCccdQr(s, NOW);
      return r.ok ? s.split('|').length >= 7 : QR_REASONS.has(r.reason);
    }),
    { numRuns: 2000 },
  );
});

t.test('mutated valid QRs either parse to a consistent identity or fail with a qr.* reason', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: withOldId.length - 1 }),
      fc.string({ maxLength: 3 }),
      fc.integer({ min: 0, max: 2 }),
      (pos, ins, del) => {
        const mutated = withOldId.slice(0, pos) + ins + withOldId.slice(pos + del);
        const r = parseCccdQr(mutated, NOW);
        if (!r.ok) return QR_REASONS.has(r.reason);
        return (
          /^\d{12}$/.test(r.value.identity.idNumber) &&
          idAgreesWith(r.value.identity.idNumber, r.value.identity.birthDate!, r.value.identity.sex!)
        );
      },
    ),
    { numRuns: 3000 },
  );
});
