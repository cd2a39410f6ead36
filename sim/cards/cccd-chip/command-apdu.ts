// The card's reading of a command APDU (ISO/IEC 7816-4 §5.1, cases 1–4 in short and extended form).

export interface ParsedCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length (256 for a short Le 00, 65536 for an extended 0000); absent in cases 1 and 3. */
  le?: number;
  extended: boolean;
}

/** null when the length fields do not match the APDU's size (the card answers 6700). */
export function parseCommand(apdu: Uint8Array): ParsedCommand | null {
  if (apdu.length < 4) return null;
  const [cla, ins, p1, p2] = apdu;
  const base = { cla, ins, p1, p2 };
  const empty = new Uint8Array(0);
  if (apdu.length === 4) return { ...base, data: empty, extended: false };
  if (apdu.length === 5) return { ...base, data: empty, le: apdu[4] || 256, extended: false };
  if (apdu[4] !== 0) {
    const lc = apdu[4];
    if (apdu.length === 5 + lc) return { ...base, data: apdu.subarray(5, 5 + lc), extended: false };
    if (apdu.length === 6 + lc)
      return { ...base, data: apdu.subarray(5, 5 + lc), le: apdu[5 + lc] || 256, extended: false };
    return null;
  }
  if (apdu.length < 7) return null;
  const n = (apdu[5] << 8) | apdu[6];
  if (apdu.length === 7) return { ...base, data: empty, le: n || 65536, extended: true };
  if (n === 0) return null;
  if (apdu.length === 7 + n) return { ...base, data: apdu.subarray(7, 7 + n), extended: true };
  if (apdu.length === 9 + n) {
    const le = (apdu[7 + n] << 8) | apdu[8 + n];
    return { ...base, data: apdu.subarray(7, 7 + n), le: le || 65536, extended: true };
  }
  return null;
}

/** Whether this APDU uses the extended-length form (a short-only reader cannot carry it). */
export const isExtendedApdu = (apdu: Uint8Array): boolean => parseCommand(apdu)?.extended ?? false;
