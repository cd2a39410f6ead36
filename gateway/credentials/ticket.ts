// Signed tickets: a compact JWS (EdDSA / Ed25519) with `kid` in the header, verified offline against the
// issuer JWKS named in config. A pure function of (token, keys, clock): use counts live in the store.
import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet, errors as joseErrors } from 'jose';
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
    hid: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
    train: z
      .object({ no: z.string().max(12), dep: z.number().int(), from: z.string().max(40), to: z.string().max(40), car: z.string().max(8).optional(), seat: z.string().max(8).optional() })
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

export type TicketKeys = ReturnType<typeof createLocalJWKSet>;
export const ticketKeys = (jwks: JSONWebKeySet): TicketKeys => createLocalJWKSet(jwks);

export interface TicketCheck {
  site: string;
  now: number; // ms
  clockSkewS: number;
}

export async function verifyTicket(token: string, keys: TicketKeys, check: TicketCheck): Promise<Result<VerifiedTicket>> {
  if (token.length > MAX_TICKET_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    return fail('ticket.malformed', 'not a compact JWS');
  }
  let kid: string;
  let payload: Uint8Array;
  try {
    const res = await compactVerify(token, keys, { algorithms: ['EdDSA', 'Ed25519'] });
    kid = String(res.protectedHeader.kid ?? '');
    payload = res.payload;
  } catch (err) {
    if (err instanceof joseErrors.JWKSNoMatchingKey) return fail('ticket.unknown-key');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return fail('ticket.bad-signature');
    if (err instanceof joseErrors.JOSEAlgNotAllowed) return fail('ticket.bad-signature', 'algorithm not allowed');
    if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return fail('ticket.unknown-key', 'ambiguous kid');
    return fail('ticket.malformed', (err as Error).message.slice(0, 120));
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
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
