// Machine readable zone (ICAO 9303-3/4/5/6): TD1 (3×30, ID cards such as the CCCD), TD2 (2×36)
// and TD3 (2×44, passports), with every 7-3-1 check digit verified.
import { fail, ok, type Result } from '../../reasons.js';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

export interface Mrz {
  format: MrzFormat;
  documentCode: string;
  issuingState: string;
  documentNumber: string;
  /** Vietnamese CCCD: the full 12-digit personal ID (the document number holds its last 9 digits). */
  personalId?: string;
  /** TD1 optional data (line 1), TD3 personal number; fillers trimmed. */
  optionalData: string;
  /** ISO date (YYYY-MM-DD), or null when the MRZ marks it unknown with fillers. */
  dateOfBirth: string | null;
  sex: 'M' | 'F' | 'X';
  dateOfExpiry: string | null;
  nationality: string;
  surname: string;
  givenNames: string;
}

const LAYOUTS: Record<number, { format: MrzFormat; lines: number; width: number }> = {
  90: { format: 'TD1', lines: 3, width: 30 },
  72: { format: 'TD2', lines: 2, width: 36 },
  88: { format: 'TD3', lines: 2, width: 44 },
};

function charValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 90) return code - 55; // A-Z → 10-35
  return 0; // '<'
}

/** ICAO 9303-3 4.9: weights 7, 3, 1 repeating, sum modulo 10. */
export function checkDigit(field: string): number {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += charValue(field[i]) * [7, 3, 1][i % 3];
  return sum % 10;
}

class MrzError extends Error {}

function verifyDigit(field: string, digit: string, what: string, optional = false): void {
  // An all-filler optional field may carry '<' (or 0) as its check digit.
  if (optional && /^<*$/.test(field) && (digit === '<' || digit === '0')) return;
  if (digit !== String(checkDigit(field))) throw new MrzError(`check digit of ${what} is wrong`);
}

const trimFillers = (s: string) => s.replace(/<+$/, '');

function mrzDate(yymmdd: string, kind: 'birth' | 'expiry', now: Date): string | null {
  if (yymmdd.includes('<')) return null;
  if (!/^\d{6}$/.test(yymmdd)) throw new MrzError(`date of ${kind} is not YYMMDD`);
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  const dd = Number(yymmdd.slice(4, 6));
  // Two-digit years: a birth year cannot be in the future; an expiry is within this century.
  const thisYear = now.getUTCFullYear() % 100;
  const century = kind === 'birth' ? (yy > thisYear ? 1900 : 2000) : 2000;
  const d = new Date(Date.UTC(century + yy, mm - 1, dd));
  if (d.getUTCMonth() !== mm - 1 || d.getUTCDate() !== dd) throw new MrzError(`date of ${kind} is not a real date`);
  return d.toISOString().slice(0, 10);
}

function names(field: string): { surname: string; givenNames: string } {
  const [primary, ...rest] = trimFillers(field).split('<<');
  return {
    surname: primary.replace(/</g, ' ').trim(),
    givenNames: rest.join(' ').replace(/</g, ' ').trim(),
  };
}

function sexOf(c: string): 'M' | 'F' | 'X' {
  if (c === 'M' || c === 'F') return c;
  if (c === '<' || c === 'X') return 'X';
  throw new MrzError('sex is not M, F or <');
}

