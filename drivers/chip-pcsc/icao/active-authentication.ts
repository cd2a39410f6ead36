// Active Authentication (ICAO 9303-11 §6.1): the chip signs a fresh 8-byte challenge with the private key
// whose public half is in DG15. ECDSA (plain r‖s, hash named by DG14's ActiveAuthenticationInfo) and RSA
// with ISO/IEC 9796-2 scheme 1 (SHA-1 trailer BC, or the hash named in the trailer 0x..CC) are checked.
import { constants, createHash, createPublicKey, publicDecrypt, verify } from 'node:crypto';
import { SW } from './apdu.js';
import { type CardLink, describeSw } from './card-link.js';
import { abort } from './outcome.js';
import { type ActiveAuthenticationKey, OID } from './security-infos.js';

// BSI TR-03111 §5.2.1 ecdsa-plain-SHA*: the last arc names the hash.
const ECDSA_PLAIN_HASH: Record<string, string> = {
  [`${OID.ecdsaPlain}.1`]: 'sha1',
  [`${OID.ecdsaPlain}.2`]: 'sha224',
  [`${OID.ecdsaPlain}.3`]: 'sha256',
  [`${OID.ecdsaPlain}.4`]: 'sha384',
  [`${OID.ecdsaPlain}.5`]: 'sha512',
};
// ISO/IEC 10118-3 hash identifiers used in the two-byte 9796-2 trailer (xx CC).
const TRAILER_HASH: Record<number, { name: string; length: number }> = {
  51: { name: 'sha1', length: 20 },
  52: { name: 'sha256', length: 32 },
  53: { name: 'sha512', length: 64 },
  54: { name: 'sha384', length: 48 },
  56: { name: 'sha224', length: 28 },
};

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Whether `signature` proves the DG15 key signed `challenge`. Never throws. */
export function verifyActiveAuthentication(
  key: ActiveAuthenticationKey,
  challenge: Uint8Array,
  signature: Uint8Array,
  signatureOid: string | undefined,
): boolean {
  try {
    const publicKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
    if (key.kind === 'ec') {
      // 9303-11 §6.1: an ECDSA key needs ActiveAuthenticationInfo; without it SHA-256, what CCCD-era chips use.
      const hash = ECDSA_PLAIN_HASH[signatureOid ?? ''] ?? 'sha256';
      return verify(hash, challenge, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return verifyIso9796Scheme1(publicKey, challenge, signature);
  } catch {
    return false;
  }
}

// ISO/IEC 9796-2 digital signature scheme 1 with partial recovery: F = 6A ‖ M1 ‖ H(M1 ‖ M2) ‖ trailer,
// where M2 is the challenge (9303-11 §6.1.2.1).
function verifyIso9796Scheme1(
  publicKey: ReturnType<typeof createPublicKey>,
  challenge: Uint8Array,
  signature: Uint8Array,
): boolean {
  const f = new Uint8Array(publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature));
  if (f.length < 24 || (f[0] & 0xc0) !== 0x40 || (f[0] & 0x0f) !== 0x0a) return false;
  const last = f[f.length - 1];
  let hash: { name: string; length: number } | undefined;
  let trailerLength = 1;
  if (last === 0xbc) hash = TRAILER_HASH[0x33];
  else if (last === 0xcc) {
    hash = TRAILER_HASH[f[f.length - 2]];
    trailerLength = 2;
  }
  if (!hash) return false;
  const digestEnd = f.length - trailerLength;
  const m1 = f.subarray(1, digestEnd - hash.length);
  const digest = f.subarray(digestEnd - hash.length, digestEnd);
  const expected = new Uint8Array(createHash(hash.name).update(m1).update(challenge).digest());
  return equalBytes(expected, digest);
}

/** Sends INTERNAL AUTHENTICATE with a fresh challenge; true when the chip's signature verifies. */
export async function runActiveAuthentication(
  link: CardLink,
  key: ActiveAuthenticationKey,
  signatureOid: string | undefined,
  random: (n: number) => Uint8Array,
): Promise<boolean> {
  const challenge = random(8);
  const response = await link.send({ cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: challenge, le: 256 });
  if (response.sw !== SW.ok)
    return abort('chip.clone-suspected', `active authentication refused (${describeSw(response.sw)})`);
  return verifyActiveAuthentication(key, challenge, response.data, signatureOid);
}
