// Reading elementary files (ICAO 9303-10 §3.6, 9303-11 §9.8): SELECT by file identifier, READ BINARY of the
// first bytes to learn the TLV length, then the rest in chunks that fit the reader. B1 (offset in a DO54)
// replaces B0 above offset 32767, where B0's 15-bit offset ends.
import { SW } from './apdu.js';
import { type CardLink, describeSw } from './card-link.js';
import { abort } from './outcome.js';
import { concatBytes, encodeTlv, readTlv, readTlvHeader } from './tlv.js';

export const FID = {
  cardAccess: 0x011c,
  com: 0x011e,
  sod: 0x011d,
  dataGroup: (n: number) => 0x0100 + n,
} as const;
export const CARD_ACCESS_SFI = 0x1c;

/** Largest file a session accepts: a CCCD portrait is 10–30 KB; anything far above is a bad length field. */
export const MAX_FILE_BYTES = 128 * 1024;
/** First read: tag (1 byte for every LDS file) and a length of up to 3 bytes (82 xx xx). */
const HEADER_READ = 4;
/**
 * Per READ BINARY under SM on a short-APDU reader: 223 data bytes pad to 224, and with DO87/DO99/DO8E the
 * response stays within the 256 bytes of a short Le (JMRTD's DEFAULT_MAX_BLOCKSIZE).
 */
export const SHORT_CHUNK = 223;
/**
 * Per READ BINARY on an extended-length reader. Kept to about 1 KB: the CCID message of the readers named in
 * chip-reading.md is ~520 bytes, so larger responses are split by the reader anyway and gain little.
 */
export const EXTENDED_CHUNK = 1024;

export interface FileReadOptions {
  /** Overrides the chunk size (tests and benchmarks). */
  chunkSize?: number;
}

/** Selects the EF with `fid` in the current DF; false when the card says it is not there or not readable. */
export async function selectFile(link: CardLink, fid: number): Promise<boolean> {
  const response = await link.send({
    cla: 0x00,
    ins: 0xa4,
    p1: 0x02,
    p2: 0x0c,
    data: Uint8Array.of(fid >> 8, fid & 0xff),
  });
  if (response.sw === SW.ok) return true;
  if (response.sw === SW.fileNotFound || response.sw === SW.securityStatusNotSatisfied) return false;
  return abort('chip.malformed', `SELECT ${fid.toString(16)}: unexpected ${describeSw(response.sw)}`);
}

async function readChunk(link: CardLink, offset: number, length: number, sfi?: number): Promise<Uint8Array> {
  if (offset <= 0x7fff) {
    const p1 = sfi !== undefined ? 0x80 | sfi : offset >> 8;
    const p2 = sfi !== undefined ? offset : offset & 0xff;
    const response = await link.send({ cla: 0x00, ins: 0xb0, p1, p2, le: length });
    if (response.sw !== SW.ok && response.sw !== 0x6282)
      return abort('chip.malformed', `READ BINARY at ${offset}: ${describeSw(response.sw)}`);
    return response.data;
  }
  const offsetBytes =
    offset > 0xffff
      ? Uint8Array.of(offset >> 16, (offset >> 8) & 0xff, offset & 0xff)
      : Uint8Array.of(offset >> 8, offset & 0xff);
  // The answer comes in a DO53 whose header takes up to 4 of the bytes asked for.
  const response = await link.send({
    cla: 0x00,
    ins: 0xb1,
    p1: 0x00,
    p2: 0x00,
    data: encodeTlv(0x54, offsetBytes),
    le: length + 4,
  });
  if (response.sw !== SW.ok && response.sw !== 0x6282)
    return abort('chip.malformed', `READ BINARY (B1) at ${offset}: ${describeSw(response.sw)}`);
  const wrapped = readTlv(response.data);
  if (wrapped?.tag !== 0x53) return abort('chip.malformed', `READ BINARY (B1) at ${offset}: no DO53 in the answer`);
  return wrapped.value;
}

/**
 * Reads the whole currently selected file (or, with `sfi`, the file with that short identifier). The file
 * is one TLV; its length field decides how much to read.
 */
export async function readSelectedFile(
  link: CardLink,
  options: FileReadOptions & { sfi?: number } = {},
): Promise<Uint8Array> {
  const chunkSize = options.chunkSize ?? (link.extendedLength ? EXTENDED_CHUNK : SHORT_CHUNK);
  const first = await readChunk(link, 0, HEADER_READ, options.sfi);
  if (first.length === 0) return abort('chip.malformed', 'file is empty');
  const header = readTlvHeader(first.length < HEADER_READ ? first : first.subarray(0, HEADER_READ));
  if (!header) return abort('chip.malformed', 'file does not start with a TLV header this reader understands');
  const total = header.headerLength + header.valueLength;
  if (total > MAX_FILE_BYTES)
    return abort('chip.malformed', `file claims ${total} bytes, above the ${MAX_FILE_BYTES} bound`);
  const parts: Uint8Array[] = [first.subarray(0, Math.min(first.length, total))];
  let offset = parts[0].length;
  while (offset < total) {
    const length = Math.min(chunkSize - (offset > 0x7fff ? 4 : 0), total - offset);
    const chunk = await readChunk(link, offset, length);
    if (chunk.length === 0) return abort('chip.malformed', `file ends at ${offset} of ${total} bytes`);
    parts.push(chunk.subarray(0, Math.min(chunk.length, total - offset)));
    offset += parts[parts.length - 1].length;
  }
  return concatBytes(...parts);
}

/** SELECT then read; null when the card does not have the file (6A82) or will not show it (6982). */
export async function readFile(link: CardLink, fid: number, options: FileReadOptions = {}): Promise<Uint8Array | null> {
  if (!(await selectFile(link, fid))) return null;
  return readSelectedFile(link, options);
}