function parseTd1(l1: string, l2: string, l3: string, now: Date): Mrz {
  let documentNumber = l1.slice(5, 14);
  let optionalData = l1.slice(15, 30);
  if (l1[14] === '<') {
    // 9303-5 4.2.2 note j: a long document number continues in the optional data, ending in its check digit.
    const rest = trimFillers(optionalData);
    if (rest.length < 2) throw new MrzError('document number overflow without check digit');
    verifyDigit(documentNumber + rest.slice(0, -1), rest.slice(-1), 'document number');
    documentNumber += rest.slice(0, -1);
    optionalData = '';
  } else {
    verifyDigit(documentNumber, l1[14], 'document number');
  }
  verifyDigit(l2.slice(0, 6), l2[6], 'date of birth');
  verifyDigit(l2.slice(8, 14), l2[14], 'date of expiry');
  verifyDigit(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29), l2[29], 'composite');
  const mrz: Mrz = {
    format: 'TD1',
    documentCode: trimFillers(l1.slice(0, 2)),
    issuingState: trimFillers(l1.slice(2, 5)),
    documentNumber: trimFillers(documentNumber),
    optionalData: trimFillers(optionalData),
    dateOfBirth: mrzDate(l2.slice(0, 6), 'birth', now),
    sex: sexOf(l2[7]),
    dateOfExpiry: mrzDate(l2.slice(8, 14), 'expiry', now),
    nationality: trimFillers(l2.slice(15, 18)),
    ...names(l3),
  };
  // CCCD: the MRZ document number is the last 9 digits of the 12-digit ID, which opens the optional data.
  const id = mrz.issuingState === 'VNM' ? mrz.optionalData.match(/^\d{12}/)?.[0] : undefined;
  if (id) {
    if (id.slice(3) !== mrz.documentNumber)
      throw new MrzError('12-digit ID in the optional data does not end in the document number');
    mrz.personalId = id;
  }
  return mrz;
}

function parseTd2or3(format: 'TD2' | 'TD3', l1: string, l2: string, now: Date): Mrz {
  const w = l2.length;
  verifyDigit(l2.slice(0, 9), l2[9], 'document number');
  verifyDigit(l2.slice(13, 19), l2[19], 'date of birth');
  verifyDigit(l2.slice(21, 27), l2[27], 'date of expiry');
  let optionalData: string;
  if (format === 'TD3') {
    verifyDigit(l2.slice(28, 42), l2[42], 'personal number', true);
    optionalData = l2.slice(28, 42);
  } else {
    optionalData = l2.slice(28, 35);
  }
  verifyDigit(l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, w - 1), l2[w - 1], 'composite');
  return {
    format,
    documentCode: trimFillers(l1.slice(0, 2)),
    issuingState: trimFillers(l1.slice(2, 5)),
    documentNumber: trimFillers(l2.slice(0, 9)),
    optionalData: trimFillers(optionalData),
    dateOfBirth: mrzDate(l2.slice(13, 19), 'birth', now),
    sex: sexOf(l2[20]),
    dateOfExpiry: mrzDate(l2.slice(21, 27), 'expiry', now),
    nationality: trimFillers(l2.slice(10, 13)),
    ...names(l1.slice(5)),
  };
}

/**
 * Parses an MRZ given as its lines (newline separated) or as one run of characters, as DG1 holds it.
 * `now` only resolves two-digit birth years.
 */
export function parseMrz(text: string, now: Date = new Date()): Result<Mrz, 'chip.malformed'> {
  if (text.length > 200) return fail('chip.malformed', 'MRZ: too long');
  const flat = text.replace(/[\r\n ]/g, '');
  const layout = LAYOUTS[flat.length];
  if (!layout) return fail('chip.malformed', `MRZ: ${flat.length} characters is not TD1, TD2 or TD3`);
  if (!/^[A-Z0-9<]+$/.test(flat)) return fail('chip.malformed', 'MRZ: characters outside A-Z 0-9 <');
  const lines = Array.from({ length: layout.lines }, (_, i) => flat.slice(i * layout.width, (i + 1) * layout.width));
  try {
    return ok(
      layout.format === 'TD1'
        ? parseTd1(lines[0], lines[1], lines[2], now)
        : parseTd2or3(layout.format, lines[0], lines[1], now),
    );
  } catch (e) {
    if (e instanceof MrzError) return fail('chip.malformed', `MRZ: ${e.message}`);
    throw e;
  }
}
