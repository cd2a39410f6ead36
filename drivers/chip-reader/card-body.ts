// The card body: every file of one card as fileId | length | bytes entries (PROTOCOL.md §3). Pure.
import { fail, ok, type Result } from '../../contracts/result.js';
import type { ChipRead } from './index.js';

export const FILE_ID_COM = 0x1e;
export const FILE_ID_SOD = 0x1d;
const FIRST_DG = 0x01;
const LAST_DG = 0x10;
const ENTRY_HEADER_BYTES = 5;
// A CCCD is under 50 KB (DG2 20–40 KB); room for DG3/DG4 biometrics on other documents, bounded all the same.
export const MAX_CARD_BYTES = 512 * 1024;

export type CardBodyError = 'card.malformed' | 'card.no-sod' | 'card.too-large';

export function encodeCardBody(read: ChipRead): Buffer {
  const entries: Buffer[] = [];
  const add = (fileId: number, bytes: Buffer) => {
    const head = Buffer.alloc(ENTRY_HEADER_BYTES);
    head[0] = fileId;
    head.writeUInt32BE(bytes.length, 1);
    entries.push(head, bytes);
  };
  if (read.com) add(FILE_ID_COM, read.com);
  add(FILE_ID_SOD, read.sod);
  for (const [dg, bytes] of [...read.dataGroups].sort(([a], [b]) => a - b)) {
    if (!Number.isInteger(dg) || dg < FIRST_DG || dg > LAST_DG) throw new RangeError(`data group ${dg} is not 1..16`);
    add(dg, bytes);
  }
  return Buffer.concat(entries);
}

export function decodeCardBody(body: Buffer, maxCardBytes = MAX_CARD_BYTES): Result<ChipRead, CardBodyError> {
  if (body.length > maxCardBytes) return fail('card.too-large', `${body.length} bytes, limit ${maxCardBytes}`);
  let com: Buffer | undefined;
  let sod: Buffer | undefined;
  const dataGroups = new Map<number, Buffer>();
  let at = 0;
  while (at < body.length) {
    if (body.length - at < ENTRY_HEADER_BYTES) return fail('card.malformed', `entry header cut short at byte ${at}`);
    const fileId = body[at];
    const length = body.readUInt32BE(at + 1);
    const start = at + ENTRY_HEADER_BYTES;
    if (length === 0) return fail('card.malformed', `file 0x${fileId.toString(16)} is empty`);
    if (length > body.length - start)
      return fail(
        'card.malformed',
        `file 0x${fileId.toString(16)} claims ${length} bytes, ${body.length - start} left`,
      );
    // Copy so a kept file does not pin the whole body in memory.
    const bytes = Buffer.from(body.subarray(start, start + length));
    at = start + length;
    if (fileId === FILE_ID_COM) {
      if (com) return fail('card.malformed', 'EF.COM appears twice');
      com = bytes;
    } else if (fileId === FILE_ID_SOD) {
      if (sod) return fail('card.malformed', 'EF.SOD appears twice');
      sod = bytes;
    } else if (fileId >= FIRST_DG && fileId <= LAST_DG) {
      if (dataGroups.has(fileId)) return fail('card.malformed', `DG${fileId} appears twice`);
      dataGroups.set(fileId, bytes);
    } else {
      return fail('card.malformed', `unknown file id 0x${fileId.toString(16)}`);
    }
  }
  if (!sod) return fail('card.no-sod', 'the card body has no EF.SOD');
  return ok(com ? { com, sod, dataGroups } : { sod, dataGroups });
}
