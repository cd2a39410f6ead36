// The three checks on a CMS SignerInfo (RFC 5652 5.4, 11.1, 11.2): the content-type attribute
// names the encapsulated content type, the message-digest attribute is the hash of the content,
// and the signature over the signed attributes verifies with the signer's key.
import { createHash, type KeyObject } from 'node:crypto';
import type { Certificate } from './certificate.js';
import type { SignedData, SignerInfo } from './cms.js';
import { errorMessage, oid, value } from './der.js';
import { OID } from './oids.js';
import { hashOf, publicKeyOf, verifySignature } from './signature.js';

export interface Check {
  ok: boolean;
  detail: string;
}

export function checkContentTypeAttribute(sd: Pick<SignedData, 'eContentType'>, signer: SignerInfo): Check {
  const attr = signer.signedAttrs.get(OID.attrContentType);
  if (!signer.signedAttrsDer) return { ok: false, detail: 'no signed attributes' };
  if (!attr) return { ok: false, detail: 'content-type attribute missing' };
  let attrType: string;
  try {
    attrType = oid(attr);
  } catch (e) {
    return { ok: false, detail: `content-type attribute: ${errorMessage(e)}` };
  }
  return attrType === sd.eContentType
    ? { ok: true, detail: `content-type attribute = ${attrType}` }
    : { ok: false, detail: `content-type attribute ${attrType} differs from eContentType ${sd.eContentType}` };
}

export function checkMessageDigest(sd: Pick<SignedData, 'eContent'>, signer: SignerInfo): Check {
  const hash = hashOf(signer.digestAlgorithm);
  if (!hash) return { ok: false, detail: `unsupported digest algorithm ${signer.digestAlgorithm.oid}` };
  const attr = signer.signedAttrs.get(OID.attrMessageDigest);
  if (attr?.tag !== 0x04) return { ok: false, detail: 'message-digest attribute missing' };
  const computed = createHash(hash).update(sd.eContent).digest();
  return computed.equals(value(attr))
    ? { ok: true, detail: `${hash}(eContent) matches` }
    : { ok: false, detail: `${hash}(eContent) differs from the message-digest attribute` };
}

export function checkSignerSignature(sd: Pick<SignedData, 'eContent'>, signer: SignerInfo, cert: Certificate): Check {
  let key: KeyObject;
  try {
    key = publicKeyOf(cert);
  } catch (e) {
    return { ok: false, detail: `signer key not usable: ${errorMessage(e)}` };
  }
  const result = verifySignature({
    algorithm: signer.signatureAlgorithm,
    digestAlgorithm: signer.digestAlgorithm,
    key,
    data: signer.signedAttrsDer ?? sd.eContent,
    signature: signer.signature,
  });
  return {
    ok: result.valid,
    detail: result.valid ? `verifies (${result.detail})` : `does not verify (${result.detail})`,
  };
}

/** Verifies that `issuer`'s key signed `cert`. */
export function checkIssuedBy(cert: Certificate, issuer: Certificate): Check {
  let key: KeyObject;
  try {
    key = publicKeyOf(issuer);
  } catch (e) {
    return { ok: false, detail: `issuer key not usable: ${errorMessage(e)}` };
  }
  const result = verifySignature({
    algorithm: cert.signatureAlgorithm,
    key,
    data: cert.tbs,
    signature: cert.signature,
  });
  return { ok: result.valid, detail: result.detail };
}
