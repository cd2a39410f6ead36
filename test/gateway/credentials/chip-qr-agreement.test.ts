import fc from 'fast-check';
import t from 'tap';
import {
  canFromCccdId,
  chipDisagreesWithQr,
  cloneExclusion,
  foldedName,
} from '../../../gateway/credentials/chip-qr-agreement.js';
import type { Identity } from '../../../gateway/credentials/identity.js';

t.test('the CAN is the last 6 digits of the 12-digit CCCD number', async (t) => {
  t.same(canFromCccdId('001099012345'), { ok: true, value: '012345' });
  fc.assert(
    fc.property(fc.stringMatching(/^\d{12}$/), (id) => {
      const can = canFromCccdId(id);
      return can.ok && can.value === id.slice(6) && can.value.length === 6;
    }),
  );
});

t.test('anything but 12 digits gives no CAN: qr.bad-id, never a throw', async (t) => {
  for (const bad of ['', '00109901234', '0010990123456', '00109901234x', '００１０９９０１２３４５'])
    t.match(canFromCccdId(bad), { ok: false, reason: 'qr.bad-id' });
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const can = canFromCccdId(s);
      return can.ok === /^\d{12}$/.test(s);
    }),
  );
});

const qr: Identity = {
  idNumber: '001099012345',
  verified: false,
  name: 'Nguyễn Văn A',
  birthDate: '1999-01-01',
};

t.test('a chip naming the same person as the QR agrees: DG13 with diacritics, or DG1 in MRZ capitals', async (t) => {
  t.same(chipDisagreesWithQr(qr, { ...qr, verified: true, name: 'NGUYỄN VĂN A' }), []);
  t.same(chipDisagreesWithQr(qr, { ...qr, verified: true, name: 'NGUYEN  VAN A' }), [], 'DG1 without DG13');
  t.same(chipDisagreesWithQr({ ...qr, name: 'Đỗ Thị Gia' }, { ...qr, name: 'DO THI GIA' }), [], 'đ folds to D');
});

t.test('each field the chip contradicts is named: ID, name, birth date', async (t) => {
  t.same(chipDisagreesWithQr(qr, { ...qr, idNumber: '001099054321' }), ['idNumber']);
  t.same(chipDisagreesWithQr(qr, { ...qr, name: 'Nguyễn Văn Bình' }), ['name']);
  t.same(chipDisagreesWithQr(qr, { ...qr, birthDate: '1999-02-03' }), ['birthDate']);
  t.same(chipDisagreesWithQr(qr, { ...qr, name: 'Trần Thị Mẫu', birthDate: '1998-01-01' }), ['name', 'birthDate']);
});

t.test('a field the chip does not carry is not a contradiction; the ID always is compared', async (t) => {
  t.same(chipDisagreesWithQr(qr, { idNumber: qr.idNumber, verified: true }), []);
  t.same(chipDisagreesWithQr(qr, { idNumber: '001099054321', verified: true }), ['idNumber']);
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
