// The printed QR on the CCCD card: `id|oldId|name|DDMMYYYY|Nam/Nữ|address|DDMMYYYY` (notes/domain.md §1).
// It is unsigned: anyone can print one, so it yields a claimed identity only; site policy decides what it opens.
import { fail, ok, type Result } from '../reasons.js';
import type { Identity } from './identity.js';

/** Province/city codes of the 12-digit personal ID (Thông tư 07/2016/TT-BCA). */
const PROVINCE_CODES = new Set(
  '001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096'.split(
    ' ',
  ),
);
export const MAX_QR_LENGTH = 1024;

export interface CccdQr {
  identity: Identity;
  oldIdPresent: boolean;
  issuedOn: string; // YYYY-MM-DD
  /** From the 8th field some layouts add, when it holds a date (YYYY-MM-DD). */
  expiresOn?: string;
  /**
   * The card's printed expiry is before today. Reported, not refused here, as the chip verifier reports it:
   * site policy (policy.expiredDocument) decides, so both kinds of the same card get the same answer.
   */
  documentExpired: boolean;
}

/** Real addresses run to ~150 characters (house, hamlet, ward, district, province); 200 leaves room. */
export const MAX_ADDRESS_LENGTH = 200;

/** DDMMYYYY → YYYY-MM-DD when it is a real calendar date. */
export function parseDdMmYyyy(s: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(s);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || mo < 1 || mo > 12 || d < 1) return null;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCDate() !== d || dt.getUTCMonth() !== mo - 1) return null;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

/**
 * The 4th digit of the ID encodes sex and century of birth (0/1: 1900s male/female, 2/3: 2000s, ...),
 * digits 5-6 the last two digits of the birth year; a printed QR whose fields disagree with its ID is forged.
 */
export function idAgreesWith(id: string, birthDate: string, sex: 'M' | 'F'): boolean {
  const code = Number(id[3]);
  const century = 1900 + Math.floor(code / 2) * 100;
  const year = Number(birthDate.slice(0, 4));
  const expectSex = code % 2 === 0 ? 'M' : 'F';
  return year >= century && year < century + 100 && id.slice(4, 6) === birthDate.slice(2, 4) && expectSex === sex;
}

/**
 * At most this many combining marks on one letter once decomposed (NFD): Vietnamese needs two (ệ = e +
 * circumflex + dot below); a third leaves room for an ethnic-minority spelling. Dozens stacked on one letter
 * ("zalgo" text, 90 in the review) draw over the neighbouring lines of a console or a receipt.
 */
export const MAX_MARKS_PER_LETTER = 3;

/**
 * A holder's name as printed: Latin-script letters with their combining marks (Vietnamese names, those of
 * ethnic minorities included, are written in Latin script with diacritics), single ASCII spaces, and the
 * apostrophe, hyphen and dot of some transliterated names. A Cyrillic у or а among Latin letters looks the
 * same and is another name to every comparison (issue #11 review, finding 9), so other scripts are refused.
 * Nothing invisible: control and format characters (U+200B zero-width space, U+202E and the other bidi
 * controls, U+FEFF) and other default-ignorable code points (U+3164 Hangul filler is a "letter") let a QR
 * show one name and log another, or none at all (issue #11, finding 9). At least one visible letter.
 */
export function isPrintedName(name: string): boolean {
  if (name.length === 0 || name.length > 100) return false;
  if (/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(name)) return false;
  let letters = 0;
  let marksOnLetter: number | null = null; // null: not after a letter, so a mark here has nothing to sit on
  for (const c of name.normalize('NFD')) {
    if (/\p{L}/u.test(c)) {
      if (!/\p{Script=Latin}/u.test(c)) return false;
      letters += 1;
      marksOnLetter = 0;
    } else if (/\p{M}/u.test(c)) {
      // Combining diacritics belong to no script of their own (Inherited); a Devanagari vowel sign does.
      if (marksOnLetter === null || !/\p{Script=Inherited}/u.test(c)) return false;
      marksOnLetter += 1;
      if (marksOnLetter > MAX_MARKS_PER_LETTER) return false;
    } else if (c === ' ' || c === "'" || c === '-' || c === '.') {
      marksOnLetter = null;
    } else return false;
  }
  return letters > 0;
}

