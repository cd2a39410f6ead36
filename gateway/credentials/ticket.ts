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
 *
 * It also remembers the tokens whose signature and claims it has already checked. A ticket is shown more
 * than once (the exit after the entry, a worker's season pass every morning, a re-scan), and an Ed25519
 * check costs more than the rest of a decision; the signed bytes cannot change, so the verdict cannot
 * either. Only successes are kept, bounded and oldest first out; the time and site checks still run on
 * every presentation, and new keys (a JWKS reload) come with an empty memory.
 */
export class TicketKeys {
  private readonly byKid = new Map<string, KeyObject>();
  private readonly verified = new Map<string, VerifiedTicket>();
  constructor(
    jwks: JSONWebKeySet,
    private readonly rememberTokens = DEFAULT_REMEMBERED_TOKENS,
  ) {
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
  /** A token this key set has verified before: its signature and claims hold, whatever the clock says. */
  recall(token: string): VerifiedTicket | undefined {
    return this.verified.get(token);
  }
  remember(token: string, ticket: VerifiedTicket): void {
    if (this.rememberTokens <= 0) return;
    if (this.verified.size >= this.rememberTokens) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, ticket);
  }
}
/** About 1 KB each: a few MB covers a day of a busy lane's repeat presentations. */
export const DEFAULT_REMEMBERED_TOKENS = 10_000;
export const ticketKeys = (jwks: JSONWebKeySet, rememberTokens?: number): TicketKeys =>
  new TicketKeys(jwks, rememberTokens);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

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
  let ticket = keys.recall(token);
  if (!ticket) {
    const checked = checkSignedTicket(token, keys);
    if (!checked.ok) return checked;
    ticket = checked.value;
    keys.remember(token, ticket);
  }
  const c = ticket.claims;
  const nowS = check.now / 1000;
  if (c.site !== check.site) return fail('ticket.wrong-site');
  if (nowS + check.clockSkewS < c.nbf) return fail('ticket.not-yet-valid');
  if (nowS - check.clockSkewS >= c.exp) return fail('ticket.expired');
  return ok(ticket);
}

/** Everything about a token that does not depend on the clock or the site: shape, key, signature, claims. */
function checkSignedTicket(token: string, keys: TicketKeys): Result<VerifiedTicket> {
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
  // Frozen: the same object answers every later presentation of this token.
  return ok(deepFreeze({ kid, claims: claims.data }));
}
