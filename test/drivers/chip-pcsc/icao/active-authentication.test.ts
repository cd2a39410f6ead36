// Active Authentication signature checks (ICAO 9303-11 §6.1): ECDSA plain r‖s and RSA ISO/IEC 9796-2 scheme 1.
import { constants, createHash, type createPublicKey, generateKeyPairSync, privateEncrypt, sign } from 'node:crypto';
import t from 'tap';
import { verifyActiveAuthentication } from '../../../../drivers/chip-pcsc/icao/active-authentication.js';
import { parseDg15 } from '../../../../drivers/chip-pcsc/icao/security-infos.js';
import { encodeTlv } from '../../../../drivers/chip-pcsc/icao/tlv.js';

const challenge = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

function dg15Of(publicKey: ReturnType<typeof createPublicKey>) {
  const key = parseDg15(encodeTlv(0x6f, publicKey.export({ format: 'der', type: 'spki' })));
  if (!key) throw new Error('DG15 does not parse');
  return key;
}

t.test(
  'an ECDSA (brainpoolP256r1) signature of the challenge verifies; one of another challenge does not',
  async (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const key = dg15Of(publicKey);
    const signature = sign('sha256', challenge, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const sha256Plain = '0.4.0.127.0.7.1.1.4.1.3';
    t.equal(verifyActiveAuthentication(key, challenge, signature, sha256Plain), true);
    t.equal(
      verifyActiveAuthentication(
        key,
        challenge.map((b) => b ^ 1),
        signature,
        sha256Plain,
      ),
      false,
    );
    t.equal(verifyActiveAuthentication(key, challenge, signature.subarray(1), sha256Plain), false, 'a cut signature');
  },
);

t.test('an RSA ISO/IEC 9796-2 scheme 1 signature (SHA-1, trailer BC) verifies; a changed one does not', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const key = dg15Of(publicKey);
  t.equal(key.kind, 'rsa');
  // F = 6A ‖ M1 ‖ SHA-1(M1 ‖ challenge) ‖ BC, as long as the modulus.
  const m1 = Buffer.alloc(128 - 1 - 20 - 1, 0x42);
  const digest = createHash('sha1').update(m1).update(challenge).digest();
  const f = Buffer.concat([Buffer.from([0x6a]), m1, digest, Buffer.from([0xbc])]);
  const signature = privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, f);
  t.equal(verifyActiveAuthentication(key, challenge, signature, undefined), true);
  const other = Buffer.from(f);
  other[10] ^= 1;
  t.equal(
    verifyActiveAuthentication(
      key,
      challenge,
      privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, other),
      undefined,
    ),
    false,
  );
});
