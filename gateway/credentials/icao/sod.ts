// EF.SOD (ICAO 9303-10 4.6.2): tag 0x77 around a CMS SignedData whose content is the
// LDSSecurityObject, the list of data group hashes the document signer vouches for.
import { fail, ok, type Result } from '../../reasons.js';
import { type Certificate, readAlgorithm } from './certificate.js';
import { readSignedData, type SignedData, type SignerInfo } from './cms.js';
import { children, DerError, errorMessage, expect, readSingle, smallInt, UNIVERSAL, value } from './der.js';
import { HASH_BY_OID, HASH_LENGTH, type HashName } from './oids.js';

/** A SOD holds hashes and one or two certificates: a few KB. 64 KB leaves room and bounds work. */
export const MAX_SOD_BYTES = 64 * 1024;

export interface SecurityObject {
  hashAlgorithm: HashName;
  /** Data group number → hash value as listed in the SOD. */
  dataGroupHashes: Map<number, Buffer>;
  ldsVersion?: string;
  unicodeVersion?: string;
  eContentType: string;
  /** The LDSSecurityObject bytes that the message-digest attribute covers. */
  eContent: Buffer;
  signer: SignerInfo;
  certificates: Certificate[];
  signedData: SignedData;
}

function readSecurityObject(
  eContent: Buffer,
): Pick<SecurityObject, 'hashAlgorithm' | 'dataGroupHashes' | 'ldsVersion' | 'unicodeVersion'> {
  const parts = children(expect(readSingle(eContent), UNIVERSAL.SEQUENCE, 'LDSSecurityObject'));
  const version = smallInt(parts[0]);
  if (version > 1) throw new DerError(`LDSSecurityObject version ${version} unknown`);
  const hashOid = readAlgorithm(parts[1]).oid;
  const hashAlgorithm = HASH_BY_OID[hashOid];
  if (!hashAlgorithm) throw new DerError(`unsupported hash algorithm ${hashOid}`);
  const dataGroupHashes = new Map<number, Buffer>();
  for (const entry of children(expect(parts[2], UNIVERSAL.SEQUENCE, 'dataGroupHashValues'))) {
    const [numTlv, hashTlv] = children(expect(entry, UNIVERSAL.SEQUENCE, 'DataGroupHash'));
    const dg = smallInt(numTlv);
    if (dg < 1 || dg > 16) throw new DerError(`data group number ${dg} out of range 1..16`);
    if (dataGroupHashes.has(dg)) throw new DerError(`data group ${dg} listed twice`);
    const hash = value(expect(hashTlv, UNIVERSAL.OCTET_STRING, 'dataGroupHashValue'));
    if (hash.length !== HASH_LENGTH[hashAlgorithm])
      throw new DerError(`data group ${dg} hash has ${hash.length} bytes`);
    dataGroupHashes.set(dg, Buffer.from(hash));
  }
  const out: ReturnType<typeof readSecurityObject> = { hashAlgorithm, dataGroupHashes };
  if (parts[3]?.tag === UNIVERSAL.SEQUENCE) {
    const [lds, unicode] = children(parts[3]);
    if (lds) out.ldsVersion = value(lds).toString('latin1');
    if (unicode) out.unicodeVersion = value(unicode).toString('latin1');
  }
  return out;
}

export function parseSod(bytes: Buffer): Result<SecurityObject, 'chip.malformed'> {
  if (bytes.length > MAX_SOD_BYTES)
    return fail('chip.malformed', `EF.SOD: ${bytes.length} bytes exceeds ${MAX_SOD_BYTES}`);
  try {
    const outer = expect(readSingle(bytes), 0x77, 'EF.SOD');
    const contentInfo = children(outer);
    if (contentInfo.length !== 1) throw new DerError('EF.SOD must hold one ContentInfo');
    const signedData = readSignedData(contentInfo[0]);
    if (signedData.signerInfos.length !== 1)
      throw new DerError(`${signedData.signerInfos.length} SignerInfos, ICAO allows one`);
    return ok({
      ...readSecurityObject(signedData.eContent),
      eContentType: signedData.eContentType,
      eContent: signedData.eContent,
      signer: signedData.signerInfos[0],
      certificates: signedData.certificates,
      signedData,
    });
  } catch (e) {
    return fail('chip.malformed', `EF.SOD: ${errorMessage(e)}`);
  }
}
