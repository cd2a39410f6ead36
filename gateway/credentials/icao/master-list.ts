// CSCA master lists (ICAO 9303-12 9): a CMS SignedData, eContentType id-icao-cscaMasterList,
// content CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }.
// The list's own signature is checked here; whether its signer is trusted is the operator's
// choice of file (e.g. the BSI-published list), so we also report whether the signer chains to a
// CSCA inside the list, as BSI's and other national lists do.
import { fail, ok, type Result } from '../../reasons.js';
import { type Certificate, readCertificate } from './certificate.js';
import { findSignerCertificate, readSignedData, type SignedData } from './cms.js';
import { children, DerError, errorMessage, expect, readSingle, smallInt, UNIVERSAL } from './der.js';
import { OID } from './oids.js';
import { checkContentTypeAttribute, checkIssuedBy, checkMessageDigest, checkSignerSignature } from './signer-check.js';

export const MAX_MASTER_LIST_BYTES = 4 * 1024 * 1024;

export interface MasterList {
  certificates: Certificate[];
  /** Subject DN of the master list signer. */
  signer: string;
  /** Subject DN of the CSCA in the list that issued the signer's certificate, or null. */
  signerIssuedBy: string | null;
  /** Entries of the list that could not be read as certificates. */
  skipped: number;
}

export function parseMasterList(bytes: Buffer): Result<MasterList, 'chip.malformed' | 'chip.bad-signature'> {
  if (bytes.length > MAX_MASTER_LIST_BYTES) {
    return fail('chip.malformed', `master list: ${bytes.length} bytes exceeds ${MAX_MASTER_LIST_BYTES}`);
  }
  let sd: SignedData;
  let certificates: Certificate[];
  let skipped = 0;
  try {
    sd = readSignedData(readSingle(bytes));
    if (sd.eContentType !== OID.cscaMasterList)
      throw new DerError(`eContentType ${sd.eContentType} is not a CSCA master list`);
    const [version, certList] = children(expect(readSingle(sd.eContent), UNIVERSAL.SEQUENCE, 'CscaMasterList'));
    smallInt(version);
    // One odd entry must not cost the whole list: unreadable entries are counted and skipped.
    certificates = [];
    for (const entry of children(expect(certList, UNIVERSAL.SET, 'certList'))) {
      try {
        certificates.push(readCertificate(entry));
      } catch {
        skipped++;
      }
    }
  } catch (e) {
    return fail('chip.malformed', `master list: ${errorMessage(e)}`);
  }
  const signerInfo = sd.signerInfos[0];
  const signerCert = findSignerCertificate(signerInfo.sid, sd.certificates);
  if (!signerCert) return fail('chip.bad-signature', 'master list: signer certificate not included');
  for (const check of [
    checkContentTypeAttribute(sd, signerInfo),
    checkMessageDigest(sd, signerInfo),
    checkSignerSignature(sd, signerInfo, signerCert),
  ]) {
    if (!check.ok) return fail('chip.bad-signature', `master list: ${check.detail}`);
  }
  const issuer = certificates.find(
    (c) =>
      c.subject.key === signerCert.issuer.key &&
      (!signerCert.authorityKeyId || !c.subjectKeyId || c.subjectKeyId === signerCert.authorityKeyId) &&
      checkIssuedBy(signerCert, c).ok,
  );
  return ok({
    certificates,
    signer: signerCert.subject.text,
    signerIssuedBy: issuer ? issuer.subject.text : null,
    skipped,
  });
}
