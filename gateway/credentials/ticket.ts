// Signed tickets: a compact JWS (EdDSA / Ed25519) with `kid` in the header, verified offline against the
// issuer JWKS named in config. A pure function of (token, keys, clock): use counts live in the store.
import { createHash, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { ed25519KeysFromJwks, type JwsRejection, verifyCompactJws } from '../../contracts/jws.js';
import { fail, ok, type ReasonCode, type Result } from '../reasons.js';

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
 * Issuer public keys by kid, imported once and checked with the one JWS verifier (contracts/jws.ts).
 *
 * It also remembers the tokens whose signature and claims it has already checked. A ticket is shown more
 * than once (the exit after the entry, a worker's season pass every morning, a re-scan), and an Ed25519
 * check costs more than the rest of a decision; the signed bytes cannot change, so the verdict cannot
 * either. Only successes are kept, bounded and oldest first out; the time and site checks still run on
 * every presentation, and new keys (a JWKS reload) come with an empty memory.
 */
export class TicketKeys {
  readonly byKid: ReadonlyMap<string, KeyObject>;
  private readonly verified = new Map<string, VerifiedTicket>();
  constructor(
    jwks: JSONWebKeySet,
    private readonly rememberTokens = DEFAULT_REMEMBERED_TOKENS,
  ) {
    const keys = ed25519KeysFromJwks(jwks);
    if (!keys.ok) throw new Error(keys.detail);
    this.byKid = keys.value;
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
  return ticketValidAt(ticket, check);
}

/** The checks that depend on the clock and the site, run on every presentation of a verified ticket. */
function ticketValidAt(ticket: VerifiedTicket, check: TicketCheck): Result<VerifiedTicket> {
  const c = ticket.claims;
  const nowS = check.now / 1000;
  if (c.site !== check.site) return fail('ticket.wrong-site');
  if (nowS + check.clockSkewS < c.nbf) return fail('ticket.not-yet-valid');
  if (nowS - check.clockSkewS >= c.exp) return fail('ticket.expired');
  return ok(ticket);
}

const TICKET_REJECTIONS: Record<JwsRejection, ReasonCode> = {
  'jws.too-long': 'ticket.malformed',
  'jws.not-compact': 'ticket.malformed',
  'jws.header-not-json': 'ticket.malformed',
  // alg "none", HS256 and other algorithms are refused before any key is looked at.
  'jws.alg-not-allowed': 'ticket.bad-signature',
  'jws.bad-header': 'ticket.bad-signature',
  'jws.unknown-key': 'ticket.unknown-key',
  'jws.wrong-kid': 'ticket.unknown-key',
  'jws.wrong-header': 'ticket.bad-signature',
  'jws.bad-signature': 'ticket.bad-signature',
};

/** Everything about a token that does not depend on the clock or the site: shape, key, signature, claims. */
function checkSignedTicket(token: string, keys: TicketKeys): Result<VerifiedTicket> {
  const jws = verifyCompactJws(token, { keys: keys.byKid, maxLength: MAX_TICKET_LENGTH });
  if (!jws.ok) return fail(TICKET_REJECTIONS[jws.reason], jws.detail);
  const { kid, payload } = jws.value;
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
