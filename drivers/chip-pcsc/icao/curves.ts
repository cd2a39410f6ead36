// The elliptic curves a PACE, CA or AA key can live on, found by PACE standardized domain parameter id
// (ICAO 9303-11 §9.5.1, table "standardized domain parameters"), by named-curve OID, or by matching explicit
// domain parameters (real DG14/DG15 keys carry them explicitly) against the known curves.
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';

export type EcCurve = typeof p256;

export interface KnownCurve {
  name: string;
  curve: EcCurve;
  /** Byte length of a field element, so of one coordinate. */
  fieldBytes: number;
  /** Node's name for the curve, for node:crypto KeyObjects (ECDSA verification in AA). */
  nodeName: string;
}

const CURVES: Record<string, KnownCurve> = {
  'P-256': { name: 'P-256', curve: p256, fieldBytes: 32, nodeName: 'prime256v1' },
  'P-384': { name: 'P-384', curve: p384, fieldBytes: 48, nodeName: 'secp384r1' },
  'P-521': { name: 'P-521', curve: p521, fieldBytes: 66, nodeName: 'secp521r1' },
  brainpoolP256r1: { name: 'brainpoolP256r1', curve: brainpoolP256r1, fieldBytes: 32, nodeName: 'brainpoolP256r1' },
  brainpoolP384r1: { name: 'brainpoolP384r1', curve: brainpoolP384r1, fieldBytes: 48, nodeName: 'brainpoolP384r1' },
  brainpoolP512r1: { name: 'brainpoolP512r1', curve: brainpoolP512r1, fieldBytes: 64, nodeName: 'brainpoolP512r1' },
};

// ICAO 9303-11 §9.5.1: ids 0–2 are MODP groups (DH, not supported here), 8–18 elliptic curves. 8–11 and 14
// (192/224-bit and brainpoolP320r1) are not offered by @noble/curves and not seen on CCCD cards.
const BY_PARAMETER_ID: Record<number, string> = {
  12: 'P-256',
  13: 'brainpoolP256r1',
  15: 'P-384',
  16: 'brainpoolP384r1',
  17: 'brainpoolP512r1',
  18: 'P-521',
};

const BY_OID: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
};

export const curveByParameterId = (id: number): KnownCurve | undefined => CURVES[BY_PARAMETER_ID[id] ?? ''];
export const curveByOid = (oid: string): KnownCurve | undefined => CURVES[BY_OID[oid] ?? ''];
export const curveByName = (name: string): KnownCurve | undefined => CURVES[name];
export const namedCurveOid = (known: KnownCurve): string =>
  Object.entries(BY_OID).find(([, name]) => name === known.name)?.[0] ?? '';

/** The known curve with this prime, order and generator (explicit ECParameters), if any. */
export function curveByExplicitParameters(p: bigint, order: bigint, generator: Uint8Array): KnownCurve | undefined {
  return Object.values(CURVES).find((known) => {
    const params = known.curve.Point.CURVE();
    if (params.p !== p || params.n !== order) return false;
    try {
      return known.curve.Point.fromBytes(generator).equals(known.curve.Point.BASE);
    } catch {
      return false;
    }
  });
}

/** Big-endian unsigned bytes of `n`, left-padded to `length`. */
export function bigintToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** A private scalar in [1, n-1] drawn by rejection from `random`, so a replayed RNG yields the exact key given. */
export function randomScalar(known: KnownCurve, random: (length: number) => Uint8Array): bigint {
  const order = known.curve.Point.CURVE().n;
  const length = Math.ceil(order.toString(16).length / 2);
  for (let attempt = 0; attempt < 64; attempt++) {
    const k = bytesToBigint(random(length));
    if (k > 0n && k < order) return k;
  }
  throw new Error('random source keeps returning scalars out of range');
}
