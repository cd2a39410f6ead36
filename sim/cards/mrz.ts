// The TD1 machine-readable zone as printed on (and stored in DG1 of) a CCCD (domain.md §2, §4).

const FILLER = '<';

/** ICAO 9303-3 check digit: weights 7, 3, 1; digits as themselves, A–Z as 10–35, the filler as 0. */
export function checkDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field[i];
    let v: number;
    if (c >= '0' && c <= '9') v = c.charCodeAt(0) - 48;
    else if (c >= 'A' && c <= 'Z') v = c.charCodeAt(0) - 55;
    else if (c === FILLER) v = 0;
    else throw new RangeError(`'${c}' cannot appear in an MRZ field`);
    sum += v * [7, 3, 1][i % 3];
  }
  return String(sum % 10);
}

/** Vietnamese name → MRZ characters: diacritics dropped, đ → D, spaces → filler. */
export function mrzName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toUpperCase()
    .trim()
    .replace(/[^A-Z]+/g, FILLER);
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + FILLER.repeat(n - s.length));

/** YYYY-MM-DD → YYMMDD */
export const mrzDate = (isoDate: string): string => isoDate.slice(2, 4) + isoDate.slice(5, 7) + isoDate.slice(8, 10);

export interface CccdMrzFields {
  /** The 12-digit số định danh cá nhân. */
  id: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  sex: 'M' | 'F';
  /** YYYY-MM-DD */
  expiry: string;
  surname: string;
  givenNames: string;
}

/**
 * CCCD layout: the 9-character document number is the last 9 digits of the ID; the optional data holds
 * the whole 12-digit ID, two fillers and the ID's own check digit.
 */
export function cccdMrz(f: CccdMrzFields): [string, string, string] {
  if (!/^\d{12}$/.test(f.id)) throw new RangeError('the ID must be 12 digits');
  const docNo = f.id.slice(3);
  const line1 = pad(`IDVNM${docNo}${checkDigit(docNo)}${f.id}${FILLER}${FILLER}${checkDigit(f.id)}`, 30);
  const dob = mrzDate(f.dateOfBirth);
  const exp = mrzDate(f.expiry);
  const upper = `${dob}${checkDigit(dob)}${f.sex}${exp}${checkDigit(exp)}VNM${FILLER.repeat(11)}`;
  const composite = checkDigit(line1.slice(5, 30) + upper.slice(0, 7) + upper.slice(8, 15) + upper.slice(18, 29));
  const line2 = upper + composite;
  const line3 = pad(`${mrzName(f.surname)}${FILLER}${FILLER}${mrzName(f.givenNames)}`, 30);
  return [line1, line2, line3];
}
