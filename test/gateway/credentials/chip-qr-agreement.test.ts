import fc from 'fast-check';
import t from 'tap';
import {
  canFromCccdId,
  chipDisagreesWithQr,
  cloneExclusion,
  foldedName,
} from '../../../gateway/credentials/chip-qr-agreement.js';
import type { Identity } from '../../../gateway/credentials/identity.js';
import { NGUYEN_VAN_A, syntheticVariant } from '../../../sim/cards/people.js';

/** Another SYNTHETIC person's ID number, for a chip that names someone else. */
const OTHER_ID = syntheticVariant(NGUYEN_VAN_A, 54_321).id;

t.test('the CAN is the last 6 digits of the 12-digit CCCD number', async (t) => {
  t.same(canFromCccdId(NGUYEN_VAN_A.id), { ok: true, value: NGUYEN_VAN_A.id.slice(6) });
  fc.assert(
    fc.property(fc.stringMatching(/^\d{12}$/), (id) => {
      const can = canFromCccdId(id);
      return can.ok && can.value === id.slice(6) && can.value.length === 6;
    }),
  );
});

t.test('anything but 12 digits gives no CAN: qr.bad-id, never a throw', async (t) => {
  const id = NGUYEN_VAN_A.id; // SYNTHETIC
  const fullWidth = [...id].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
  for (const bad of ['', id.slice(1), `${id}6`, `${id.slice(1)}x`, fullWidth])
    t.match(canFromCccdId(bad), { ok: false, reason: 'qr.bad-id' });
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const can = canFromCccdId(s);
      return can.ok === /^\d{12}$/.test(s);
    }),
  );
});

/** The SYNTHETIC person of sim/cards/people.ts, as the printed QR gives them. */
const qr: Identity = {
  idNumber: NGUYEN_VAN_A.id,
  verified: false,
  name: 'Nguyễn Văn A',
  birthDate: NGUYEN_VAN_A.dateOfBirth,
};

t.test('a chip naming the same person as the QR agrees: DG13 with diacritics, or DG1 in MRZ capitals', async (t) => {
  t.same(chipDisagreesWithQr(qr, { ...qr, verified: true, name: 'NGUYỄN VĂN A' }), []);
  t.same(chipDisagreesWithQr(qr, { ...qr, verified: true, name: 'NGUYEN  VAN A' }), [], 'DG1 without DG13');
  t.same(chipDisagreesWithQr({ ...qr, name: 'Đỗ Thị Gia' }, { ...qr, name: 'DO THI GIA' }), [], 'đ folds to D');
});

t.test('each field the chip contradicts is named: ID, name, birth date', async (t) => {
  t.same(chipDisagreesWithQr(qr, { ...qr, idNumber: OTHER_ID }), ['idNumber']);
  t.same(chipDisagreesWithQr(qr, { ...qr, name: 'Nguyễn Văn Bình' }), ['name']);
  t.same(chipDisagreesWithQr(qr, { ...qr, birthDate: '1999-02-03' }), ['birthDate']);
  t.same(chipDisagreesWithQr(qr, { ...qr, name: 'Trần Thị Mẫu', birthDate: '1998-01-01' }), ['name', 'birthDate']);
});

t.test('a field the chip does not carry is not a contradiction; the ID always is compared', async (t) => {
  t.same(chipDisagreesWithQr(qr, { idNumber: qr.idNumber, verified: true }), []);
  t.same(chipDisagreesWithQr(qr, { idNumber: OTHER_ID, verified: true }), ['idNumber']);
});

t.test('folding a name keeps letters only, upper case, single spaces', async (t) => {
  t.equal(foldedName('  Nguyễn   Văn-A '), 'NGUYEN VAN A');
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => /^[A-Z]*( [A-Z]+)*$/.test(foldedName(s))));
});

t.test('clone exclusion: a chip that proved its key goes on, whatever the policy', async (t) => {
  for (const policy of ['deny', 'allow-with-face', 'allow'] as const) {
    t.same(cloneExclusion({ chipAuthentication: 'passed', activeAuthentication: 'skipped' }, policy, false), {
      ok: true,
      value: 'proved',
    });
    t.same(cloneExclusion({ chipAuthentication: 'not-supported', activeAuthentication: 'passed' }, policy, false), {
      ok: true,
      value: 'proved',
    });
  }
});

t.test('clone exclusion: a failed CA or AA is a suspected clone', async (t) => {
  t.match(cloneExclusion({ chipAuthentication: 'failed', activeAuthentication: 'not-supported' }, 'allow', true), {
    ok: false,
    reason: 'chip.clone-suspected',
  });
});

t.test('clone exclusion: neither CA nor AA is decided by policy.chipCloneNotExcluded', async (t) => {
  const neither = { chipAuthentication: 'not-supported', activeAuthentication: 'not-supported' } as const;
  t.match(cloneExclusion(neither, 'deny', true), { ok: false, reason: 'chip.clone-not-excluded' });
  t.match(cloneExclusion(neither, 'allow-with-face', false), { ok: false, reason: 'chip.clone-not-excluded' });
  t.same(cloneExclusion(neither, 'allow-with-face', true), { ok: true, value: 'not-excluded' });
  t.same(cloneExclusion(neither, 'allow', false), { ok: true, value: 'not-excluded' });
});
