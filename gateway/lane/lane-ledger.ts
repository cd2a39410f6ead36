// The one writer of what happens at a lane: decisions (with their ticket use and presence mark, in the
// committing transaction), passages, and grants nobody used (the timeout and the undo of that grant's use
// and presence). The decision service owns it; the lane controller hands it what the lane machine decided.
// Use counts and presence are the store's projections of the log (gateway/store/admission-repo.ts): this module
// says what an event changes (its effects, written in the event's own row) and reads the counts back.
import type { LogWriter } from '../alarms.js';
import type { CredentialKind, Direction } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { AdmissionRepository, PresenceMark } from '../store/admission-repo.js';
import type { EventStore } from '../store/event-store.js';
import { classifyStoreError } from '../store/store-errors.js';
import { type AdmissionEffects, factEvent, type NewEvent, type StoredEvent } from '../store/types.js';
import type { Grant, LaneEffect } from './lane-machine.js';

type Facts = Record<string, string | number | boolean>;

/** What to take back if nobody passes after the unlock (a ticket use, a presence mark). */
export interface UnusedGrant {
  zone: string;
  direction: Direction;
  tid?: string;
  subject?: string;
  previousInside?: boolean;
}

/**
 * What an allow changes and a timeout must take back: an entry spends one use of the ticket; the subject's
 * presence flips, and what it was before is kept for the undo.
 */
export function grantUndo(
  zone: string,
  direction: Direction,
  tid: string | undefined,
  subject: string | null,
  presence: { inside: number } | undefined,
): UnusedGrant {
  const undo: UnusedGrant = { zone, direction };
  if (tid && direction === 'in') undo.tid = tid;
  if (subject) {
    undo.subject = subject;
    undo.previousInside = Boolean(presence?.inside);
  }
  return undo;
}

/** What an allow changes: an entry spends one use of the ticket; the subject is marked inside (entry) or out. */
export function grantEffects(grant: UnusedGrant): AdmissionEffects {
  const e: AdmissionEffects = {};
  if (grant.tid) {
    e.tid = grant.tid;
    e.uses = 1;
  }
  if (grant.subject) e.presence = { subject: grant.subject, zone: grant.zone, inside: grant.direction === 'in' };
  return e;
}

/** What a timeout changes: the grant's use refunded, the presence mark put back as it was before the grant. */
export function undoEffects(grant: UnusedGrant): AdmissionEffects {
  const e: AdmissionEffects = {};
  if (grant.tid) {
    e.tid = grant.tid;
    e.uses = -1;
  }
  if (grant.subject) e.presence = { subject: grant.subject, zone: grant.zone, inside: Boolean(grant.previousInside) };
  return e;
}

/** What an allow hands on, through the lane machine's grant, to its passage or its timeout. */
export interface GrantPayload {
  /** Category facts for the passage (anonymous counts). */
  passageFacts: Facts;
  undo: UnusedGrant | null;
}

/** A passage the lane machine saw, with the grant it consumed (if any). */
export interface PassageRecord {
  lane: string;
  direction: Direction;
  /** The decision that authorised it; null for free passage, tailgating and forced passages. */
  decisionId: string | null;
  credential: CredentialKind | null;
  facts: Facts;
  ts: number;
}

/** A grant nobody used before its deadline. */
export interface TimedOutGrant {
  lane: string;
  direction: Direction;
  decisionId: string;
  credential: CredentialKind | null;
  undo: UnusedGrant | null;
  ts: number;
}

/** The lane machine's passage effect as the ledger records it. */
export function passageRecord(lane: string, fx: Extract<LaneEffect, { t: 'passage' }>, ts: number): PassageRecord {
  const payload = fx.grant?.payload as GrantPayload | undefined;
  return {
    lane,
    direction: fx.direction,
    decisionId: fx.grant?.decisionId ?? null,
    credential: fx.grant && fx.grant.credential !== 'manual' ? fx.grant.credential : null,
    facts: { ...(payload?.passageFacts ?? {}), via: fx.via, ...(fx.alarm ? { alarm: fx.alarm } : {}) },
    ts,
  };
}

/** The lane machine's timed-out grant as the ledger records (and undoes) it. */
export function timedOutGrant(lane: string, grant: Grant, ts: number): TimedOutGrant {
  const payload = grant.payload as GrantPayload | undefined;
  return {
    lane,
    direction: grant.direction,
    decisionId: grant.decisionId,
    credential: grant.credential === 'manual' ? null : grant.credential,
    undo: payload?.undo ?? null,
    ts,
  };
}

export class LaneLedger {
  /** Ticket use counts and presence (the store's admission repository). */
  private readonly admission: AdmissionRepository;
  private readonly write: LogWriter;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    /** Writes now, or owes the write to the store watch's backlog while the log cannot be written. */
    write?: LogWriter,
  ) {
    this.write = write ?? ((_what, run) => run());
    this.admission = store.repos.admission;
  }

  // --- inside a decision's transaction (DecisionService.commit) ---

  /** Entries already recorded on a ticket. */
  ticketUses(tid: string): number {
    return this.admission.ticketUses(tid);
  }

  /** Where a subject was last recorded in a zone, if anywhere. */
  presence(subject: string, zone: string): PresenceMark | undefined {
    return this.admission.presence(subject, zone);
  }

  /**
   * The decision event, with what it changes (an allow's grantEffects) in its own row: the insert is the
   * whole durable write of a decision. `committed` runs inside the same transaction with the stored event.
   */
  appendDecision(event: NewEvent, committed?: (ev: StoredEvent) => void): StoredEvent {
    return this.store.append(event, committed);
  }

  // --- what the lane machine reports after the unlock ---

  /**
   * Logs a passage, or owes it while the store is down, and announces it once written (now, or when the owed
   * write is replayed): the live view and the passage metric must not lose passages the store could not take.
   * Returns the stored event when it was written now.
   */
  recordPassage(p: PassageRecord): StoredEvent | null {
    const passage = factEvent('passage', p.lane, p.facts, {
      direction: p.direction,
      credential: p.credential,
      refId: p.decisionId,
      ts: p.ts,
    });
    let logged: StoredEvent | null = null;
    this.write('passage', () => {
      const ev = this.store.append(passage);
      logged = ev;
      this.bus.emit('passage.seen', {
        eventId: ev.id,
        seq: ev.seq,
        ts: ev.ts,
        lane: p.lane,
        direction: p.direction,
        authorizedBy: ev.refId,
        credential: ev.credential,
        facts: ev.facts,
      });
    });
    return logged;
  }

  /**
   * Logs a grant nobody used with the undo of its ticket use and presence mark as the event's effects, batched
   * with other commits (a burst of overflowing grants must not mean one transaction each). While the store
   * is down both are owed and written once it is back: resolves `owed` then. Announced either way.
   */
  async recordTimeout(g: TimedOutGrant): Promise<'written' | 'owed'> {
    const logTimeout = (): void => {
      this.store.append({
        ...factEvent(
          'timeout',
          g.lane,
          { walkedAway: true },
          { direction: g.direction, credential: g.credential, refId: g.decisionId, ts: g.ts },
        ),
        ...(g.undo ? { effects: undoEffects(g.undo) } : {}),
      });
    };
    let outcome: 'written' | 'owed' = 'written';
    try {
      await this.store.commitSoon(logTimeout);
    } catch (err) {
      if (classifyStoreError(err) === null) throw err;
      this.write('timeout', logTimeout);
      outcome = 'owed';
    }
    this.bus.emit('passage.timeout', { lane: g.lane, direction: g.direction, decisionId: g.decisionId, ts: g.ts });
    return outcome;
  }
}
