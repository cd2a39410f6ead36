// SecurityInfos of EF.CardAccess and DG14 (ICAO 9303-11 §9.2), and the Active Authentication public key of
// DG15 (9303-11 §6.1). Parsers of bytes from the card: they return null for anything malformed, never throw.
import { curveByExplicitParameters, curveByOid, type KnownCurve } from './curves.js';
import { decodeBigInteger, decodeOid, decodeSmallInteger, readTlv, readTlvList, type Tlv } from './tlv.js';

export const OID = {
  pace: '0.4.0.127.0.7.2.2.4',
  paceEcdhGm: '0.4.0.127.0.7.2.2.4.2',
  chipAuthentication: '0.4.0.127.0.7.2.2.3',
  caEcdh: '0.4.0.127.0.7.2.2.3.2',
  pkEcdh: '0.4.0.127.0.7.2.2.1.2',
  terminalAuthentication: '0.4.0.127.0.7.2.2.2',
  activeAuthentication: '2.23.136.1.1.5',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  primeField: '1.2.840.10045.1.1',
  /** BSI TR-03111 ecdsa-plain-signatures; the last arc picks the hash. */
  ecdsaPlain: '0.4.0.127.0.7.1.1.4.1',
} as const;

/** The secure-messaging cipher an id-PACE-… or id-CA-… OID names in its last arc (9303-11 §9.2.2). */
export type SmCipher = '3des' | 'aes-128' | 'aes-192' | 'aes-256';
const CIPHER_BY_ARC: Record<string, SmCipher> = { '1': '3des', '2': 'aes-128', '3': 'aes-192', '4': 'aes-256' };

export interface PaceInfo {
  oid: string;
  oidBytes: Uint8Array;
  version: number;
  parameterId?: number;
  /** Set when the OID is ECDH generic mapping: the only mapping this session runs. */
  cipher?: SmCipher;
}
export interface ChipAuthenticationInfo {
  oid: string;
  oidBytes: Uint8Array;
  version: number;
  keyId?: number;
  cipher?: SmCipher;
}
export interface EcPublicKey {
  curve: KnownCurve;
  /** Uncompressed SEC1 point 04‖x‖y. */
  point: Uint8Array;
}
export interface ChipAuthenticationPublicKey {
  key: EcPublicKey;
  keyId?: number;
}
export interface ActiveAuthenticationInfo {
  version: number;
  signatureOid: string;
}
export interface SecurityInfos {
  pace: PaceInfo[];
  chipAuthentication: ChipAuthenticationInfo[];
  chipAuthenticationKeys: ChipAuthenticationPublicKey[];
  activeAuthentication?: ActiveAuthenticationInfo;
  terminalAuthentication: boolean;
  /** CA public keys on curves this reader does not know (e.g. brainpoolP224r1 of the BSI specimen). */
  unsupportedChipAuthenticationKeys: number;
}

const TAG = { sequence: 0x30, set: 0x31, integer: 0x02, oid: 0x06, bitString: 0x03, octetString: 0x04 } as const;

function childrenOf(item: Tlv | undefined, tag: number): Tlv[] | null {
  if (!item || item.tag !== tag) return null;
  return readTlvList(item.value);
}

function oidOf(item: Tlv | undefined): string | null {
  return item && item.tag === TAG.oid ? decodeOid(item.value) : null;
}

function intOf(item: Tlv | undefined): number | null {
  return item && item.tag === TAG.integer ? decodeSmallInteger(item.value) : null;
}

function cipherOf(oid: string, family: string): SmCipher | undefined {
  if (!oid.startsWith(`${family}.`)) return undefined;
  return CIPHER_BY_ARC[oid.slice(family.length + 1)];
}

/**
 * SecurityInfos ::= SET OF SecurityInfo, each SEQUENCE { protocol OID, requiredData, optionalData OPTIONAL }.
 * `bytes` is EF.CardAccess as read (a bare SET) or DG14 (the SET inside tag 6E). Unknown protocols are
 * skipped, as 9303-11 requires; a structure that does not parse gives null.
 */
