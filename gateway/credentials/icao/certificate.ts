// X.509 certificates as passive authentication needs them: the exact to-be-signed bytes, the
// signature, names, validity, key identifiers and the SubjectPublicKeyInfo. Read with the DER
// walker so the signed bytes are the bytes on the wire, never a re-encoding.
import { createHash, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '../../reasons.js';
import {
  bitStringBytes,
  children,
  DerError,
  errorMessage,
  expect,
  octets,
  oid,
  raw,
  readSingle,
  type Tlv,
  time,
  UNIVERSAL,
  value,
} from './der.js';
import { type DistinguishedName, readName } from './dn.js';
import { OID } from './oids.js';

export interface AlgorithmIdentifier {
  oid: string;
  /** The parameters element as on the wire, when present. */
  params?: Tlv;
}

export interface Certificate {
  der: Buffer;
  tbs: Buffer;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
  serialHex: string;
  issuer: DistinguishedName;
  issuerDer: Buffer;
  subject: DistinguishedName;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** The keyUsage bits passive authentication cares about, when the extension is present. */
  keyUsage?: { digitalSignature: boolean; keyCertSign: boolean };
  isCa?: boolean;
  /** SHA-256 of the DER, hex: a stable identity for de-duplication. */
  fingerprint: string;
  /** Filled lazily by the signature module so a key is imported once per certificate. */
  publicKey?: KeyObject;
}

export function readAlgorithm(tlv: Tlv): AlgorithmIdentifier {
  const [o, params] = children(expect(tlv, UNIVERSAL.SEQUENCE, 'AlgorithmIdentifier'));
  const id = oid(expect(o, UNIVERSAL.OID, 'algorithm'));
  return params && params.tag !== UNIVERSAL.NULL ? { oid: id, params } : { oid: id };
}

function readExtensions(list: Tlv, cert: Partial<Certificate>): void {
  for (const ext of children(expect(list, UNIVERSAL.SEQUENCE, 'extensions'))) {
    const parts = children(ext);
    const id = oid(parts[0]);
    const body = parts[parts.length - 1];
    if (body.tag !== UNIVERSAL.OCTET_STRING) throw new DerError('extension value is not an OCTET STRING');
    const inner = readSingle(Buffer.from(octets(body)));
    if (id === OID.extSubjectKeyIdentifier) {
      cert.subjectKeyId = value(expect(inner, UNIVERSAL.OCTET_STRING, 'subjectKeyIdentifier')).toString('hex');
    } else if (id === OID.extAuthorityKeyIdentifier) {
      const keyId = children(inner).find((c) => c.tag === 0x80);
      if (keyId) cert.authorityKeyId = value(keyId).toString('hex');
    } else if (id === OID.extKeyUsage) {
      const v = value(expect(inner, UNIVERSAL.BIT_STRING, 'keyUsage'));
      const bits = v[1] ?? 0;
      cert.keyUsage = { digitalSignature: (bits & 0x80) !== 0, keyCertSign: (bits & 0x04) !== 0 };
    } else if (id === OID.extBasicConstraints) {
      const first = children(inner)[0];
      cert.isCa = first?.tag === UNIVERSAL.BOOLEAN && value(first)[0] !== 0;
    }
  }
}

/** Reads an X.509 certificate element (from a SignedData certificate set or a file). */
export function readCertificate(tlv: Tlv): Certificate {
  const [tbsTlv, algTlv, sigTlv] = children(expect(tlv, UNIVERSAL.SEQUENCE, 'Certificate'));
  const tbsParts = children(expect(tbsTlv, UNIVERSAL.SEQUENCE, 'TBSCertificate'));
  let i = tbsParts[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const serial = expect(tbsParts[i++], UNIVERSAL.INTEGER, 'serialNumber');
  i++; // inner signature algorithm, repeated in the outer one
  const issuer = expect(tbsParts[i++], UNIVERSAL.SEQUENCE, 'issuer');
  const validity = children(expect(tbsParts[i++], UNIVERSAL.SEQUENCE, 'validity'));
  const subject = expect(tbsParts[i++], UNIVERSAL.SEQUENCE, 'subject');
  const spki = expect(tbsParts[i++], UNIVERSAL.SEQUENCE, 'subjectPublicKeyInfo');
  const cert: Certificate = {
    der: Buffer.from(raw(tlv)),
    tbs: Buffer.from(raw(tbsTlv)),
    signatureAlgorithm: readAlgorithm(algTlv),
    signature: Buffer.from(bitStringBytes(sigTlv)),
    serialHex: value(serial).toString('hex'),
    issuer: readName(issuer),
    issuerDer: Buffer.from(raw(issuer)),
    subject: readName(subject),
    subjectDer: Buffer.from(raw(subject)),
    notBefore: time(validity[0]),
    notAfter: time(validity[1]),
    spki: Buffer.from(raw(spki)),
    fingerprint: createHash('sha256').update(raw(tlv)).digest('hex'),
  };
  for (; i < tbsParts.length; i++) {
    if (tbsParts[i].tag === 0xa3) readExtensions(children(tbsParts[i])[0], cert);
  }
  return cert;
}

/** Parses certificate bytes (DER, or PEM text holding one certificate). */
export function parseCertificate(bytes: Buffer): Result<Certificate, 'chip.malformed'> {
  try {
    return ok(readCertificate(readSingle(pemToDer(bytes) ?? bytes)));
  } catch (e) {
    return fail('chip.malformed', `certificate: ${errorMessage(e)}`);
  }
}

/** All PEM certificate blocks in a text file, or null when the bytes are not PEM. */
export function pemBlocks(bytes: Buffer): Buffer[] | null {
  const text = bytes.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return null;
  const matches = bytes
    .toString('latin1')
    .matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g);
  return [...matches].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

function pemToDer(bytes: Buffer): Buffer | null {
  const blocks = pemBlocks(bytes);
  return blocks && blocks.length > 0 ? blocks[0] : null;
}

export const isValidAt = (cert: Certificate, at: Date): boolean =>
  cert.notBefore.getTime() <= at.getTime() && at.getTime() <= cert.notAfter.getTime();
