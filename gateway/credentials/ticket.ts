// Signed tickets: a compact JWS (EdDSA / Ed25519) with `kid` in the header, verified offline against the
// issuer JWKS named in config. A pure function of (token, keys, clock): use counts live in the store.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { fail, ok, type Result } from '../reasons.js';

export const MAX_TICKET_LENGTH = 2048;

export const TicketClaims = z
  .object({
    tid: z.string().min(4).max(64),
    site: z.string().min(1).max(40),
    kind: z.enum(['single', 'day', 'multi', 'train', 'worker']),
    nbf: z.number().int(),
    exp: z.number().int(),
    uses: z.number().int().min(1).max(10000).optional(),
    /** Holder binding: base64url(SHA-256("gate06:holder:" + tid + ":" + idNumber)); a salted hash, not the ID. */
    hid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .optional(),
    train: z
      .object({
        no: z.string().max(12),
        dep: z.number().int(),
        from: z.string().max(40),
        to: z.string().max(40),
        car: z.string().max(8).optional(),
        seat: z.string().max(8).optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough();
export type TicketClaims = z.infer<typeof TicketClaims>;

export interface VerifiedTicket {
  kid: string;
  claims: TicketClaims;
}

export function holderBinding(tid: string, idNumber: string): string {
  return createHash('sha256').update(`gate06:holder:${tid}:${idNumber}`).digest('base64url');
}

/**
 * Issuer public keys by kid, imported once. Verification uses node:crypto with these KeyObjects directly:
 * jose's compactVerify goes through WebCrypto (a key import and a thread-pool hop per call), which made
 * it the largest cost of POST /v1/verify (bench/verify-rate.ts); the JWS checks themselves are few.
 */
export class TicketKeys {
  private readonly byKid = new Map<string, KeyObject>();
  constructor(jwks: JSONWebKeySet) {
    for (const jwk of jwks.keys) {
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.kid !== 'string' || jwk.d !== undefined) continue;
      if (this.byKid.has(jwk.kid)) throw new Error(`JWKS has two keys with kid ${jwk.kid}`);
      this.byKid.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    }
  }
  get(kid: string): KeyObject | undefined {
    return this.byKid.get(kid);
  }
  get kids(): string[] {
    return [...this.byKid.keys()];
  }
}
export const ticketKeys = (jwks: JSONWebKeySet): TicketKeys => new TicketKeys(jwks);

export interface TicketCheck {
  site: string;
  now: number; // ms
  clockSkewS: number;
}

const JwsHeader = z
  .object({ alg: z.enum(['EdDSA', 'Ed25519']), kid: z.string().min(1).max(64), crit: z.undefined().optional() })
  .passthrough();

export async function verifyTicket(
  token: string,
  keys: TicketKeys,
  check: TicketCheck,
): Promise<Result<VerifiedTicket>> {
  if (token.length > MAX_TICKET_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    return fail('ticket.malformed', 'not a compact JWS');
  }
  const [h, p, sig] = token.split('.') as [string, string, string];
  let header: z.infer<typeof JwsHeader>;
  try {
    const parsed = JwsHeader.safeParse(JSON.parse(Buffer.from(h, 'base64url').toString('utf8')));
    // alg "none", HS256 and other algorithms are refused before any key is looked at.
    if (!parsed.success) return fail('ticket.bad-signature', 'header: algorithm or kid not acceptable');
    header = parsed.data;
  } catch {
    return fail('ticket.malformed', 'header is not base64url JSON');
  }
  const key = keys.get(header.kid);
  if (!key) return fail('ticket.unknown-key');
  const signature = Buffer.from(sig, 'base64url');
  if (signature.length !== 64 || !verify(null, Buffer.from(`${h}.${p}`), key, signature))
    return fail('ticket.bad-signature');
  const kid = header.kid;
  const payload = Buffer.from(p, 'base64url');
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail('ticket.bad-claims', 'payload is not JSON');
  }
  const claims = TicketClaims.safeParse(json);
  if (!claims.success) return fail('ticket.bad-claims', claims.error.issues[0]?.path.join('.') ?? 'claims');
  const c = claims.data;
  const nowS = check.now / 1000;
  if (c.site !== check.site) return fail('ticket.wrong-site');
  if (nowS + check.clockSkewS < c.nbf) return fail('ticket.not-yet-valid');
  if (nowS - check.clockSkewS >= c.exp) return fail('ticket.expired');
  return ok({ kid, claims: c });
}
