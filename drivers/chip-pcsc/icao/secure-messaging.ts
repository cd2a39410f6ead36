// Secure messaging on the terminal's side (ICAO 9303-11 §9.8): protects command APDUs and checks and
// decrypts the card's responses under the session keys and the send sequence counter (SSC).
import { fail, ok, type Result } from '../../../contracts/result.js';
import { type CommandApdu, encodeApdu, needsExtendedLength, type ResponseApdu, SW, splitResponse } from './apdu.js';
import { pad, type SmCipherSuite, unpad } from './sm-cipher.js';
import { concatBytes, encodeTlv, findTag, readTlvList } from './tlv.js';

export interface SmKeys {
  suite: SmCipherSuite;
  ksEnc: Uint8Array;
  ksMac: Uint8Array;
  /** Initial SSC: 8 bytes for 3DES, 16 for AES. */
  ssc: Uint8Array;
}

export type UnprotectOutcome = Result<ResponseApdu, 'bad-mac' | 'missing-mac' | 'sm-status' | 'malformed'>;

/** Adds one to a big-endian counter in place. */
export function incrementCounter(counter: Uint8Array): void {
  for (let i = counter.length - 1; i >= 0; i--) {
    counter[i] = (counter[i] + 1) & 0xff;
    if (counter[i] !== 0) return;
  }
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Odd INS codes (B1 READ BINARY) carry their data in DO85, not padded-indicator DO87 (9303-11 §9.8.5). */
const isOddIns = (ins: number) => (ins & 1) === 1;

export class SecureMessaging {
  readonly suite: SmCipherSuite;
  private readonly ksEnc: Uint8Array;
  private readonly ksMac: Uint8Array;
  readonly ssc: Uint8Array;

  constructor(keys: SmKeys) {
    this.suite = keys.suite;
    this.ksEnc = keys.ksEnc;
    this.ksMac = keys.ksMac;
    this.ssc = Uint8Array.from(keys.ssc);
  }

  /** The protected APDU for `cmd`; the SSC moves on by one. */
  async protect(cmd: CommandApdu): Promise<Uint8Array> {
    const { suite } = this;
    const extended = needsExtendedLength(cmd);
    incrementCounter(this.ssc);
    const cla = cmd.cla | 0x0c;
    const header = Uint8Array.of(cla, cmd.ins, cmd.p1, cmd.p2);
    let dataObject: Uint8Array = new Uint8Array(0);
    if (cmd.data && cmd.data.length > 0) {
      const encrypted = suite.encrypt(this.ksEnc, this.ssc, pad(cmd.data, suite.blockSize));
      dataObject = isOddIns(cmd.ins) ? encodeTlv(0x85, encrypted) : encodeTlv(0x87, Uint8Array.of(0x01), encrypted);
    }
    let leObject: Uint8Array = new Uint8Array(0);
    if (cmd.le !== undefined) {
      const le = extended
        ? Uint8Array.of((cmd.le === 65536 ? 0 : cmd.le) >> 8, cmd.le & 0xff)
        : Uint8Array.of(cmd.le === 256 ? 0 : cmd.le);
      leObject = encodeTlv(0x97, le);
    }
    const macInput = concatBytes(this.ssc, pad(header, suite.blockSize), dataObject, leObject);
    const mac = await suite.mac(this.ksMac, pad(macInput, suite.blockSize));
    const body = concatBytes(dataObject, leObject, encodeTlv(0x8e, mac));
    return encodeApdu({ cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: body, le: extended ? 65536 : 256 }, extended);
  }

  /** Checks the MAC of a protected response and decrypts its data; the SSC moves on by one. */
  async unprotect(raw: Uint8Array): Promise<UnprotectOutcome> {
    incrementCounter(this.ssc);
    const response = splitResponse(raw);
    if (!response) return fail('malformed', 'response shorter than a status word');
    if (response.sw === SW.smDataObjectsMissing || response.sw === SW.smDataObjectsIncorrect)
      return fail('sm-status', `card answered ${response.sw.toString(16)}`);
    // Cards may answer an error without secure messaging (9303-11 §9.8.6: "the IC may respond with an
    // unprotected status word"): a bare status word that is not success is taken as the card's answer.
    if (response.data.length === 0 && response.sw !== SW.ok) return ok(response);
    const objects = readTlvList(response.data);
    if (!objects) return fail('malformed', 'protected response is not a list of TLVs');
    const macObject = findTag(objects, 0x8e);
    if (!macObject) return fail('missing-mac', 'protected response has no DO8E');
    const covered = concatBytes(
      ...objects.filter((o) => o.tag !== 0x8e).map((o) => response.data.subarray(o.start, o.end)),
    );
    const expected = await this.suite.mac(this.ksMac, pad(concatBytes(this.ssc, covered), this.suite.blockSize));
    if (!equalBytes(expected, macObject.value)) return fail('bad-mac', 'response MAC does not verify');
    const statusObject = findTag(objects, 0x99);
    const sw =
      statusObject && statusObject.value.length === 2
        ? (statusObject.value[0] << 8) | statusObject.value[1]
        : response.sw;
    const encrypted = findTag(objects, 0x87) ?? findTag(objects, 0x85);
    if (!encrypted) return ok({ data: new Uint8Array(0), sw });
    const cryptogram = encrypted.tag === 0x87 ? encrypted.value.subarray(1) : encrypted.value;
    if (cryptogram.length === 0 || cryptogram.length % this.suite.blockSize !== 0)
      return fail('malformed', 'cryptogram is not whole blocks');
    const plain = unpad(this.suite.decrypt(this.ksEnc, this.ssc, cryptogram));
    if (!plain) return fail('malformed', 'decrypted data has no padding');
    return ok({ data: plain, sw });
  }
}
