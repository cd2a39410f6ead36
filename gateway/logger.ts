// The gateway's logger: pino, namespaced channels, and redaction of anything personal that might slip into
// a log object (Decree 13/2023: no raw ID, name, MRZ, QR text, DG contents or images in logs).
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_KEYS = [
  'idNumber',
  'oldIdNumber',
  'personalId',
  'name',
  'fullName',
  'surname',
  'givenNames',
  'dateOfBirth',
  'birthDate',
  'address',
  'mrz',
  'qr',
  'qrText',
  'text',
  'token',
  'dg1',
  'dg2',
  'dg13',
  'sod',
  'face',
  'photo',
  'image',
  'password',
  'authorization',
  'cookie',
];

// pino's redaction takes explicit paths (fast, no deep walk): cover the keys up to four levels down.
export const REDACT_PATHS = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  ...REDACTED_KEYS.map((k) => `*.*.${k}`),
  ...REDACTED_KEYS.map((k) => `*.*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'gate06' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A 12-digit run anywhere in a string is treated as an ID number and masked (last line of defence for free text). */
export const scrubIdNumbers = (s: string): string => s.replace(/(?<!\d)(\d{3})\d{6}(\d{3})(?!\d)/g, '$1******$2');
