// What the event store keeps for every event, as other modules see it. Never personal data in these
// fields: the ID appears only as a keyed hash and a masked form (first 3 and last 3 digits).
import type { CredentialKind, Direction } from '../config/schema.js';
import type { ReasonCode } from '../reasons.js';

export type EventType =
  | 'decision'
  | 'passage'
  | 'timeout'
  | 'alarm'
  | 'fire'
  | 'manual-open'
  | 'free-passage'
  | 'system';

export interface StoredEvent {
  id: string; // ULID
  seq: number; // monotonic per gateway database, never reused
  bootId: string;
  ts: number; // wall clock ms (may jump; seq and bootId order events)
  type: EventType;
  lane: string | null;
  direction: Direction | null;
  credential: CredentialKind | null;
  decision: 'allow' | 'deny' | null;
  reason: ReasonCode | null;
  idHash: string | null; // HMAC-SHA256(site key, ID), hex
  idMasked: string | null; // e.g. 001******345
  latencyMs: number | null;
  /** For a passage: the decision event it used; null for forced passage / free passage. */
  refId: string | null;
  /** Non-personal facts: face score, PA result, document expiry state, category, alarm kind. */
  facts: Record<string, string | number | boolean>;
}

/**
 * What an event changes in admission state, written in its own row (the `effects` column): an entry spends one
 * use of a ticket (+1) and a timeout refunds it (-1, never below zero); a presence mark is set to `inside`
 * at the event's ts. The store keeps the sums in memory (gateway/store/admission-repo.ts).
 */
export interface AdmissionEffects {
  tid?: string;
  uses?: 1 | -1;
  presence?: { subject: string; zone: string; inside: boolean };
}

export type NewEvent = Omit<StoredEvent, 'id' | 'seq' | 'bootId' | 'ts'> & { ts?: number; effects?: AdmissionEffects };

/** Personal fields a site chose to keep: encrypted at rest, purged by retention, outside the hash chain. */
export interface PersonalFields {
  name?: string;
  idNumber?: string;
}

/** An event that is not a decision (an alarm, a passage, a switch of mode): every decision column empty. */
export function factEvent(
  type: EventType,
  lane: string | null,
  facts: StoredEvent['facts'],
  over: Partial<Pick<NewEvent, 'direction' | 'credential' | 'refId' | 'ts'>> = {},
): NewEvent {
  return {
    type,
    lane,
    direction: null,
    credential: null,
    decision: null,
    reason: null,
    idHash: null,
    idMasked: null,
    latencyMs: null,
    refId: null,
    facts,
    ...over,
  };
}