/**
 * The address as printed: free text, but nothing that changes how the rest is shown or stored: no control
 * characters (NUL, ESC, CR/LF), no format characters (bidi overrides, zero-width), no line or paragraph
 * separators, and no longer than a real address (issue #11 review, finding 9: 900 characters with an RLO
 * passed). It is never logged; it reaches the console and exports, where these would do their harm.
 */
export function isPrintedAddress(address: string): boolean {
  return (
    address.length <= MAX_ADDRESS_LENGTH && !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u.test(address)
  );
}

/** What the 8th field some layouts add holds: the card's expiry ("Có giá trị đến"), or nothing. */
const NO_EXPIRY = 'Không thời hạn'; // printed on cards of holders aged 60 and over (never expires)

export function parseCccdQr(text: string, now: number): Result<CccdQr> {
  if (text.length > MAX_QR_LENGTH) return fail('qr.malformed', 'longer than a CCCD QR can be');
  const fields = text.normalize('NFC').split('|');
  // Real cards carry 7 fields (notes/domain.md §1). One parser maps an 8th, the expiry date; that variant is
  // accepted when its 8th field is empty, a real date or the no-expiry wording, and nothing else: extra
  // free-form fields are where forged text hides. Fewer than 7 is a different or broken layout.
  if (fields.length !== 7 && fields.length !== 8) return fail('qr.malformed', `${fields.length} fields, expected 7`);
  const [id, oldId, name, dob, sexText, address, issued, expiry] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (!/^\d{12}$/.test(id) || !PROVINCE_CODES.has(id.slice(0, 3)))
    return fail('qr.bad-id', 'not a 12-digit ID with a known province code');
  if (oldId !== '' && !/^\d{9}$/.test(oldId)) return fail('qr.bad-old-id');
  // Only ASCII spaces are trimmed: anything else around the name is a reason to refuse, not to tidy up.
  const trimmedName = name.replace(/^ +| +$/g, '');
  if (!isPrintedName(trimmedName)) return fail('qr.bad-name');
  if (!isPrintedAddress(address))
    return fail('qr.malformed', 'address field is too long or holds control or format characters');
  const birthDate = parseDdMmYyyy(dob);
  const issuedOn = parseDdMmYyyy(issued);
  const today = new Date(now).toISOString().slice(0, 10);
  if (!birthDate || birthDate > today) return fail('qr.bad-date', 'date of birth');
  if (!issuedOn || issuedOn > today || issuedOn < birthDate) return fail('qr.bad-date', 'date of issue');
  let expiresOn: string | undefined;
  if (expiry !== undefined && expiry !== '' && expiry !== NO_EXPIRY) {
    const parsed = parseDdMmYyyy(expiry);
    if (!parsed) return fail('qr.malformed', '8th field is neither empty nor an expiry date');
    if (parsed < issuedOn) return fail('qr.bad-date', 'expiry before the date of issue');
    expiresOn = parsed;
  }
  const sex = sexText === 'Nam' ? 'M' : sexText === 'Nữ' ? 'F' : null;
  if (!sex) return fail('qr.bad-sex');
  if (!idAgreesWith(id, birthDate, sex)) return fail('qr.bad-id', 'ID does not agree with the date of birth and sex');
  return ok({
    identity: { idNumber: id, verified: false, nationality: 'VNM', birthDate, sex, name: trimmedName },
    oldIdPresent: oldId !== '',
    issuedOn,
    ...(expiresOn ? { expiresOn } : {}),
    // Valid through its expiry day, as the chip's MRZ date is read (gateway/credentials/chip.ts).
    documentExpired: expiresOn !== undefined && expiresOn < today,
  });
}

/** A scanned line is a CCCD QR candidate when it has the |-separated shape; tickets are JWS (dots, no pipes). */
export const looksLikeCccdQr = (text: string): boolean => /^\d{12}\|/.test(text);
