// A simulated CCCD chip at APDU level: the card's side of ICAO 9303 (file system, PACE-GM ECDH on
// brainpoolP256r1 with CAN or MRZ, BAC, secure messaging, Chip and Active Authentication), with an injectable
// random source so published transcripts replay, and the faults a gate meets: clones (other CA/AA keys),
// older cards (no CA), no PACE, SELECT MF answering 6D00, corrupted response MACs.
import { randomBytes, sign } from 'node:crypto';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import type { CardBehaviour } from '../../../drivers/chip-pcsc/card-channel.js';
import { SW } from '../../../drivers/chip-pcsc/icao/apdu.js';
import { bacSessionKeys } from '../../../drivers/chip-pcsc/icao/bac.js';
import { bytesToBigint, curveByParameterId, randomScalar } from '../../../drivers/chip-pcsc/icao/curves.js';
import {
  type AccessKey,
  bacKeys,
  KDF_COUNTER,
  kdf,
  pacePasswordKey,
} from '../../../drivers/chip-pcsc/icao/key-derivation.js';
import { tokenInput } from '../../../drivers/chip-pcsc/icao/pace.js';
import {
  AES_SUITE,
  aesCbcEncrypt,
  pad,
  TDES_SUITE,
  tdesDecrypt,
  tdesEncrypt,
} from '../../../drivers/chip-pcsc/icao/sm-cipher.js';
import {
  concatBytes,
  encodeOid,
  encodeTlv,
  findTag,
  readTlv,
  readTlvList,
} from '../../../drivers/chip-pcsc/icao/tlv.js';
import type { ChipCard } from '../make-chip-card.js';
import { ChipSecureMessaging } from './chip-secure-messaging.js';
import { type ParsedCommand, parseCommand } from './command-apdu.js';
import { aesCmacSync, chipMac } from './sync-cmac.js';

export interface CccdChipOptions {
  /** Random source for RND.IC, K.IC, the PACE nonce and ephemeral keys; node:crypto by default. */
  random?: (length: number) => Uint8Array;
  /** No EF.CardAccess and no PACE: a BAC-only chip. */
  withoutPace?: boolean;
  /** No BAC (GET CHALLENGE / EXTERNAL AUTHENTICATE answer 6D00), as on PACE-only chips. */
  withoutBac?: boolean;
  /** SELECT MF answers 6D00, as CCCD chips do (AndyQ/NFCPassportReader#219). */
  selectMfUnsupported?: boolean;
  /** EF.CardAccess can be neither selected nor read by short FID: readers must use the known profile. */
  cardAccessHidden?: boolean;
  /** Corrupt the MAC of the n-th protected response (1 = the first after access control). */
  corruptResponseMacAt?: number;
}

