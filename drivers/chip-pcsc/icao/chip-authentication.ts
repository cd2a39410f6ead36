// Chip Authentication v1 with ECDH (ICAO 9303-11 §6.2): an ephemeral key agreed with the chip's static DG14
// key; secure messaging restarts under keys only the holder of that key can derive. The proof is implicit:
// the next protected command fails unless the chip really holds the private key (CardLink reports that as
// chip.clone-suspected).
import { SW } from './apdu.js';
import { type CardLink, describeSw } from './card-link.js';
import { randomScalar } from './curves.js';
import { KDF_COUNTER, kdf } from './key-derivation.js';
import { abort } from './outcome.js';
import { SecureMessaging } from './secure-messaging.js';
import type { ChipAuthenticationInfo, ChipAuthenticationPublicKey, SecurityInfos } from './security-infos.js';
import { AES_SUITE, TDES_SUITE } from './sm-cipher.js';
import { concatBytes, encodeTlv } from './tlv.js';

export interface ChipAuthenticationPlan {
  info: ChipAuthenticationInfo;
  publicKey: ChipAuthenticationPublicKey;
}

/** Pairs a CA info with its public key (by keyId when there are several); undefined when DG14 offers no CA. */
export function planChipAuthentication(dg14: SecurityInfos): ChipAuthenticationPlan | undefined {
  for (const info of dg14.chipAuthentication) {
    if (!info.cipher) continue;
    const publicKey =
      info.keyId === undefined
        ? dg14.chipAuthenticationKeys[0]
        : dg14.chipAuthenticationKeys.find((k) => k.keyId === info.keyId);
    if (publicKey) return { info, publicKey };
  }
  return undefined;
}

export async function runChipAuthentication(
  link: CardLink,
  plan: ChipAuthenticationPlan,
  random: (n: number) => Uint8Array,
): Promise<void> {
  const { curve, point } = plan.publicKey.key;
  const cipher = plan.info.cipher ?? 'aes-128';
  const ephemeralKey = randomScalar(curve, random);
  const ephemeralPublic = curve.curve.Point.BASE.multiply(ephemeralKey).toBytes(false);
  const keyReference =
    plan.info.keyId !== undefined ? encodeTlv(0x84, Uint8Array.of(plan.info.keyId)) : new Uint8Array(0);

  if (cipher === '3des') {
    // 3DES: MSE:Set KAT carries the ephemeral key itself (9303-11 §6.2.4.1).
    const kat = await link.send({
      cla: 0x00,
      ins: 0x22,
      p1: 0x41,
      p2: 0xa6,
      data: concatBytes(encodeTlv(0x91, ephemeralPublic), keyReference),
    });
    if (kat.sw !== SW.ok)
      return abort('chip.clone-suspected', `chip authentication: MSE:Set KAT refused (${describeSw(kat.sw)})`);
  } else {
    // AES: MSE:Set AT names the protocol, GENERAL AUTHENTICATE carries the key (9303-11 §6.2.4.2).
    const mse = await link.send({
      cla: 0x00,
      ins: 0x22,
      p1: 0x41,
      p2: 0xa4,
      data: concatBytes(encodeTlv(0x80, plan.info.oidBytes), keyReference),
    });
    if (mse.sw !== SW.ok)
      return abort('chip.clone-suspected', `chip authentication: MSE:Set AT refused (${describeSw(mse.sw)})`);
    const ga = await link.send({
      cla: 0x00,
      ins: 0x86,
      p1: 0x00,
      p2: 0x00,
      data: encodeTlv(0x7c, encodeTlv(0x80, ephemeralPublic)),
      le: 256,
    });
    if (ga.sw !== SW.ok)
      return abort('chip.clone-suspected', `chip authentication: GENERAL AUTHENTICATE refused (${describeSw(ga.sw)})`);
  }
  const chipStatic = curve.curve.Point.fromBytes(point);
  const sharedX = chipStatic
    .multiply(ephemeralKey)
    .toBytes(false)
    .subarray(1, 1 + curve.fieldBytes);
  const suite = cipher === '3des' ? TDES_SUITE : AES_SUITE;
  link.useSecureMessaging(
    new SecureMessaging({
      suite,
      ksEnc: kdf(sharedX, KDF_COUNTER.enc, cipher),
      ksMac: kdf(sharedX, KDF_COUNTER.mac, cipher),
      ssc: new Uint8Array(suite.blockSize),
    }),
    true,
  );
}
