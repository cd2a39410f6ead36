// Sealing of enrolled templates and labels at rest: AES-256-GCM, a fresh 96-bit nonce per seal, and the
// row's personRef plus the field name as associated data, so a sealed blob moved to another row or
// field fails to open instead of silently naming the wrong person.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../contracts/result.js';

export const ENROLLMENT_KEY_BYTES = 32;
const NONCE = 12;
const TAG = 16;

export type OpenResult = Result<Buffer, 'enroll.cannot-decrypt'>;

export function seal(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

export function open(key: Buffer, aad: string, sealed: Buffer): OpenResult {
  if (sealed.length < NONCE + TAG) return fail('enroll.cannot-decrypt', 'sealed value too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(NONCE, NONCE + TAG));
    return ok(Buffer.concat([decipher.update(sealed.subarray(NONCE + TAG)), decipher.final()]));
  } catch {
    return fail('enroll.cannot-decrypt', 'authentication failed: wrong key, or the row was altered');
  }
}

/**
 * The enrollment key from secret material as configured: exactly 32 raw bytes, 64 hex characters or
 * base64 of 32 bytes. No derivation from a passphrase: a short secret must fail loudly, not weaken the key.
 */
export function parseEnrollmentKey(material: Buffer): Result<Buffer, 'enroll.bad-key'> {
  if (material.length === ENROLLMENT_KEY_BYTES) return ok(Buffer.from(material));
  const text = material.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return ok(Buffer.from(text, 'hex'));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
    if (key.length === ENROLLMENT_KEY_BYTES) return ok(key);
  }
  return fail('enroll.bad-key', 'the enrollment key must be 32 bytes: 64 hex characters or base64 of 32 bytes');
}
