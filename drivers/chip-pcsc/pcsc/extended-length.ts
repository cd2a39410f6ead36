// Whether a card in a reader takes extended-length APDUs, when the config leaves it to detection.
// Two things must hold. The reader carries them: per the CCID descriptors (LudovicRousseau/CCID
// readers/*.txt) the ACR122U takes short APDUs only, the ACR1252U and Omnikey 5022/5422 both. And the card
// says so in its ATR: historical bytes in compact-TLV form (category 0x80) with the "card capabilities"
// object (tag 7), whose third byte has b7 set for "extended Lc and Le fields" (ISO 7816-4 §8.1.1.2.7).
// When in doubt the answer is no: short APDUs work everywhere, only slower (reads in chunks).

/** Readers known to take short APDUs only (CCID maximum message 271 bytes). */
const SHORT_APDU_READERS = [/ACR122/i];

export function readerTakesExtendedLength(readerName: string): boolean {
  return !SHORT_APDU_READERS.some((pattern) => pattern.test(readerName));
}

/** The ATR's historical bytes, or undefined when the ATR is too short for what its format bytes announce. */
export function atrHistoricalBytes(atr: Uint8Array): Uint8Array | undefined {
  if (atr.length < 2) return undefined;
  const t0 = atr[1]!;
  const historicalCount = t0 & 0x0f;
  let indicator = t0 >> 4;
  let at = 2;
  // Each interface byte group: TA, TB, TC present per bits 1-3; TD (bit 4) announces the next group.
  for (;;) {
    at += (indicator & 1) + ((indicator >> 1) & 1) + ((indicator >> 2) & 1);
    if ((indicator & 8) === 0) break;
    if (at >= atr.length) return undefined;
    indicator = atr[at]! >> 4;
    at++;
  }
  if (at + historicalCount > atr.length) return undefined;
  return atr.subarray(at, at + historicalCount);
}

export function atrAdvertisesExtendedLength(atr: Uint8Array): boolean {
  const historical = atrHistoricalBytes(atr);
  if (historical?.[0] !== 0x80) return false;
  let at = 1;
  while (at < historical.length) {
    const tag = historical[at]! >> 4;
    const length = historical[at]! & 0x0f;
    const value = historical.subarray(at + 1, at + 1 + length);
    if (value.length < length) return false;
    if (tag === 0x7 && length >= 3) return (value[2]! & 0x40) !== 0;
    at += 1 + length;
  }
  return false;
}
