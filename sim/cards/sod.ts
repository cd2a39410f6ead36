// EF.SOD of a synthetic card: 77 { ContentInfo { SignedData } } over an LDSSecurityObject v0
// (ICAO 9303-10 §4.6.2, 9303-11 §5.1), signed by a Document Signer with ECDSA/SHA-256.

import { createHash, sign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SigningIdentity } from './test-pki.js';
import { tlv } from './tlv.js';

const OID = {
  ldsSecurityObject: '2.23.136.1.1.1',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

const sha256 = (bytes: Buffer | ArrayBuffer) =>
  createHash('sha256')
    .update(Buffer.from(bytes as ArrayBuffer))
    .digest();
const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

/** LDSSecurityObject v0: the SHA-256 of every data group, each hashed with its own tag and length. */
export function ldsSecurityObject(dataGroups: ReadonlyMap<number, Buffer>): Buffer {
  const hashes = [...dataGroups]
    .sort(([a], [b]) => a - b)
    .map(
      ([n, bytes]) =>
        new asn1js.Sequence({
          value: [new asn1js.Integer({ value: n }), new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(bytes)) })],
        }),
    );
  const lso = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.sha256 })] }),
      new asn1js.Sequence({ value: hashes }),
    ],
  });
  return Buffer.from(lso.toBER());
}

function attribute(type: string, value: asn1js.BaseBlock): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

export interface SodOptions {
  signer: SigningIdentity;
  signingTime?: Date;
}

export function buildSod(dataGroups: ReadonlyMap<number, Buffer>, options: SodOptions): Buffer {
  const eContent = ldsSecurityObject(dataGroups);
  const certificate = pkijs.Certificate.fromBER(toArrayBuffer(options.signer.certificateDer));

  const attributes = [
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.ldsSecurityObject })),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(eContent)) })),
    attribute(OID.signingTime, new asn1js.UTCTime({ valueDate: options.signingTime ?? new Date() })),
  ];
  // DER orders a SET OF by the encodings of its members.
  attributes.sort((a, b) => Buffer.compare(Buffer.from(a.toSchema().toBER()), Buffer.from(b.toSchema().toBER())));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });

  // The signature covers the attributes re-tagged as a universal SET (RFC 5652 §5.4).
  const toSign = Buffer.from(signedAttrs.toSchema().toBER());
  toSign[0] = 0x31;
  const signature = sign('sha256', toSign, options.signer.privateKey); // DER ECDSA-Sig-Value, as CMS wants

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
  });
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: OID.ldsSecurityObject });
  // Set after construction: pkijs's constructor rewrites an OCTET STRING into the constructed (BER) form,
  // which DER-strict verifiers (ours included) rightly refuse. Real SODs carry it primitive.
  encapContentInfo.eContent = new asn1js.OctetString({ valueHex: toArrayBuffer(eContent) });
  const signedData = new pkijs.SignedData({
    version: 3,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo,
    certificates: [certificate],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return tlv(0x77, Buffer.from(contentInfo.toSchema().toBER()));
}
