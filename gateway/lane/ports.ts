// Ports the decision service calls but does not implement: each has an adapter wired by the composition root,
// so the lane decides the same way with or without a chip trust store, face models, a watchlist or an online validator.
import type { Direction, FacePolicy } from '../config/schema.js';
import type { Identity } from '../credentials/identity.js';
import type { ReasonCode } from '../reasons.js';

type Facts = Record<string, string | number | boolean>;

/** Passive authentication + DG parsing for a chip read. Facts carry the PA result and expiry state, never DG contents. */
export interface ChipCheck {
  verify(
    sod: Buffer,
    dataGroups: Map<number, Buffer>,
    now: number,
  ): Promise<
    | { ok: true; identity: Identity; photo?: Buffer; documentExpired: boolean; facts: Facts }
    | { ok: false; reason: ReasonCode; facts: Facts; identity?: Identity }
  >;
}

/** 1:1 against a reference photo (chip DG2) or an enrolled template, or 1:N over enrolled people; with liveness per policy. */
export interface FaceCheck {
  check(req: {
    lane: string;
    direction: Direction;
    policy: FacePolicy;
    probe?: Buffer;
    reference: { photo?: Buffer; personRef?: string };
  }): Promise<{ ok: true; facts: Facts } | { ok: false; reason: ReasonCode; facts: Facts }>;
}

export interface WatchlistCheck {
  isListed(keyedIdHash: string): boolean;
}

/**
 * The railway's own validation (sold, right train/date, not used) is online and its format is not public.
 * This port is where an adapter under agreement plugs in; the default is offline-only (no adapter).
 */
export interface OnlineTicketValidator {
  validate(req: { tid: string; lane: string; at: number }): Promise<{ ok: true } | { ok: false; reason: ReasonCode }>;
}
