// Key derivation of ICAO 9303-11 §9.7: the KDF, the BAC key seed from the MRZ and the PACE password key Kπ.
import { createHash } from 'node:crypto';
import type { SmCipher } from './security-infos.js';
import { concatBytes } from './tlv.js';

/** The MRZ fields that form BAC keys and the PACE MRZ password (9303-11 §9.7.2). */
export interface MrzKey {
  /** Document number as printed in the MRZ, `<` fillers included (9 characters on CCCD). */
  documentNumber: string;
  /** YYMMDD. */
  dateOfBirth: string;
  /** YYMMDD. */
  dateOfExpiry: string;
}

export type AccessKey = { kind: 'can'; can: string } | ({ kind: 'mrz' } & MrzKey);

export const KDF_COUNTER = { enc: 1, mac: 2, password: 3 } as const;

const KEY_LENGTH: Record<SmCipher, number> = { '3des': 16, 'aes-128': 16, 'aes-192': 24, 'aes-256': 32 };

/** Sets the low bit of each byte so that every byte has odd parity (DES keys). */
function adjustDesParity(key: Uint8Array): Uint8Array {
  return key.map((b) => {
    let ones = 0;
    for (let v = b >> 1; v > 0; v >>= 1) ones += v & 1;
    return (b & 0xfe) | (ones % 2 === 0 ? 1 : 0);
  });
}

/** KDF(K, c) = H(K ‖ c as 32-bit big endian), cut to the cipher's key length; SHA-1 up to 128 bits, else SHA-256. */
export function kdf(sharedSecret: Uint8Array, counter: number, cipher: SmCipher): Uint8Array {
  const c = new Uint8Array(4);
  new DataView(c.buffer).setUint32(0, counter);
  const hash = cipher === 'aes-192' || cipher === 'aes-256' ? 'sha256' : 'sha1';
  const digest = new Uint8Array(createHash(hash).update(concatBytes(sharedSecret, c)).digest());
  const key = digest.subarray(0, KEY_LENGTH[cipher]);
  return cipher === '3des' ? adjustDesParity(key) : key;
}

/** ICAO 9303-3 §4.9 check digit (weights 7, 3, 1; `<` is 0, letters are 10–35). */
export function mrzCheckDigit(field: string): string {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    const value = ch === '<' ? 0 : /[0-9]/.test(ch) ? Number(ch) : /[A-Z]/.test(ch) ? ch.charCodeAt(0) - 55 : 0;
    sum += value * weights[i % 3];
  }
  return String(sum % 10);
}

/** "MRZ_information": document number, date of birth, expiry, each followed by its check digit. */
export function mrzInformation(mrz: MrzKey): string {
  const documentNumber = mrz.documentNumber.length < 9 ? mrz.documentNumber.padEnd(9, '<') : mrz.documentNumber;
  return [documentNumber, mrz.dateOfBirth, mrz.dateOfExpiry].map((f) => f + mrzCheckDigit(f)).join('');
}

/** BAC (9303-11 §9.7.2 / App. D.2): Kseed = first 16 bytes of SHA-1(MRZ_information); KEnc, KMAC from it. */
export function bacKeys(mrz: MrzKey): { kSeed: Uint8Array; kEnc: Uint8Array; kMac: Uint8Array } {
  const kSeed = new Uint8Array(createHash('sha1').update(mrzInformation(mrz), 'ascii').digest()).subarray(0, 16);
  return { kSeed, kEnc: kdf(kSeed, KDF_COUNTER.enc, '3des'), kMac: kdf(kSeed, KDF_COUNTER.mac, '3des') };
}

/**
 * The PACE password key Kπ = KDF(K, 3) (9303-11 §9.7.3). For the MRZ, K = SHA-1(MRZ_information); for the
 * CAN, K is the CAN's characters themselves, not hashed (a trap several readers fell into).
 */
export function pacePasswordKey(key: AccessKey, cipher: SmCipher): Uint8Array {
  const k =
    key.kind === 'can'
      ? new Uint8Array(Buffer.from(key.can, 'ascii'))
      : new Uint8Array(createHash('sha1').update(mrzInformation(key), 'ascii').digest());
  return kdf(k, KDF_COUNTER.password, cipher);
}

/** MSE:Set AT password reference (9303-11 §4.4.4.1): 01 MRZ, 02 CAN. */
export const passwordReference = (key: AccessKey): number => (key.kind === 'mrz' ? 0x01 : 0x02);
