// Command APDUs (ISO/IEC 7816-4 §5.1): encoding in short or extended form, and splitting a response into
// data and status word.

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  /** Number of response bytes expected (1–65536); absent when none are. 256 is Le=00 in short form. */
  le?: number;
}

export const SW = {
  ok: 0x9000,
  /** Verification failed (PACE/BAC mutual authentication with a wrong key on many chips). */
  verificationFailed: 0x6300,
  wrongLength: 0x6700,
  securityStatusNotSatisfied: 0x6982,
  smDataObjectsMissing: 0x6987,
  smDataObjectsIncorrect: 0x6988,
  conditionsNotSatisfied: 0x6985,
  commandNotAllowed: 0x6986,
  wrongData: 0x6a80,
  fileNotFound: 0x6a82,
  incorrectP1P2: 0x6a86,
  wrongParameters: 0x6b00,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
} as const;

/** Whether this command needs the extended form (ISO 7816-4 §5.1: Lc > 255 or Le > 256). */
export const needsExtendedLength = (cmd: CommandApdu): boolean => (cmd.data?.length ?? 0) > 255 || (cmd.le ?? 0) > 256;

export function encodeApdu(cmd: CommandApdu, extended = needsExtendedLength(cmd)): Uint8Array {
  const out: number[] = [cmd.cla, cmd.ins, cmd.p1, cmd.p2];
  const data = cmd.data ?? new Uint8Array(0);
  if (data.length > 0) {
    if (extended) out.push(0x00, data.length >> 8, data.length & 0xff);
    else out.push(data.length);
    out.push(...data);
  }
  if (cmd.le !== undefined) {
    if (extended) {
      if (data.length === 0) out.push(0x00);
      const le = cmd.le === 65536 ? 0 : cmd.le;
      out.push(le >> 8, le & 0xff);
    } else out.push(cmd.le === 256 ? 0 : cmd.le);
  }
  return Uint8Array.from(out);
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

/** null for a response shorter than a status word. */
export function splitResponse(response: Uint8Array): ResponseApdu | null {
  if (response.length < 2) return null;
  const n = response.length - 2;
  return { data: response.subarray(0, n), sw: (response[n] << 8) | response[n + 1] };
}

export const swHex = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');
