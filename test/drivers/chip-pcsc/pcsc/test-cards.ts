// Trivial cards for the PC/SC transport tests: enough ISO 7816-4 to see bytes go both ways.
import type { CardBehaviour } from '../../../../drivers/chip-pcsc/card-channel.js';

/** Builds an ATR for T=1 whose historical bytes hold `historical` (the TCK is computed). */
export function atrWithHistoricalBytes(historical: number[]): Uint8Array {
  // TS=3B, T0=8K (TD1 follows), TD1=80 (T=0, TD2 follows), TD2=01 (T=1): then K historical bytes and TCK.
  const body = [0x80 | historical.length, 0x80, 0x01, ...historical];
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

/** Compact-TLV card capabilities (tag 7, 3 bytes) with "extended Lc and Le fields" set. */
export const EXTENDED_LENGTH_ATR = atrWithHistoricalBytes([0x80, 0x73, 0x00, 0x00, 0xe0]);
export const SHORT_ONLY_ATR = atrWithHistoricalBytes([0x80, 0x73, 0x00, 0x00, 0x80]);

const SW_OK = [0x90, 0x00];
const SW_NOT_FOUND = [0x6a, 0x82];
const SW_NO_FILE_SELECTED = [0x69, 0x86];
const SW_INS_NOT_SUPPORTED = [0x6d, 0x00];

/**
 * A card with one elementary file (id 0x011E): SELECT by file id (00 A4 02 0C 02 01 1E), READ BINARY
 * (00 B0 offset Le, short or extended Le). INS 0xEE calls `onPull` before answering: the test takes the
 * card out of the field there, mid-exchange.
 */
export class OneFileCard implements CardBehaviour {
  private selected = false;
  powered = false;

  constructor(
    readonly atr: Uint8Array,
    readonly file: Uint8Array,
    private readonly onPull: () => void = () => {},
  ) {}

  powerOn(): void {
    this.powered = true;
  }
  powerOff(): void {
    this.powered = false;
    this.selected = false;
  }
  reset(): void {
    this.selected = false;
  }

  process(apdu: Uint8Array): Uint8Array {
    const ins = apdu[1];
    if (ins === 0xee) {
      this.onPull();
      return Uint8Array.from(SW_OK);
    }
    if (ins === 0xa4) {
      this.selected = apdu.length >= 7 && apdu[5] === 0x01 && apdu[6] === 0x1e;
      return Uint8Array.from(this.selected ? SW_OK : SW_NOT_FOUND);
    }
    if (ins === 0xb0) {
      if (!this.selected) return Uint8Array.from(SW_NO_FILE_SELECTED);
      const offset = ((apdu[2]! & 0x7f) << 8) | apdu[3]!;
      // Short Le: one byte (0 means 256). Extended Le: 00 then two bytes (0000 means 65536).
      const le = apdu.length === 5 ? apdu[4]! || 256 : apdu.length === 7 ? (apdu[5]! << 8) | apdu[6]! || 65_536 : 256;
      return Uint8Array.from([...this.file.subarray(offset, offset + le), ...SW_OK]);
    }
    return Uint8Array.from(SW_INS_NOT_SUPPORTED);
  }
}

/** Answers every APDU with its own bytes and 9000. */
export class EchoCard implements CardBehaviour {
  constructor(readonly atr: Uint8Array = EXTENDED_LENGTH_ATR) {}
  powerOn(): void {}
  powerOff(): void {}
  reset(): void {}
  process(apdu: Uint8Array): Uint8Array {
    return Uint8Array.from([...apdu, ...SW_OK]);
  }
}
