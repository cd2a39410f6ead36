// Synthetic card holders: distinct IDs for tests without writing citizen-like numbers by hand.
import t from 'tap';
import { idAgreesWith } from '../../../gateway/credentials/cccd-qr.js';
import { NGUYEN_VAN_A, syntheticVariant } from '../../../sim/cards/people.js';

t.test(
  'a variant keeps the base ID prefix, takes the serial as the last six digits, and stays marked synthetic',
  async (t) => {
    const v = syntheticVariant(NGUYEN_VAN_A, 42, { givenNames: 'Văn Thử' });
    t.equal(v.id.length, 12);
    t.equal(v.id.slice(0, 6), NGUYEN_VAN_A.id.slice(0, 6));
    t.equal(v.id.slice(6), '000042');
    t.not(v.id, NGUYEN_VAN_A.id);
    t.equal(v.synthetic, true);
    t.equal(v.givenNames, 'Văn Thử');
    t.ok(idAgreesWith(v.id, v.dateOfBirth, v.sex), 'the ID still agrees with the birth date and sex, as a card must');
    t.throws(() => syntheticVariant(NGUYEN_VAN_A, 1_000_000), RangeError);
  },
);