export function parseSecurityInfos(bytes: Uint8Array): SecurityInfos | null {
  let top = readTlv(bytes);
  if (top && top.tag === 0x6e) top = readTlv(top.value);
  const items = childrenOf(top ?? undefined, TAG.set);
  if (!items) return null;
  const infos: SecurityInfos = {
    pace: [],
    chipAuthentication: [],
    chipAuthenticationKeys: [],
    terminalAuthentication: false,
    unsupportedChipAuthenticationKeys: 0,
  };
  for (const item of items) {
    const fields = childrenOf(item, TAG.sequence);
    if (!fields || fields.length < 2) return null;
    const protocol = oidOf(fields[0]);
    if (!protocol) return null;
    const oidBytes = fields[0].value;
    if (protocol.startsWith(`${OID.pace}.`)) {
      const version = intOf(fields[1]);
      if (version === null) return null;
      const parameterId = fields[2] ? intOf(fields[2]) : undefined;
      if (parameterId === null) return null;
      infos.pace.push({
        oid: protocol,
        oidBytes,
        version,
        ...(parameterId !== undefined ? { parameterId } : {}),
        ...(cipherOf(protocol, OID.paceEcdhGm) ? { cipher: cipherOf(protocol, OID.paceEcdhGm) } : {}),
      });
    } else if (protocol === OID.pkEcdh) {
      const key = parseEcSubjectPublicKeyInfo(fields[1]);
      if (key === 'unsupported-curve') {
        infos.unsupportedChipAuthenticationKeys++;
        continue;
      }
      if (!key) return null;
      const keyId = fields[2] ? intOf(fields[2]) : undefined;
      if (keyId === null) return null;
      infos.chipAuthenticationKeys.push({ key, ...(keyId !== undefined ? { keyId } : {}) });
    } else if (protocol.startsWith(`${OID.chipAuthentication}.`)) {
      const version = intOf(fields[1]);
      if (version === null) return null;
      const keyId = fields[2] ? intOf(fields[2]) : undefined;
      if (keyId === null) return null;
      const cipher = cipherOf(protocol, OID.caEcdh);
      infos.chipAuthentication.push({
        oid: protocol,
        oidBytes,
        version,
        ...(keyId !== undefined ? { keyId } : {}),
        ...(cipher ? { cipher } : {}),
      });
    } else if (protocol === OID.activeAuthentication) {
      const version = intOf(fields[1]);
      const signatureOid = oidOf(fields[2]);
      if (version === null || !signatureOid) return null;
      infos.activeAuthentication = { version, signatureOid };
    } else if (protocol === OID.terminalAuthentication) {
      infos.terminalAuthentication = true;
    }
  }
  return infos;
}

/** SubjectPublicKeyInfo with an EC key (id-ecPublicKey or id-PK-ECDH; named or explicit parameters). */
export function parseEcSubjectPublicKeyInfo(spki: Tlv | undefined): EcPublicKey | 'unsupported-curve' | null {
  const fields = childrenOf(spki, TAG.sequence);
  if (fields?.length !== 2) return null;
  const algorithm = childrenOf(fields[0], TAG.sequence);
  if (algorithm?.length !== 2) return null;
  const algorithmOid = oidOf(algorithm[0]);
  if (algorithmOid !== OID.ecPublicKey && algorithmOid !== OID.pkEcdh) return null;
  const curve = algorithm[1].tag === TAG.oid ? curveByOid(oidOf(algorithm[1]) ?? '') : explicitCurve(algorithm[1]);
  const bits = fields[1];
  if (!curve) return 'unsupported-curve';
  if (bits.tag !== TAG.bitString || bits.value.length < 2 || bits.value[0] !== 0) return null;
  const point = bits.value.subarray(1);
  try {
    curve.curve.Point.fromBytes(point).assertValidity();
  } catch {
    return null;
  }
  return { curve, point: curve.curve.Point.fromBytes(point).toBytes(false) };
}

// ECParameters ::= SEQUENCE { version, fieldID { prime-field OID, p }, curve { a, b [, seed] }, base, order, cofactor }
function explicitCurve(parameters: Tlv): KnownCurve | undefined {
  const fields = childrenOf(parameters, TAG.sequence);
  if (!fields || fields.length < 5) return undefined;
  const fieldId = childrenOf(fields[1], TAG.sequence);
  if (fieldId?.length !== 2 || oidOf(fieldId[0]) !== OID.primeField) return undefined;
  const p = fieldId[1].tag === TAG.integer ? decodeBigInteger(fieldId[1].value) : null;
  const order = fields[4].tag === TAG.integer ? decodeBigInteger(fields[4].value) : null;
  if (p === null || order === null || fields[3].tag !== TAG.octetString) return undefined;
  return curveByExplicitParameters(p, order, fields[3].value);
}

export type ActiveAuthenticationKey =
  | { kind: 'ec'; key: EcPublicKey; spki: Uint8Array }
  | { kind: 'rsa'; spki: Uint8Array };

/** DG15 (tag 6F) holds the Active Authentication SubjectPublicKeyInfo. */
export function parseDg15(bytes: Uint8Array): ActiveAuthenticationKey | null {
  const outer = readTlv(bytes);
  if (outer?.tag !== 0x6f) return null;
  const spki = readTlv(outer.value);
  if (!spki || spki.end !== outer.value.length) return null;
  const fields = childrenOf(spki, TAG.sequence);
  const algorithm = fields && fields.length === 2 ? childrenOf(fields[0], TAG.sequence) : null;
  if (!algorithm || algorithm.length < 1) return null;
  const spkiBytes = outer.value.slice(spki.start, spki.end);
  if (oidOf(algorithm[0]) === OID.rsaEncryption) return { kind: 'rsa', spki: spkiBytes };
  const key = parseEcSubjectPublicKeyInfo(spki);
  return key && key !== 'unsupported-curve' ? { kind: 'ec', key, spki: spkiBytes } : null;
}
