// makeChipCard: a synthetic CCCD with what a chip adds to the files of makeCard — DG14 (Chip Authentication
// key and Active Authentication info), DG15 (Active Authentication key), EF.CardAccess, the PACE/BAC
// passwords — and an EF.SOD that covers DG14 and DG15 too. makeCard itself stays as it was.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { encodeOid, encodeTlv } from '../../drivers/chip-pcsc/icao/tlv.js';
import { buildCom, buildDg1, buildDg2, buildDg13, mrzOf, portraitJpeg } from './data-groups.js';
import type { MakeCardOptions } from './make-card.js';
import type { SyntheticPerson } from './people.js';
import { buildSod } from './sod.js';
import { loadTestPki } from './test-pki.js';

/** The chip's secrets: what a clone lacks although it copies every file. */
export interface ChipKeys {
  /** Chip Authentication static private key on brainpoolP256r1 (32 bytes). */
  chipAuthentication: Uint8Array;
  /** Active Authentication ECDSA key (brainpoolP256r1). */
  activeAuthentication: KeyObject;
}

export interface ChipCardOptions extends Omit<MakeCardOptions, 'faults'> {
  /** Leave out DG14's CA key and the CA entry of EF.CardAccess: an older card with AA only. */
  withoutChipAuthentication?: boolean;
  /** Leave out DG15 and DG14's ActiveAuthenticationInfo. */
  withoutActiveAuthentication?: boolean;
  /** Replace a data group before the SOD is signed (e.g. a 40 KB DG2 to cross offset 32767). */
  dataGroupOverrides?: ReadonlyMap<number, Buffer>;
}

export interface ChipCard {
  person: SyntheticPerson;
  mrz: [string, string, string];
  /** CAN: the last six digits of the 12-digit ID (chip-reading.md §1). */
  can: string;
  /** BAC / PACE-MRZ key fields from the TD1 MRZ. */
  mrzKey: { documentNumber: string; dateOfBirth: string; dateOfExpiry: string };
  cardAccess: Buffer;
  com: Buffer;
  sod: Buffer;
  dataGroups: Map<number, Buffer>;
  keys: ChipKeys;
}

const OID = {
  paceEcdhGmAes128: '0.4.0.127.0.7.2.2.4.2.2',
  caEcdhAes128: '0.4.0.127.0.7.2.2.3.2.2',
  pkEcdh: '0.4.0.127.0.7.2.2.1.2',
  terminalAuthentication: '0.4.0.127.0.7.2.2.2',
  activeAuthentication: '2.23.136.1.1.5',
  ecdsaPlainSha256: '0.4.0.127.0.7.1.1.4.1.3',
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
} as const;

const oid = (dotted: string) => Buffer.from(encodeTlv(0x06, encodeOid(dotted)));
const int = (n: number) => Buffer.from(encodeTlv(0x02, Uint8Array.of(n)));
const seq = (...parts: Buffer[]) => Buffer.from(encodeTlv(0x30, ...parts));
const set = (...parts: Buffer[]) => Buffer.from(encodeTlv(0x31, ...parts));

export function newChipKeys(): ChipKeys {
  return {
    chipAuthentication: brainpoolP256r1.utils.randomSecretKey(),
    activeAuthentication: generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).privateKey,
  };
}

/** SecurityInfos of EF.CardAccess as CCCD chips carry them (chip-reading.md §1). */
export function cardAccessFile(withChipAuthentication = true): Buffer {
  return set(
    seq(oid(OID.terminalAuthentication), int(1)),
    ...(withChipAuthentication ? [seq(oid(OID.caEcdhAes128), int(1))] : []),
    seq(oid(OID.paceEcdhGmAes128), int(2), int(13)),
  );
}

/** DG14: CA public key (id-PK-ECDH, named brainpoolP256r1) and CA info, and/or AA info (ECDSA, SHA-256). */
export function buildDg14(keys: ChipKeys, withChipAuthentication: boolean, withActiveAuthentication: boolean): Buffer {
  const infos: Buffer[] = [];
  if (withChipAuthentication) {
    const publicPoint = brainpoolP256r1.getPublicKey(keys.chipAuthentication, false);
    const spki = seq(
      seq(oid(OID.pkEcdh), oid(OID.brainpoolP256r1)),
      Buffer.from(encodeTlv(0x03, Uint8Array.of(0), publicPoint)),
    );
    infos.push(seq(oid(OID.pkEcdh), spki), seq(oid(OID.caEcdhAes128), int(1)));
  }
  if (withActiveAuthentication) infos.push(seq(oid(OID.activeAuthentication), int(1), oid(OID.ecdsaPlainSha256)));
  return Buffer.from(encodeTlv(0x6e, set(...infos)));
}

/** DG15: 6F { SubjectPublicKeyInfo of the AA key }. */
export function buildDg15(keys: ChipKeys): Buffer {
  const spki = createPublicKey(keys.activeAuthentication).export({ format: 'der', type: 'spki' });
  return Buffer.from(encodeTlv(0x6f, spki));
}

export async function makeChipCard(options: ChipCardOptions): Promise<ChipCard> {
  const { person } = options;
  const withCa = !options.withoutChipAuthentication;
  const withAa = !options.withoutActiveAuthentication;
  const expiry = options.expiry ?? person.expiry;
  const pki = await loadTestPki(options.pkiDir);
  const keys = newChipKeys();
  const mrz = mrzOf(person, expiry);
  const portrait = await portraitJpeg(options.facePhoto ?? person.facePhoto);
  const dataGroups = new Map<number, Buffer>([
    [1, buildDg1(mrz)],
    [2, buildDg2(portrait)],
    [13, buildDg13(person, expiry)],
  ]);
  if (withCa || withAa) dataGroups.set(14, buildDg14(keys, withCa, withAa));
  if (withAa) dataGroups.set(15, buildDg15(keys));
  for (const [n, bytes] of options.dataGroupOverrides ?? []) dataGroups.set(n, bytes);
  const signer = pki.documentSigner;
  const sod = buildSod(dataGroups, options.signingTime ? { signer, signingTime: options.signingTime } : { signer });
  // TD1 line 1: IDVNM, document number (the last 9 ID digits) + check digit; line 2: DOB, sex, expiry.
  const mrzKey = {
    documentNumber: mrz[0].slice(5, 14),
    dateOfBirth: mrz[1].slice(0, 6),
    dateOfExpiry: mrz[1].slice(8, 14),
  };
  return {
    person,
    mrz,
    can: person.id.slice(-6),
    mrzKey,
    cardAccess: cardAccessFile(withCa),
    com: buildCom(dataGroups.keys()),
    sod,
    dataGroups,
    keys,
  };
}

/** A clone: every file of `card` copied byte for byte (so passive authentication passes), other chip keys. */
export function cloneChipCard(card: ChipCard): ChipCard {
  return { ...card, dataGroups: new Map(card.dataGroups), keys: newChipKeys() };
}
