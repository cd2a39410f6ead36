// How a person's ID number may appear anywhere in the gateway: as a keyed hash (HMAC with the site key,
// so a leaked log cannot be joined to other data without the key) and as a masked form for operators.
import { createHmac } from 'node:crypto';

export const isTwelveDigits = (s: string): boolean => /^\d{12}$/.test(s);

export function keyedIdHash(siteKey: Buffer, idNumber: string): string {
  return createHmac('sha256', siteKey).update('gate06:id:').update(idNumber).digest('hex');
}

/** First 3 and last 3 digits, the rest masked: `001******345`. */
export function maskId(idNumber: string): string {
  if (idNumber.length <= 6) return '*'.repeat(idNumber.length);
  return idNumber.slice(0, 3) + '*'.repeat(idNumber.length - 6) + idNumber.slice(-3);
}

/** The identity a credential claims or proves; `verified` only for passive-authenticated chips. */
export interface Identity {
  idNumber: string;
  verified: boolean;
  nationality?: string;
  birthDate?: string; // YYYY-MM-DD
  sex?: 'M' | 'F';
  /** Kept only in memory for the decision and, where a site enabled it, encrypted with the event. */
  name?: string;
}

export function ageBand(birthDate: string | undefined, now: number): '0-17' | '18-39' | '40-59' | '60+' | undefined {
  if (!birthDate) return undefined;
  const born = Date.parse(`${birthDate}T00:00:00Z`);
  if (Number.isNaN(born)) return undefined;
  const years = (now - born) / (365.2425 * 86400_000);
  return years < 18 ? '0-17' : years < 40 ? '18-39' : years < 60 ? '40-59' : '60+';
}
