// EF.DG13 on the Vietnamese CCCD (tag 0x6D, not ICAO-standardised; see notes/domain.md §2):
//   SEQUENCE { INTEGER version, OID, SET { SEQUENCE { INTEGER fieldNo, value... } ... } }
// Read by field number, never by byte offset: fields may be absent, and names and addresses
// vary in length, which is what broke the fixed-offset parsers seen in public code.
import { fail, ok, type Result } from '../../reasons.js';
import {
  children,
  DerError,
  errorMessage,
  expect,
  oid,
  readSingle,
  smallInt,
  stringValue,
  type Tlv,
  UNIVERSAL,
} from './der.js';

/** The synthetic DG13 is 344 bytes; long addresses and marks stay well under 8 KB. */
export const MAX_DG13_BYTES = 8 * 1024;

export interface Dg13 {
  version: number;
  oid: string;
  /** 1: số định danh cá nhân, 12 digits. */
  personalId?: string;
  /** 2 */ fullName?: string;
  /** 3: dd/mm/yyyy as printed on the chip. */ dateOfBirth?: string;
  /** 4: "Nam" / "Nữ". */ sex?: string;
  /** 5 */ nationality?: string;
  /** 6 */ ethnicity?: string;
  /** 7 */ religion?: string;
  /** 8: quê quán. */ placeOfOrigin?: string;
  /** 9: nơi thường trú. */ placeOfResidence?: string;
  /** 10: đặc điểm nhận dạng. */ identifyingMarks?: string;
  /** 11: dd/mm/yyyy. */ dateOfIssue?: string;
  /** 12: usually dd/mm/yyyy, may be text such as "Không thời hạn". */ dateOfExpiry?: string;
  /** 13 */ fatherName?: string;
  /** 13 */ motherName?: string;
  /** 14 */ spouseName?: string;
  /** 15: old 9-digit CMND (uncertain on real cards, see domain.md). */ oldIdNumber?: string;
  /** 16: unidentified 16-character value. */ field16?: string;
  /** Field numbers this parser does not know, with their value elements' bytes. */
  unknownFields: Record<number, Buffer>;
}

type TextField = Exclude<keyof Dg13, 'version' | 'oid' | 'unknownFields' | 'fatherName' | 'motherName' | 'spouseName'>;

const TEXT_FIELDS: Readonly<Record<number, TextField>> = {
  1: 'personalId',
  2: 'fullName',
  3: 'dateOfBirth',
  4: 'sex',
  5: 'nationality',
  6: 'ethnicity',
  7: 'religion',
  8: 'placeOfOrigin',
  9: 'placeOfResidence',
  10: 'identifyingMarks',
  11: 'dateOfIssue',
  12: 'dateOfExpiry',
  15: 'oldIdNumber',
  16: 'field16',
};

const MAX_FIELD_NUMBER = 255;

function text(tlv: Tlv, field: number): string {
  const s = stringValue(tlv);
  if (s === null) throw new DerError(`field ${field} is not a string (tag 0x${tlv.tag.toString(16)})`);
  return s;
}

/** Fields 13 and 14 hold names inside a SEQUENCE; tolerate them written flat after the number. */
function names(values: Tlv[], field: number): string[] {
  const list = values.length === 1 && values[0].tag === UNIVERSAL.SEQUENCE ? children(values[0]) : values;
  return list.map((t) => text(t, field)).filter((s) => s.length > 0);
}

export function parseDg13(bytes: Buffer): Result<Dg13, 'chip.malformed'> {
  if (bytes.length > MAX_DG13_BYTES)
    return fail('chip.malformed', `DG13: ${bytes.length} bytes exceeds ${MAX_DG13_BYTES}`);
  try {
    const [body] = children(expect(readSingle(bytes), 0x6d, 'DG13'));
    const [versionTlv, oidTlv, set] = children(expect(body, UNIVERSAL.SEQUENCE, 'DG13 content'));
    const dg: Dg13 = { version: smallInt(versionTlv), oid: oid(oidTlv), unknownFields: {} };
    const seen = new Set<number>();
    for (const entry of children(expect(set, UNIVERSAL.SET, 'DG13 fields'))) {
      const [numberTlv, ...values] = children(expect(entry, UNIVERSAL.SEQUENCE, 'DG13 field'));
      const field = smallInt(expect(numberTlv, UNIVERSAL.INTEGER, 'field number'));
      if (field > MAX_FIELD_NUMBER) throw new DerError(`field number ${field} out of range`);
      if (seen.has(field)) throw new DerError(`field ${field} appears twice`);
      seen.add(field);
      if (field === 13) {
        const [father, mother] = names(values, field);
        if (father) dg.fatherName = father;
        if (mother) dg.motherName = mother;
      } else if (field === 14) {
        const [spouse] = names(values, field);
        if (spouse) dg.spouseName = spouse;
      } else if (TEXT_FIELDS[field]) {
        if (values.length === 0) continue; // present but empty: treated as absent
        dg[TEXT_FIELDS[field]] = text(values[0], field);
      } else {
        dg.unknownFields[field] = Buffer.concat(values.map((v) => Buffer.from(v.buf.subarray(v.start, v.end))));
      }
    }
    if (dg.personalId !== undefined && !/^\d{12}$/.test(dg.personalId))
      throw new DerError('field 1 (personal ID) is not 12 digits');
    return ok(dg);
  } catch (e) {
    return fail('chip.malformed', `DG13: ${errorMessage(e)}`);
  }
}

/** dd/mm/yyyy → YYYY-MM-DD, or null when the text is not a real date (field 12 may be words). */
export function vietnameseDateToIso(dmy: string): string | null {
  const m = dmy.match(/^(\d{2})\/(\d{2})\/(\d{4})$/);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])));
  return d.getUTCDate() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 ? d.toISOString().slice(0, 10) : null;
}
