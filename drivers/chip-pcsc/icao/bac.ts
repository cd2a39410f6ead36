// Basic Access Control (ICAO 9303-11 §4.3, worked example in Appendix D): mutual authentication with keys
// from the MRZ, then 3DES secure messaging.
import { SW } from './apdu.js';
import { type CardLink, describeSw } from './card-link.js';
import { bacKeys, KDF_COUNTER, kdf, type MrzKey } from './key-derivation.js';
import { abort } from './outcome.js';
import { SecureMessaging } from './secure-messaging.js';
import { pad, retailMac, TDES_SUITE, tdesDecrypt, tdesEncrypt } from './sm-cipher.js';
import { concatBytes } from './tlv.js';

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Session keys and SSC from the two key halves and the two challenges (9303-11 §9.7.1, §9.8.2). */
export function bacSessionKeys(kIfd: Uint8Array, kIc: Uint8Array, rndIc: Uint8Array, rndIfd: Uint8Array) {
  const seed = kIfd.map((b, i) => b ^ kIc[i]);
  return {
    ksEnc: kdf(seed, KDF_COUNTER.enc, '3des'),
    ksMac: kdf(seed, KDF_COUNTER.mac, '3des'),
    ssc: concatBytes(rndIc.subarray(4, 8), rndIfd.subarray(4, 8)),
  };
}

/** Runs BAC on the selected eMRTD application and switches the link to 3DES secure messaging. */
export async function runBac(link: CardLink, mrz: MrzKey, random: (n: number) => Uint8Array): Promise<void> {
  const { kEnc, kMac } = bacKeys(mrz);
  const challenge = await link.sendPlain({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8 });
  if (challenge.sw !== SW.ok || challenge.data.length !== 8)
    return abort('chip.malformed', `GET CHALLENGE: ${describeSw(challenge.sw)}, ${challenge.data.length} bytes`);
  const rndIc = Uint8Array.from(challenge.data);
  const rndIfd = random(8);
  const kIfd = random(16);
  const eIfd = tdesEncrypt(kEnc, concatBytes(rndIfd, rndIc, kIfd));
  const mIfd = retailMac(kMac, pad(eIfd, 8));
  const answer = await link.sendPlain({
    cla: 0x00,
    ins: 0x82,
    p1: 0x00,
    p2: 0x00,
    data: concatBytes(eIfd, mIfd),
    le: 40,
  });
  if (
    answer.sw === SW.verificationFailed ||
    answer.sw === SW.securityStatusNotSatisfied ||
    (answer.sw & 0xfff0) === 0x63c0
  )
    return abort('chip.access-denied', `BAC: EXTERNAL AUTHENTICATE refused (${describeSw(answer.sw)}): wrong MRZ key`);
  if (answer.sw !== SW.ok || answer.data.length !== 40)
    return abort('chip.malformed', `BAC: EXTERNAL AUTHENTICATE ${describeSw(answer.sw)}, ${answer.data.length} bytes`);
  const eIc = answer.data.subarray(0, 32);
  if (!equalBytes(retailMac(kMac, pad(eIc, 8)), answer.data.subarray(32, 40)))
    return abort('chip.access-denied', 'BAC: the chip’s answer does not carry a MAC under our key');
  const r = tdesDecrypt(kEnc, eIc);
  if (!equalBytes(r.subarray(0, 8), rndIc) || !equalBytes(r.subarray(8, 16), rndIfd))
    return abort('chip.access-denied', 'BAC: the chip’s answer does not return our challenges');
  const keys = bacSessionKeys(kIfd, r.subarray(16, 32), rndIc, rndIfd);
  link.useSecureMessaging(new SecureMessaging({ suite: TDES_SUITE, ...keys }));
}
