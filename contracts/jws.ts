// The one compact-JWS check (RFC 7515) and the one signer for everything gate06 signs: tickets, the IOC's
// watchlist and commands, and gates' MQTT publications. Each caller states what it accepts (algorithms, where
// the key comes from, protected-header fields that must match, such as the MQTT topic a message is bound to)
// and maps the rejection codes below to its own reason codes.
//
// What every caller gets, whatever it asks for:
// - the algorithm is checked against the caller's allow-list before any key is looked at, so `alg: none`,
//   HS256 (the public key used as an HMAC secret) and anything unknown are refused;
// - the key comes from the caller's key set by kid (or is pinned by the caller, e.g. from the MQTT topic),
//   never from the header itself (`jwk`, `jku` and `x5u` are ignored);
// - a `crit` header is refused: gate06 understands no JWS extension, and RFC 7515 §4.1.11 says a verifier
//   that does not understand one must reject the token;
// - bad bytes of any kind come back as a rejection, never as a thrown error.
//
// Ed25519 only (EdDSA, and its RFC 9864 name Ed25519): node:crypto verifies it synchronously with a
// KeyObject imported once, which kept POST /v1/verify fast (bench/verify-rate.ts) where jose's WebCrypto
// path cost a key import and a thread-pool hop per token.
import { createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import { fail, ok, type Result } from './result.js';

/** The algorithm names accepted for an Ed25519 signature. */
export const ED25519_ALGORITHMS = ['EdDSA', 'Ed25519'] as const;
const ED25519_SIGNATURE_BYTES = 64;
/** Longer than any kid gate06 uses (`site/gate` is at most 81); a bound on what is echoed into details. */
const MAX_KID_LENGTH = 128;

/** Why a token is refused; callers map these to their own reason codes. */
export type JwsRejection =
  | 'jws.too-long'
  | 'jws.not-compact'
  | 'jws.header-not-json'
  | 'jws.bad-header'
  | 'jws.alg-not-allowed'
  | 'jws.unknown-key'
  | 'jws.wrong-kid'
  | 'jws.wrong-header'
  | 'jws.bad-signature';

/** kid → public key. */
export type JwsKeySet = ReadonlyMap<string, KeyObject>;

export interface JwsCheck {
  /** Where keys are looked up by the header's kid. */
  keys: JwsKeySet;
  /**
   * The kid the caller expects (a gate's publication: the topic's `site/gate`). The key is then looked up
   * under this kid, and a header naming another is refused as jws.wrong-kid, so one signer's key never
   * vouches for another's message.
   */
  kid?: string;
  /** Default: EdDSA and Ed25519. */
  algorithms?: readonly string[];
  /** Protected-header fields that must be present with exactly these values (e.g. `{ topic }`). */
  header?: Readonly<Record<string, string>>;
  /** Refused unread past this many characters. */
  maxLength?: number;
}

export interface VerifiedJws {
  kid: string;
  header: Readonly<Record<string, unknown>>;
  payload: Buffer;
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const clip = (v: unknown, n = 40): string => String(v).slice(0, n);

/** Verifies a compact JWS; never throws. */
export function verifyCompactJws(token: string, check: JwsCheck): Result<VerifiedJws, JwsRejection> {
  if (check.maxLength !== undefined && token.length > check.maxLength)
    return fail('jws.too-long', `longer than ${check.maxLength} characters`);
  if (!COMPACT.test(token)) return fail('jws.not-compact', 'not a compact JWS');
  const [h, p, s] = token.split('.') as [string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  } catch {
    return fail('jws.header-not-json', 'header is not base64url JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    return fail('jws.header-not-json', 'header is not a JSON object');
  const fields = header as Record<string, unknown>;
  const algorithms = check.algorithms ?? ED25519_ALGORITHMS;
  if (typeof fields.alg !== 'string' || !algorithms.includes(fields.alg))
    return fail('jws.alg-not-allowed', `alg ${clip(fields.alg, 20)} is not one of ${algorithms.join(', ')}`);
  if (fields.crit !== undefined) return fail('jws.bad-header', 'crit names an extension this verifier does not know');
  const headerKid =
    typeof fields.kid === 'string' && fields.kid.length > 0 && fields.kid.length <= MAX_KID_LENGTH
      ? fields.kid
      : undefined;
  if (check.kid === undefined && headerKid === undefined) return fail('jws.bad-header', 'no usable kid');
  const kid = check.kid ?? (headerKid as string);
  const key = check.keys.get(kid);
  if (!key) return fail('jws.unknown-key', `no key ${clip(kid, MAX_KID_LENGTH)}`);
  if (headerKid !== kid) return fail('jws.wrong-kid', `signed by ${clip(fields.kid, 90)}, expected ${kid}`);
  for (const [name, value] of Object.entries(check.header ?? {}))
    if (fields[name] !== value) return fail('jws.wrong-header', `signed for another ${name}`);
  const signature = Buffer.from(s, 'base64url');
  let good = false;
  try {
    good = signature.length === ED25519_SIGNATURE_BYTES && verify(null, Buffer.from(`${h}.${p}`), key, signature);
  } catch {
    // A key of another type in the set (an RSA key under this kid): not a valid signature for this alg.
    good = false;
  }
  if (!good) return fail('jws.bad-signature', `signature does not verify with key ${clip(kid, MAX_KID_LENGTH)}`);
  return ok({ kid, header: fields, payload: Buffer.from(p, 'base64url') });
}

/**
 * The Ed25519 public keys of a JWKS by kid. Entries that are not Ed25519 public keys with a kid are
 * skipped (a JWKS may carry keys for other uses); two keys under one kid are refused, since either
 * choice would be a guess.
 */
export function ed25519KeysFromJwks(jwks: unknown): Result<Map<string, KeyObject>, 'jwks.invalid'> {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return fail('jwks.invalid', 'not a JWKS: no "keys" array');
  const byKid = new Map<string, KeyObject>();
  for (const [i, jwk] of keys.entries()) {
    const k = jwk as { kid?: unknown; kty?: unknown; crv?: unknown; d?: unknown } | null;
    if (k?.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.kid !== 'string' || k.d !== undefined) continue;
    if (byKid.has(k.kid)) return fail('jwks.invalid', `JWKS has two keys with kid ${k.kid}`);
    try {
      byKid.set(k.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    } catch (err) {
      return fail('jwks.invalid', `keys.${i} (${k.kid}): ${(err as Error).message}`);
    }
  }
  return ok(byKid);
}

export interface JwsSigner {
  readonly kid: string;
  /** A compact JWS over `payload`, header `{ alg: EdDSA, kid, ...fixed, ...extra }`. */
  sign(payload: string | Buffer, extraHeader?: Readonly<Record<string, string>>): string;
}

/** Encoded headers kept per distinct extra header (a gate signs for five topics or so). */
const MAX_CACHED_HEADERS = 64;

/** The signer for an Ed25519 private key; `fixedHeader` goes into every header (e.g. `typ`). */
export function createJwsSigner(
  kid: string,
  privateKey: KeyObject,
  fixedHeader: Readonly<Record<string, string>> = {},
): JwsSigner {
  const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  const headers = new Map<string, string>();
  const encodedHeader = (extra: Readonly<Record<string, string>> | undefined): string => {
    const cacheKey = extra === undefined ? '' : JSON.stringify(extra);
    let encoded = headers.get(cacheKey);
    if (encoded === undefined) {
      encoded = b64url(JSON.stringify({ alg: 'EdDSA', kid, ...fixedHeader, ...extra }));
      if (headers.size >= MAX_CACHED_HEADERS) headers.clear();
      headers.set(cacheKey, encoded);
    }
    return encoded;
  };
  return {
    kid,
    sign(payload, extraHeader) {
      const input = `${encodedHeader(extraHeader)}.${b64url(payload)}`;
      return `${input}.${b64url(sign(null, Buffer.from(input), privateKey))}`;
    },
  };
}
