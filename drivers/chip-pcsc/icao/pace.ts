// PACE with the generic mapping over ECDH (ICAO 9303-11 §4.4, worked example in Appendix G.1), AES secure
// messaging afterwards. The terminal's side: MSE:Set AT, then four chained GENERAL AUTHENTICATE steps.
import { SW } from './apdu.js';
import { type CardLink, describeSw } from './card-link.js';
import { curveByParameterId, type KnownCurve, randomScalar } from './curves.js';
import { type AccessKey, KDF_COUNTER, kdf, pacePasswordKey, passwordReference } from './key-derivation.js';
import { abort } from './outcome.js';
import { SecureMessaging } from './secure-messaging.js';
import type { PaceInfo, SmCipher } from './security-infos.js';
import { AES_SUITE, aesCbcDecrypt, cmac8 } from './sm-cipher.js';
import { encodeTlv, findTag, readTlv, readTlvList } from './tlv.js';

export type PaceSetup = { curve: KnownCurve; cipher: SmCipher; info: PaceInfo };

/** The PACEInfo this session can run (ECDH-GM with AES and a curve it knows), or undefined. */
export function choosePace(infos: readonly PaceInfo[]): PaceSetup | undefined {
  for (const info of infos) {
    const curve = info.parameterId !== undefined ? curveByParameterId(info.parameterId) : undefined;
    if (curve && info.cipher && info.cipher !== '3des') return { curve, cipher: info.cipher, info };
  }
  return undefined;
}

/** The authentication token input: 7F49 { 06 oid, 86 public point } (9303-11 §4.4.3.4, §9.4.1). */
export const tokenInput = (oidBytes: Uint8Array, point: Uint8Array) =>
  encodeTlv(0x7f49, encodeTlv(0x06, oidBytes), encodeTlv(0x86, point));

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** One GENERAL AUTHENTICATE step: sends 7C{tag value}, returns the content of the expected reply tag. */
async function generalAuthenticate(
  link: CardLink,
  step: number,
  last: boolean,
  request: Uint8Array,
  replyTag: number,
): Promise<Uint8Array> {
  const response = await link.sendPlain({
    cla: last ? 0x00 : 0x10,
    ins: 0x86,
    p1: 0x00,
    p2: 0x00,
    data: encodeTlv(0x7c, request),
    le: 256,
  });
  if (
    response.sw === SW.verificationFailed ||
    response.sw === SW.securityStatusNotSatisfied ||
    (response.sw & 0xfff0) === 0x63c0
  )
    return abort(
      'chip.access-denied',
      `PACE step ${step}: chip refused (${describeSw(response.sw)}): wrong CAN or MRZ key`,
    );
  if (response.sw !== SW.ok) return abort('chip.malformed', `PACE step ${step}: ${describeSw(response.sw)}`);
  const outer = readTlv(response.data);
  const inner = outer && outer.tag === 0x7c ? readTlvList(outer.value) : null;
  const value = inner ? findTag(inner, replyTag)?.value : undefined;
  if (!value) return abort('chip.malformed', `PACE step ${step}: no 7C/${replyTag.toString(16)} in the answer`);
  return value;
}

function decodePoint(curve: KnownCurve, bytes: Uint8Array, what: string) {
  try {
    const point = curve.curve.Point.fromBytes(bytes);
    point.assertValidity();
    return point;
  } catch {
    return abort('chip.malformed', `PACE: ${what} is not a point on ${curve.name}`);
  }
}

/**
 * Runs PACE; on success the link speaks AES secure messaging with SSC 0. Returns false when the card
 * refuses MSE:Set AT (it does not offer this PACE), so the caller can fall back to BAC.
 */
export async function runPace(
  link: CardLink,
  setup: PaceSetup,
  key: AccessKey,
  random: (n: number) => Uint8Array,
): Promise<boolean> {
  const { curve, cipher, info } = setup;
  const Point = curve.curve.Point;
  // No DO84: with one PACEInfo the card knows its domain parameters, and the published G.1 transcript omits it.
  const mse = await link.sendPlain({
    cla: 0x00,
    ins: 0x22,
    p1: 0xc1,
    p2: 0xa4,
    data: Uint8Array.from([
      ...encodeTlv(0x80, info.oidBytes),
      ...encodeTlv(0x83, Uint8Array.of(passwordReference(key))),
    ]),
  });
  if (mse.sw !== SW.ok && (mse.sw & 0xfff0) !== 0x63c0) return false;

  const encryptedNonce = await generalAuthenticate(link, 1, false, new Uint8Array(0), 0x80);
  if (encryptedNonce.length === 0 || encryptedNonce.length % 16 !== 0)
    return abort('chip.malformed', 'PACE: nonce is not whole AES blocks');
  const kPi = pacePasswordKey(key, cipher);
  const s = aesCbcDecrypt(kPi, new Uint8Array(16), encryptedNonce);
  const nonce = s.reduce((n, b) => (n << 8n) | BigInt(b), 0n) % Point.CURVE().n;
  if (nonce === 0n) return abort('chip.malformed', 'PACE: nonce is zero');

  // Generic mapping: G' = s·G + H, H = SK_PCD,map · PK_PICC,map (9303-11 §4.4.3.3.1).
  const mapKey = randomScalar(curve, random);
  const mapPublic = Point.BASE.multiply(mapKey).toBytes(false);
  const chipMapPublic = decodePoint(
    curve,
    await generalAuthenticate(link, 2, false, encodeTlv(0x81, mapPublic), 0x82),
    'PK_PICC,map',
  );
  const mappedGenerator = Point.BASE.multiply(nonce).add(chipMapPublic.multiply(mapKey));
  if (mappedGenerator.equals(Point.ZERO))
    return abort('chip.malformed', 'PACE: mapped generator is the point at infinity');

  const ephemeralKey = randomScalar(curve, random);
  const ephemeralPublic = mappedGenerator.multiply(ephemeralKey).toBytes(false);
  const chipEphemeralBytes = await generalAuthenticate(link, 3, false, encodeTlv(0x83, ephemeralPublic), 0x84);
  const chipEphemeral = decodePoint(curve, chipEphemeralBytes, 'PK_PICC');
  if (equalBytes(chipEphemeral.toBytes(false), ephemeralPublic))
    return abort('chip.malformed', 'PACE: chip echoed our public key');
  const sharedX = chipEphemeral
    .multiply(ephemeralKey)
    .toBytes(false)
    .subarray(1, 1 + curve.fieldBytes);
  const ksEnc = kdf(sharedX, KDF_COUNTER.enc, cipher);
  const ksMac = kdf(sharedX, KDF_COUNTER.mac, cipher);

  const terminalToken = await cmac8(ksMac, tokenInput(info.oidBytes, chipEphemeral.toBytes(false)));
  const chipToken = await generalAuthenticate(link, 4, true, encodeTlv(0x85, terminalToken), 0x86);
  const expectedChipToken = await cmac8(ksMac, tokenInput(info.oidBytes, ephemeralPublic));
  if (!equalBytes(chipToken, expectedChipToken))
    return abort('chip.access-denied', 'PACE: the chip’s authentication token does not verify (wrong CAN or MRZ key)');
  link.useSecureMessaging(new SecureMessaging({ suite: AES_SUITE, ksEnc, ksMac, ssc: new Uint8Array(16) }));
  return true;
}
