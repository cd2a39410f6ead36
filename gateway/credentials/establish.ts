// Credential establishment: what a reader handed over (a scanned line, a chip's files, an HTTP body's
// credential) → which credential it is and what it proves (a verified ticket, a claimed or a proven
// identity, the chip photo), each decoded once, or the reason it proves nothing. The ticket's signature and
// the chip's passive authentication are the verifiers' own (ticket.ts, the ChipCheck port); this module
// only routes each kind to its verifier and puts their answers in one shape for the decision.
import type { ChipCheck } from '../lane/ports.js';
import type { ReasonCode, Result } from '../reasons.js';
import { cccdQrFacts } from './categories.js';
import { type CccdQr, looksLikeCccdQr, parseCccdQr } from './cccd-qr.js';
import type { Identity } from './identity.js';
import { type TicketKeys, type VerifiedTicket, verifyTicket } from './ticket.js';

type Facts = Record<string, string | number | boolean>;

export type CredentialInput =
  | { kind: 'ticket'; token: string }
  /**
   * `parsed`: the QR as already parsed where it was read (the PC/SC chip side needs its ID for the CAN), so
   * it is not parsed a second time here; absent, it is parsed on establishment.
   */
  | { kind: 'cccd-qr'; text: string; parsed?: Result<CccdQr> }
  | { kind: 'chip'; sod: Buffer; dataGroups: Map<number, Buffer> };

/** A scanned line: a CCCD QR has the |-separated shape of one; anything else is taken for a ticket (a JWS). */
export function scannedCredential(text: string): CredentialInput {
  return looksLikeCccdQr(text) ? { kind: 'cccd-qr', text } : { kind: 'ticket', token: text };
}

/** What one credential established. */
export interface Established {
  identity?: Identity;
  ticket?: VerifiedTicket;
  photo?: Buffer;
  documentExpired?: boolean;
  facts: Facts;
}

/** Established, or the reason not (with what is known of the person: a chip that failed PA still names its holder). */
export type Establishment =
  | { ok: true; value: Established }
  | { ok: false; reason: ReasonCode; facts?: Facts; identity?: Identity };

export interface EstablishContext {
  ticketKeys: TicketKeys;
  site: string;
  clockSkewS: number;
  now: number;
  /** Absent when the gate has no chip trust store: a chip then establishes nothing. */
  chip?: ChipCheck;
}

export async function establishCredential(c: CredentialInput, ctx: EstablishContext): Promise<Establishment> {
  const { now } = ctx;
  if (c.kind === 'ticket') {
    const r = await verifyTicket(c.token, ctx.ticketKeys, { site: ctx.site, now, clockSkewS: ctx.clockSkewS });
    if (!r.ok) return { ok: false, reason: r.reason };
    return {
      ok: true,
      value: { ticket: r.value, facts: { ticketKind: r.value.claims.kind, kid: r.value.kid, tid: r.value.claims.tid } },
    };
  }
  if (c.kind === 'cccd-qr') {
    const r = c.parsed ?? parseCccdQr(c.text, now);
    if (!r.ok) return { ok: false, reason: r.reason };
    return {
      ok: true,
      value: {
        identity: r.value.identity,
        facts: { ...cccdQrFacts(r.value.identity, now), claimed: true },
        documentExpired: r.value.documentExpired,
      },
    };
  }
  if (!ctx.chip) return { ok: false, reason: 'chip.malformed', facts: { detail: 'no chip trust store configured' } };
  const r = await ctx.chip.verify(c.sod, c.dataGroups, now);
  if (!r.ok) return { ok: false, reason: r.reason, facts: r.facts, identity: r.identity };
  return {
    ok: true,
    value: { identity: r.identity, photo: r.photo, documentExpired: r.documentExpired, facts: r.facts },
  };
}

/** A stand-in of the kind only, for a presentation that failed before there was anything to verify (a read cut off). */
export function emptyCredential(kind: CredentialInput['kind']): CredentialInput {
  return kind === 'chip'
    ? { kind: 'chip', sod: Buffer.alloc(0), dataGroups: new Map() }
    : kind === 'ticket'
      ? { kind: 'ticket', token: '' }
      : { kind: 'cccd-qr', text: '' };
}
