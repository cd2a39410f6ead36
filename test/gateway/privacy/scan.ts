// Looks for personal data, byte for byte, in what a gateway leaves behind: database files, logs, messages.
import { existsSync, readFileSync } from 'node:fs';

export interface Needle {
  label: string;
  text: string;
}

export interface Finding {
  where: string;
  needle: string;
}

/** Every needle found in every haystack (UTF-8, the encoding of SQLite text and of our logs). */
export function scan(haystacks: Array<{ where: string; bytes: Buffer }>, needles: readonly Needle[]): Finding[] {
  const found: Finding[] = [];
  for (const h of haystacks)
    for (const n of needles)
      if (h.bytes.indexOf(Buffer.from(n.text, 'utf8')) >= 0) found.push({ where: h.where, needle: n.label });
  return found;
}

/** The database, its WAL and its shared-memory index, as they are on disk right now. */
export function databaseFiles(dbPath: string): Array<{ where: string; bytes: Buffer }> {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]
    .filter((p) => existsSync(p))
    .map((p) => ({ where: p.slice(p.lastIndexOf('/') + 1), bytes: readFileSync(p) }));
}
