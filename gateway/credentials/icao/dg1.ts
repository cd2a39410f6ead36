// EF.DG1 (ICAO 9303-10 4.7.1): tag 0x61 around 5F1F, the MRZ as one run of characters.
import { fail, type Result } from '../../reasons.js';
import { children, DerError, errorMessage, expect, readSingle, value } from './der.js';
import { type Mrz, parseMrz } from './mrz.js';

/** DG1 holds at most 90 MRZ characters plus a few header bytes. */
export const MAX_DG1_BYTES = 256;

export function parseDg1(bytes: Buffer, now: Date = new Date()): Result<Mrz, 'chip.malformed'> {
  if (bytes.length > MAX_DG1_BYTES)
    return fail('chip.malformed', `DG1: ${bytes.length} bytes exceeds ${MAX_DG1_BYTES}`);
  let mrz: string;
  try {
    const field = children(expect(readSingle(bytes), 0x61, 'DG1')).find((c) => c.tag === 0x5f1f);
    if (!field) throw new DerError('no MRZ element (5F1F)');
    mrz = value(field).toString('latin1');
  } catch (e) {
    return fail('chip.malformed', `DG1: ${errorMessage(e)}`);
  }
  const parsed = parseMrz(mrz, now);
  return parsed.ok ? parsed : fail('chip.malformed', `DG1: ${parsed.detail}`);
}
