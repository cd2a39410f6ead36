// Signature checks with node:crypto KeyObjects, one certificate at a time. OpenSSL's path
// validation rejects certificates with explicit EC domain parameters (AT, DE, VN CSCAs), but
// createPublicKey accepts such SPKIs and maps known brainpool/NIST parameters to the named curve,
// so every signature here is verified directly and the chain is walked by our own code.
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { AlgorithmIdentifier, Certificate } from './certificate.js';
import { children, DerError, errorMessage, oid, readSingle, smallInt, UNIVERSAL, value } from './der.js';
import { HASH_BY_OID, type HashName, OID, SIGNATURE_BY_OID } from './oids.js';

export interface SignatureCheck {
  valid: boolean;
  /** Algorithm actually used, e.g. "ecdsa-der/sha256", or why it could not be checked. */
  detail: string;
}

/** Byte length of the group order per named curve, for r‖s signatures. */
const CURVE_ORDER_BYTES: Readonly<Record<string, number>> = {
  prime192v1: 24,
  secp224r1: 28,
  prime256v1: 32,
  secp384r1: 48,
  secp521r1: 66,
  brainpoolP192r1: 24,
  brainpoolP224r1: 28,
  brainpoolP256r1: 32,
  brainpoolP320r1: 40,
  brainpoolP384r1: 48,
  brainpoolP512r1: 64,
};

export function importPublicKey(spki: Buffer): KeyObject {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** The certificate's public key, imported once and kept on the certificate. */
export function publicKeyOf(cert: Certificate): KeyObject {
  cert.publicKey ??= importPublicKey(cert.spki);
  return cert.publicKey;
}

export function hashOf(alg: AlgorithmIdentifier | undefined): HashName | undefined {
  return alg ? HASH_BY_OID[alg.oid] : undefined;
}

interface PssParams {
  hash: HashName;
  mgfHash: HashName;
  saltLength: number;
}

function readPssParams(alg: AlgorithmIdentifier): PssParams {
  // RFC 4055 defaults: SHA-1, MGF1 with SHA-1, 20-byte salt, trailer field 1.
  const out: PssParams = { hash: 'sha1', mgfHash: 'sha1', saltLength: 20 };
  if (!alg.params) return out;
  for (const field of children(alg.params)) {
    const inner = children(field)[0];
    if (field.tag === 0xa0) {
      const h = HASH_BY_OID[oid(children(inner)[0])];
      if (!h) throw new DerError('unsupported PSS hash');
      out.hash = h;
    } else if (field.tag === 0xa1) {
      const [mgfOid, mgfParams] = children(inner);
      if (oid(mgfOid) !== OID.mgf1 || !mgfParams) throw new DerError('unsupported PSS mask generation');
      const h = HASH_BY_OID[oid(children(mgfParams)[0])];
      if (!h) throw new DerError('unsupported MGF1 hash');
      out.mgfHash = h;
    } else if (field.tag === 0xa2) {
      out.saltLength = smallInt(inner);
    } else if (field.tag === 0xa3) {
      if (smallInt(inner) !== 1) throw new DerError('unsupported PSS trailer field');
    }
  }
  return out;
}

/** DER Ecdsa-Sig-Value → r‖s padded to the order length (tolerates non-minimal integers). */
function ecdsaDerToPlain(signature: Buffer, orderBytes: number): Buffer | null {
  try {
    const ints = children(readSingle(signature));
    if (ints.length !== 2 || ints.some((t) => t.tag !== UNIVERSAL.INTEGER)) return null;
    const parts = ints.map((t) => {
      let v = value(t);
      while (v.length > orderBytes && v[0] === 0) v = v.subarray(1);
      if (v.length > orderBytes) throw new DerError('integer longer than the group order');
      return Buffer.concat([Buffer.alloc(orderBytes - v.length), v]);
    });
    return Buffer.concat(parts);
  } catch {
    return null;
  }
}

export function verifySignature(input: {
  algorithm: AlgorithmIdentifier;
  /** SignerInfo.digestAlgorithm: the hash when the signature OID names only the key type. */
  digestAlgorithm?: AlgorithmIdentifier;
  key: KeyObject;
  data: Buffer;
  signature: Buffer;
}): SignatureCheck {
  const { algorithm, key, data, signature } = input;
  const known = SIGNATURE_BY_OID[algorithm.oid];
  if (!known) return { valid: false, detail: `unsupported signature algorithm ${algorithm.oid}` };
  try {
    if (known.scheme === 'rsa-pss') {
      const pss = readPssParams(algorithm);
      // node:crypto uses the signature hash for MGF1; ICAO 9303-12 profiles use the same one.
      if (pss.mgfHash !== pss.hash) return { valid: false, detail: 'unsupported: MGF1 hash differs from PSS hash' };
      const valid = verify(
        pss.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
        signature,
      );
      return { valid, detail: `rsa-pss/${pss.hash}/salt${pss.saltLength}` };
    }
    const hash = known.hash ?? hashOf(input.digestAlgorithm);
    if (!hash) return { valid: false, detail: `no usable hash for ${algorithm.oid}` };
    if (known.scheme === 'rsa-pkcs1') {
      if (key.asymmetricKeyType !== 'rsa')
        return { valid: false, detail: `RSA signature but ${key.asymmetricKeyType} key` };
      const valid = verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return { valid, detail: `rsa-pkcs1/${hash}` };
    }
    if (key.asymmetricKeyType !== 'ec')
      return { valid: false, detail: `ECDSA signature but ${key.asymmetricKeyType} key` };
    if (known.scheme === 'ecdsa-plain') {
      const valid = verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      return { valid, detail: `ecdsa-plain/${hash}` };
    }
    if (verify(hash, data, { key, dsaEncoding: 'der' }, signature)) return { valid: true, detail: `ecdsa-der/${hash}` };
    // Some issuers encode (r, s) with non-minimal integers or as plain r‖s under an ecdsa-with-SHA OID;
    // OpenSSL's strict DER check rejects those, so retry with the plain form.
    const orderBytes = CURVE_ORDER_BYTES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (orderBytes) {
      const plain = signature.length === 2 * orderBytes ? signature : ecdsaDerToPlain(signature, orderBytes);
      if (plain && verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, plain)) {
        return { valid: true, detail: `ecdsa-lenient/${hash}` };
      }
    }
    return { valid: false, detail: `ecdsa-der/${hash}` };
  } catch (e) {
    return { valid: false, detail: `signature check failed: ${errorMessage(e)}` };
  }
}