const PACE_OID = encodeOid('0.4.0.127.0.7.2.2.4.2.2');
const CA_OID = encodeOid('0.4.0.127.0.7.2.2.3.2.2');
const EMRTD_AID = Uint8Array.from([0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);
const FID_CARD_ACCESS = 0x011c;
const FID_COM = 0x011e;
const FID_SOD = 0x011d;
const CURVE = curveByParameterId(13)!; // brainpoolP256r1: CCCD's PACE parameter id 13

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const status = (sw: number, data: Uint8Array = new Uint8Array(0)) =>
  concatBytes(data, Uint8Array.of(sw >> 8, sw & 0xff));

type PaceState =
  | { step: 'set'; passwordKey: Uint8Array }
  | { step: 'nonce-sent'; nonce: bigint }
  | { step: 'mapped'; generator: InstanceType<typeof brainpoolP256r1.Point> }
  | { step: 'keys'; ksEnc: Uint8Array; ksMac: Uint8Array; chipPublic: Uint8Array; terminalPublic: Uint8Array };

interface Reply {
  data?: Uint8Array;
  sw: number;
}

export class CccdChip implements CardBehaviour {
  readonly atr = Uint8Array.from([0x3b, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x77, 0x81, 0x81, 0x00, 0x79]);
  private readonly random: (n: number) => Uint8Array;
  private inApplication = false;
  private selected: number | null = null;
  private sm: ChipSecureMessaging | null = null;
  private protectedResponses = 0;
  private pace: PaceState | null = null;
  private rndIc: Uint8Array | null = null;
  private caArmed = false;
  private readonly mfFiles: Map<number, Uint8Array>;
  private readonly appFiles: Map<number, Uint8Array>;

  constructor(
    private readonly card: ChipCard,
    private readonly options: CccdChipOptions = {},
  ) {
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.mfFiles = new Map(options.withoutPace ? [] : [[FID_CARD_ACCESS, card.cardAccess]]);
    this.appFiles = new Map<number, Uint8Array>([
      [FID_COM, card.com],
      [FID_SOD, card.sod],
      ...[...card.dataGroups].map(([n, bytes]) => [0x0100 + n, bytes] as [number, Uint8Array]),
    ]);
  }

  powerOn(): void {
    this.reset();
  }

  powerOff(): void {
    this.reset();
  }

  reset(): void {
    this.inApplication = false;
    this.selected = null;
    this.sm = null;
    this.pace = null;
    this.rndIc = null;
    this.caArmed = false;
    this.protectedResponses = 0;
  }

  process(apdu: Uint8Array): Uint8Array {
    try {
      return this.processCommand(apdu);
    } catch {
      // A chip never crashes on a command: anything unforeseen is a refusal.
      this.sm = null;
      return status(SW.wrongData);
    }
  }

  private processCommand(apdu: Uint8Array): Uint8Array {
    const parsed = parseCommand(apdu);
    if (!parsed) return status(SW.wrongLength);
    if ((parsed.cla & 0x0c) === 0x0c) {
      const sm = this.sm;
      if (!sm) return status(SW.smDataObjectsMissing);
      const plain = sm.unprotect(parsed);
      if (!plain) {
        // 9303-11 §9.8.6: a wrong MAC ends secure messaging; the answer goes out plain.
        this.sm = null;
        return status(SW.smDataObjectsIncorrect);
      }
      const reply = this.dispatch(plain);
      if (this.sm !== sm && this.sm !== null) {
        // Chip Authentication: the answer travels under the old keys, everything after under the new.
        return sm.protect(plain.ins, reply.data ?? new Uint8Array(0), reply.sw);
      }
      this.protectedResponses++;
      if (this.options.corruptResponseMacAt === this.protectedResponses) sm.corruptResponseMacIn = 1;
      return sm.protect(plain.ins, reply.data ?? new Uint8Array(0), reply.sw);
    }
    if (this.sm && parsed.ins !== 0x86 && parsed.ins !== 0x22) {
      // A plain command while SM is on ends the session (ISO 7816-4); only a new PACE may start plain.
      this.sm = null;
      return status(SW.smDataObjectsMissing);
    }
    const reply = this.dispatch(parsed);
    return status(reply.sw, reply.data);
  }

  private dispatch(cmd: ParsedCommand): Reply {
    switch (cmd.ins) {
      case 0xa4:
        return this.select(cmd);
      case 0xb0:
      case 0xb1:
        return this.readBinary(cmd);
      case 0x84:
        return this.getChallenge(cmd);
      case 0x82:
        return this.externalAuthenticate(cmd);
      case 0x22:
        return this.manageSecurityEnvironment(cmd);
      case 0x86:
        return this.caArmed && this.sm ? this.chipAuthenticate(cmd) : this.paceStep(cmd);
      case 0x88:
        return this.internalAuthenticate(cmd);
      default:
        return { sw: SW.insNotSupported };
    }
  }

  private select(cmd: ParsedCommand): Reply {
    if (cmd.p1 === 0x04) {
      if (!equalBytes(cmd.data, EMRTD_AID)) return { sw: SW.fileNotFound };
      this.inApplication = true;
      this.selected = null;
      return { sw: SW.ok };
    }
    if (cmd.p1 === 0x00 && (cmd.data.length === 0 || (cmd.data[0] === 0x3f && cmd.data[1] === 0x00))) {
      if (this.options.selectMfUnsupported) return { sw: SW.insNotSupported };
      this.inApplication = false;
      this.selected = null;
      return { sw: SW.ok };
    }
    if (cmd.p1 === 0x02) {
      if (cmd.data.length !== 2) return { sw: SW.wrongLength };
      const fid = (cmd.data[0] << 8) | cmd.data[1];
      if (!this.currentFiles().has(fid) || this.hidden(fid)) return { sw: SW.fileNotFound };
      this.selected = fid;
      return { sw: SW.ok };
    }
    return { sw: SW.incorrectP1P2 };
  }

  private currentFiles(): Map<number, Uint8Array> {
    return this.inApplication ? this.appFiles : this.mfFiles;
  }

  private hidden(fid: number): boolean {
    return fid === FID_CARD_ACCESS && this.options.cardAccessHidden === true;
  }

  private readBinary(cmd: ParsedCommand): Reply {
    let fid = this.selected;
    let offset: number;
    if (cmd.ins === 0xb1) {
      const offsetObject = readTlv(cmd.data);
      if (offsetObject?.tag !== 0x54 || offsetObject.value.length === 0 || offsetObject.value.length > 3)
        return { sw: SW.wrongData };
      offset = Number(bytesToBigint(offsetObject.value));
    } else if (cmd.p1 & 0x80) {
      // Short EF identifier: FID 01xx for SFI xx (9303-10 §3.6).
      if (cmd.p1 & 0x60) return { sw: SW.incorrectP1P2 };
      fid = 0x0100 | (cmd.p1 & 0x1f);
      if (!this.currentFiles().has(fid) || this.hidden(fid)) return { sw: SW.fileNotFound };
      this.selected = fid;
      offset = cmd.p2;
    } else offset = (cmd.p1 << 8) | cmd.p2;
    if (fid === null) return { sw: SW.commandNotAllowed };
    if (this.inApplication && !this.sm) return { sw: SW.securityStatusNotSatisfied };
    const file = this.currentFiles().get(fid);
    if (!file) return { sw: SW.fileNotFound };
    if (offset > file.length) return { sw: SW.wrongParameters };
    const wanted = cmd.le ?? 256;
    if (cmd.ins === 0xb1) {
      const chunk = file.subarray(offset, offset + Math.max(0, wanted - 4));
      return { data: encodeTlv(0x53, chunk), sw: SW.ok };
    }
    return { data: file.subarray(offset, offset + wanted), sw: SW.ok };
  }

  // --- BAC (9303-11 §4.3) ---

  private getChallenge(cmd: ParsedCommand): Reply {
    if (this.options.withoutBac) return { sw: SW.insNotSupported };
    if (cmd.le !== 8) return { sw: SW.wrongLength };
    this.rndIc = this.random(8);
    return { data: this.rndIc, sw: SW.ok };
  }

  private externalAuthenticate(cmd: ParsedCommand): Reply {
    if (this.options.withoutBac) return { sw: SW.insNotSupported };
    const rndIc = this.rndIc;
    this.rndIc = null;
    if (!rndIc) return { sw: SW.conditionsNotSatisfied };
    if (cmd.data.length !== 40) return { sw: SW.wrongLength };
    const { kEnc, kMac } = bacKeys(this.card.mrzKey);
    const eIfd = cmd.data.subarray(0, 32);
    if (!equalBytes(chipMac('3des', kMac, pad(eIfd, 8)), cmd.data.subarray(32))) return { sw: SW.verificationFailed };
    const s = tdesDecrypt(kEnc, eIfd);
    if (!equalBytes(s.subarray(8, 16), rndIc)) return { sw: SW.verificationFailed };
    const rndIfd = s.subarray(0, 8);
    const kIc = this.random(16);
    const eIc = tdesEncrypt(kEnc, concatBytes(rndIc, rndIfd, kIc));
    const keys = bacSessionKeys(s.subarray(16, 32), kIc, rndIc, rndIfd);
    this.startSecureMessaging(new ChipSecureMessaging({ suite: TDES_SUITE, ...keys }));
    return { data: concatBytes(eIc, chipMac('3des', kMac, pad(eIc, 8))), sw: SW.ok };
  }

  private startSecureMessaging(sm: ChipSecureMessaging): void {
    this.sm = sm;
    this.protectedResponses = 0;
  }

  // --- MSE:Set AT for PACE (C1 A4) and for Chip Authentication (41 A4) ---

  private manageSecurityEnvironment(cmd: ParsedCommand): Reply {
    const objects = readTlvList(cmd.data);
    const protocol = objects ? findTag(objects, 0x80)?.value : undefined;
    if (!objects || !protocol) return { sw: SW.wrongData };
    if (cmd.p1 === 0xc1 && cmd.p2 === 0xa4) {
      if (this.options.withoutPace) return { sw: SW.insNotSupported };
      const reference = findTag(objects, 0x83)?.value;
      if (!equalBytes(protocol, PACE_OID) || reference?.length !== 1) return { sw: SW.wrongData };
      let key: AccessKey;
      if (reference[0] === 0x01) key = { kind: 'mrz', ...this.card.mrzKey };
      else if (reference[0] === 0x02) key = { kind: 'can', can: this.card.can };
      else return { sw: SW.wrongData };
      this.sm = null;
      this.pace = { step: 'set', passwordKey: pacePasswordKey(key, 'aes-128') };
      return { sw: SW.ok };
    }
    if (cmd.p1 === 0x41 && cmd.p2 === 0xa4) {
      if (!this.sm || !this.card.dataGroups.has(14) || !equalBytes(protocol, CA_OID)) return { sw: SW.wrongData };
      this.caArmed = true;
      return { sw: SW.ok };
    }
    return { sw: SW.incorrectP1P2 };
  }

  // --- PACE, generic mapping on brainpoolP256r1 (9303-11 §4.4) ---

  private paceStep(cmd: ParsedCommand): Reply {
    const pace = this.pace;
    const outer = readTlv(cmd.data);
    const inner = outer?.tag === 0x7c ? readTlvList(outer.value) : null;
    if (!pace || !inner) {
      this.pace = null;
      return { sw: pace ? SW.wrongData : SW.conditionsNotSatisfied };
    }
    const Point = CURVE.curve.Point;
    const reply = (tag: number, value: Uint8Array): Reply => ({
      data: encodeTlv(0x7c, encodeTlv(tag, value)),
      sw: SW.ok,
    });
    const fail = (sw: number): Reply => {
      this.pace = null;
      return { sw };
    };
    if (pace.step === 'set' && inner.length === 0) {
      const s = this.random(16);
      this.pace = { step: 'nonce-sent', nonce: bytesToBigint(s) };
      return reply(0x80, aesCbcEncrypt(pace.passwordKey, new Uint8Array(16), s));
    }
    const value = inner[0]?.value;
    if (!value) return fail(SW.wrongData);
    if (pace.step === 'nonce-sent' && inner[0].tag === 0x81) {
      const terminalMap = Point.fromBytes(value);
      const mapKey = randomScalar(CURVE, this.random);
      const generator = Point.BASE.multiply(pace.nonce).add(terminalMap.multiply(mapKey));
      this.pace = { step: 'mapped', generator };
      return reply(0x82, Point.BASE.multiply(mapKey).toBytes(false));
    }
    if (pace.step === 'mapped' && inner[0].tag === 0x83) {
      const terminalPublic = Point.fromBytes(value);
      const key = randomScalar(CURVE, this.random);
      const chipPublic = pace.generator.multiply(key).toBytes(false);
      if (equalBytes(chipPublic, terminalPublic.toBytes(false))) return fail(SW.wrongData);
      const sharedX = terminalPublic.multiply(key).toBytes(false).subarray(1, 33);
      this.pace = {
        step: 'keys',
        ksEnc: kdf(sharedX, KDF_COUNTER.enc, 'aes-128'),
        ksMac: kdf(sharedX, KDF_COUNTER.mac, 'aes-128'),
        chipPublic,
        terminalPublic: terminalPublic.toBytes(false),
      };
      return reply(0x84, chipPublic);
    }
    if (pace.step === 'keys' && inner[0].tag === 0x85) {
      const expected = aesCmacSync(pace.ksMac, tokenInput(PACE_OID, pace.chipPublic)).subarray(0, 8);
      // A wrong CAN or MRZ gives the terminal another generator, so other keys and another token.
      if (!equalBytes(expected, value)) return fail(SW.verificationFailed);
      const chipToken = aesCmacSync(pace.ksMac, tokenInput(PACE_OID, pace.terminalPublic)).subarray(0, 8);
      this.pace = null;
      this.startSecureMessaging(
        new ChipSecureMessaging({ suite: AES_SUITE, ksEnc: pace.ksEnc, ksMac: pace.ksMac, ssc: new Uint8Array(16) }),
      );
      return reply(0x86, chipToken);
    }
    return fail(SW.conditionsNotSatisfied);
  }

  // --- Chip Authentication v1, ECDH with AES (9303-11 §6.2) ---

  private chipAuthenticate(cmd: ParsedCommand): Reply {
    this.caArmed = false;
    const outer = readTlv(cmd.data);
    const inner = outer?.tag === 0x7c ? readTlvList(outer.value) : null;
    const terminalKey = inner ? findTag(inner, 0x80)?.value : undefined;
    if (!terminalKey) return { sw: SW.wrongData };
    const shared = brainpoolP256r1
      .getSharedSecret(this.card.keys.chipAuthentication, terminalKey, false)
      .subarray(1, 33);
    const next = new ChipSecureMessaging({
      suite: AES_SUITE,
      ksEnc: kdf(shared, KDF_COUNTER.enc, 'aes-128'),
      ksMac: kdf(shared, KDF_COUNTER.mac, 'aes-128'),
      ssc: new Uint8Array(16),
    });
    this.sm = next;
    return { data: Uint8Array.of(0x7c, 0x00), sw: SW.ok };
  }

  // --- Active Authentication (9303-11 §6.1): ECDSA, plain r‖s over SHA-256 ---

  private internalAuthenticate(cmd: ParsedCommand): Reply {
    if (!this.card.dataGroups.has(15)) return { sw: SW.insNotSupported };
    if (!this.sm) return { sw: SW.securityStatusNotSatisfied };
    if (cmd.data.length !== 8) return { sw: SW.wrongLength };
    const signature = sign('sha256', cmd.data, { key: this.card.keys.activeAuthentication, dsaEncoding: 'ieee-p1363' });
    return { data: new Uint8Array(signature), sw: SW.ok };
  }
}
