// Secure messaging on the card's side (ICAO 9303-11 §9.8): checks and decrypts protected commands,
// protects responses. The mirror of drivers/chip-pcsc/icao/secure-messaging.ts.
import { incrementCounter } from '../../../drivers/chip-pcsc/icao/secure-messaging.js';
import { pad, type SmCipherSuite, unpad } from '../../../drivers/chip-pcsc/icao/sm-cipher.js';
import { concatBytes, encodeTlv, findTag, readTlvList } from '../../../drivers/chip-pcsc/icao/tlv.js';
import type { ParsedCommand } from './command-apdu.js';
import { chipMac } from './sync-cmac.js';

export interface ChipSmKeys {
  suite: SmCipherSuite;
  ksEnc: Uint8Array;
  ksMac: Uint8Array;
  ssc: Uint8Array;
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export class ChipSecureMessaging {
  private readonly ssc: Uint8Array;
  /** Test hook: flip one byte of the MAC of this many-th protected response from now (1 = the next). */
  corruptResponseMacIn = 0;

  constructor(private readonly keys: ChipSmKeys) {
    this.ssc = Uint8Array.from(keys.ssc);
  }

  /** The plain command inside a protected one; null when a data object is missing or the MAC is wrong. */
  unprotect(cmd: ParsedCommand): ParsedCommand | null {
    const { suite, ksEnc, ksMac } = this.keys;
    incrementCounter(this.ssc);
    const objects = readTlvList(cmd.data);
    if (!objects) return null;
    const mac = findTag(objects, 0x8e);
    if (!mac) return null;
    const encrypted = findTag(objects, 0x87) ?? findTag(objects, 0x85);
    const leObject = findTag(objects, 0x97);
    const covered = concatBytes(
      ...[encrypted, leObject].filter((o) => o !== undefined).map((o) => cmd.data.subarray(o.start, o.end)),
    );
    const header = Uint8Array.of(cmd.cla, cmd.ins, cmd.p1, cmd.p2);
    const expected = chipMac(
      suite.name,
      ksMac,
      pad(concatBytes(this.ssc, pad(header, suite.blockSize), covered), suite.blockSize),
    );
    if (!equalBytes(expected, mac.value)) return null;
    let data: Uint8Array = new Uint8Array(0);
    if (encrypted) {
      const cryptogram = encrypted.tag === 0x87 ? encrypted.value.subarray(1) : encrypted.value;
      if (cryptogram.length === 0 || cryptogram.length % suite.blockSize !== 0) return null;
      const plain = unpad(suite.decrypt(ksEnc, this.ssc, cryptogram));
      if (!plain) return null;
      data = plain;
    }
    let le: number | undefined;
    if (leObject) {
      const v = leObject.value;
      le = v.length === 1 ? v[0] || 256 : v.length === 2 ? (v[0] << 8) | v[1] || 65536 : undefined;
    }
    return {
      cla: cmd.cla & ~0x0c,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data,
      ...(le !== undefined ? { le } : {}),
      extended: cmd.extended,
    };
  }

  /** Response data and status word under secure messaging: [DO87|DO85] DO99 DO8E 9000. */
  protect(ins: number, data: Uint8Array, sw: number): Uint8Array {
    const { suite, ksEnc, ksMac } = this.keys;
    incrementCounter(this.ssc);
    let dataObject: Uint8Array = new Uint8Array(0);
    if (data.length > 0) {
      const encrypted = suite.encrypt(ksEnc, this.ssc, pad(data, suite.blockSize));
      dataObject = (ins & 1) === 1 ? encodeTlv(0x85, encrypted) : encodeTlv(0x87, Uint8Array.of(0x01), encrypted);
    }
    const status = encodeTlv(0x99, Uint8Array.of(sw >> 8, sw & 0xff));
    const mac = chipMac(suite.name, ksMac, pad(concatBytes(this.ssc, dataObject, status), suite.blockSize));
    if (this.corruptResponseMacIn > 0 && --this.corruptResponseMacIn === 0) mac[0] ^= 0xff;
    return concatBytes(dataObject, status, encodeTlv(0x8e, mac), Uint8Array.of(0x90, 0x00));
  }
}
