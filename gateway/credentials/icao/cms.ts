// CMS SignedData (RFC 5652) as used by EF.SOD and CSCA master lists: the encapsulated content,
// the embedded certificates and the signer infos, keeping the exact signed bytes.

import { type AlgorithmIdentifier, type Certificate, readAlgorithm, readCertificate } from './certificate.js';
import {
  children,
  DerError,
  encodeLength,
  expect,
  octets,
  oid,
  smallInt,
  type Tlv,
  time,
  UNIVERSAL,
  value,
} from './der.js';
import { readName } from './dn.js';
import { OID } from './oids.js';

export type SignerIdentifier =
  | { kind: 'issuerAndSerial'; issuerKey: string; issuerText: string; serialHex: string }
  | { kind: 'subjectKeyId'; keyId: string };

export interface SignerInfo {
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  /** DER of the signed attributes re-tagged from [0] IMPLICIT to SET (0x31): the bytes that are signed. */
  signedAttrsDer: Buffer | null;
  /** Attribute OID → its first value element. */
  signedAttrs: Map<string, Tlv>;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
}

export interface SignedData {
  eContentType: string;
  eContent: Buffer;
  certificates: Certificate[];
  signerInfos: SignerInfo[];
}

function readSignerIdentifier(tlv: Tlv): SignerIdentifier {
  if (tlv.tag === 0x80) return { kind: 'subjectKeyId', keyId: value(tlv).toString('hex') };
  const [issuer, serial] = children(expect(tlv, UNIVERSAL.SEQUENCE, 'SignerIdentifier'));
  const name = readName(expect(issuer, UNIVERSAL.SEQUENCE, 'sid issuer'));
  return {
    kind: 'issuerAndSerial',
    issuerKey: name.key,
    issuerText: name.text,
    serialHex: value(expect(serial, UNIVERSAL.INTEGER, 'sid serial')).toString('hex'),
  };
}

function readSignerInfo(tlv: Tlv): SignerInfo {
  const parts = children(expect(tlv, UNIVERSAL.SEQUENCE, 'SignerInfo'));
  let i = 0;
  smallInt(parts[i++]); // version: 1 (issuerAndSerial) or 3 (subjectKeyId); sid's form is what counts
  const sid = readSignerIdentifier(parts[i++]);
  const digestAlgorithm = readAlgorithm(parts[i++]);
  let signedAttrsDer: Buffer | null = null;
  const signedAttrs = new Map<string, Tlv>();
  if (parts[i]?.tag === 0xa0) {
    const attrs = parts[i++];
    // RFC 5652 5.4: the signature covers the attributes encoded as an explicit SET OF.
    signedAttrsDer = Buffer.concat([
      Buffer.from([0x31]),
      encodeLength(attrs.valueEnd - attrs.valueStart),
      value(attrs),
    ]);
    for (const attr of children(attrs)) {
      const [type, values] = children(expect(attr, UNIVERSAL.SEQUENCE, 'Attribute'));
      const id = oid(type);
      const first = children(expect(values, UNIVERSAL.SET, 'attribute values'))[0];
      if (signedAttrs.has(id)) throw new DerError(`signed attribute ${id} appears twice`);
      if (first) signedAttrs.set(id, first);
    }
  }
  const signatureAlgorithm = readAlgorithm(parts[i++]);
  const signature = Buffer.from(octets(expect(parts[i++], UNIVERSAL.OCTET_STRING, 'signature')));
  return { sid, digestAlgorithm, signedAttrsDer, signedAttrs, signatureAlgorithm, signature };
}

/** Reads a ContentInfo holding a SignedData. */
export function readSignedData(contentInfo: Tlv): SignedData {
  const [typeTlv, explicit] = children(expect(contentInfo, UNIVERSAL.SEQUENCE, 'ContentInfo'));
  const type = oid(typeTlv);
  if (type !== OID.signedData) throw new DerError(`ContentInfo type ${type} is not signedData`);
  const sd = children(expect(expect(explicit, 0xa0, 'ContentInfo content'), 0xa0, 'content'))[0];
  const parts = children(expect(sd, UNIVERSAL.SEQUENCE, 'SignedData'));
  let i = 0;
  smallInt(parts[i++]);
  expect(parts[i++], UNIVERSAL.SET, 'digestAlgorithms');
  const [eTypeTlv, eWrapper] = children(expect(parts[i++], UNIVERSAL.SEQUENCE, 'encapContentInfo'));
  const eContentType = oid(eTypeTlv);
  if (!eWrapper) throw new DerError('encapContentInfo has no eContent');
  const eContentTlv = children(expect(eWrapper, 0xa0, 'eContent'))[0];
  const eContent = Buffer.from(octets(expect(eContentTlv, UNIVERSAL.OCTET_STRING, 'eContent')));
  const certificates: Certificate[] = [];
  if (parts[i]?.tag === 0xa0) {
    for (const c of children(parts[i++])) if (c.tag === UNIVERSAL.SEQUENCE) certificates.push(readCertificate(c));
  }
  if (parts[i]?.tag === 0xa1) i++; // CRLs are not used for passive authentication here
  const signerInfos = children(expect(parts[i++], UNIVERSAL.SET, 'signerInfos')).map(readSignerInfo);
  if (signerInfos.length === 0) throw new DerError('no SignerInfo');
  return { eContentType, eContent, certificates, signerInfos };
}

/** The signing-time attribute, when the signer included one. */
export function signingTime(signer: SignerInfo): Date | undefined {
  const t = signer.signedAttrs.get(OID.attrSigningTime);
  if (!t) return undefined;
  try {
    return time(t);
  } catch {
    return undefined;
  }
}

/** Finds the certificate a SignerInfo names. */
export function findSignerCertificate(sid: SignerIdentifier, certs: readonly Certificate[]): Certificate | undefined {
  if (sid.kind === 'subjectKeyId') return certs.find((c) => c.subjectKeyId === sid.keyId);
  const stripZeros = (h: string) => h.replace(/^(00)+(?=..)/, '');
  return certs.find((c) => c.issuer.key === sid.issuerKey && stripZeros(c.serialHex) === stripZeros(sid.serialHex));
}
