// The first 100 bytes of a SQLite database file, read by the store watch every check period. A file
// overwritten in place (same inode, so the identity check cannot see it) keeps taking writes through the
// open connection's page cache and WAL, and the gate keeps allowing on a log nobody can read back (issue #11
// review, finding 4). The header is the cheap tell: garbage, a zeroed file or another database shows here.
// Field offsets and fixed values are from SQLite's file-format document (https://sqlite.org/fileformat.html).
import { fail, ok, type Result } from '../reasons.js';

export const SQLITE_HEADER_BYTES = 100;

/** Why a header is not the one the open connection expects; the text goes into logs and /healthz. */
export type HeaderDefect = 'header.short' | 'header.magic' | 'header.page-size' | 'header.fields';

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks a database header against the connection's page size. Never throws: any bytes at all give a
 * verdict. Only fields that never legitimately change under an open WAL connection are checked.
 */
export function checkSqliteHeader(bytes: Uint8Array, pageSize: number): Result<true, HeaderDefect> {
  if (bytes.length < SQLITE_HEADER_BYTES) return fail('header.short', `${bytes.length} bytes`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, SQLITE_HEADER_BYTES);
  if (!b.subarray(0, 16).equals(MAGIC)) return fail('header.magic');
  // Offset 16: page size, big-endian; 1 stands for 65536.
  const stored = b.readUInt16BE(16);
  const filePageSize = stored === 1 ? 65536 : stored;
  if (filePageSize !== pageSize) return fail('header.page-size', `${filePageSize} in the file, ${pageSize} open`);
  // 18/19: write/read format (1 legacy, 2 WAL); 21-23: payload fractions, fixed at 64, 32, 32;
  // 44: schema format 1-4; 56: text encoding 1-3; 72-91: reserved, zero. Schema format and encoding are 0 in
  // a file whose schema is still only in the WAL (a new log before its first checkpoint).
  const formatsOk = [1, 2].includes(b[18]!) && [1, 2].includes(b[19]!);
  const fractionsOk = b[21] === 64 && b[22] === 32 && b[23] === 32;
  const schemaFormat = b.readUInt32BE(44);
  const encoding = b.readUInt32BE(56);
  const reservedZero = b.subarray(72, 92).every((x) => x === 0);
  if (!formatsOk || !fractionsOk || schemaFormat > 4 || encoding > 3) {
    return fail('header.fields');
  }
  if (!reservedZero) return fail('header.fields', 'reserved bytes not zero');
  return ok(true);
}
