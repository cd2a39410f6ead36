// One decision, top to bottom: verify the credential(s) → face, when policy asks → site policy →
// durable commit (with use counts and presence in the same transaction) → the caller may unlock.
// Used by the lane controller (serial readers) and by POST /v1/verify alike, so both decide the same way.
// It is also the one owner of what the lane writes after a decision (passages, timeouts and the undo of an
// unused grant), through its ledger (lane-ledger.ts): the controller hands those over, it never writes them.
import type { Logger } from 'pino';
import type { LogWriter } from '../alarms.js';
import type { Direction, GatewayConfig, LaneConfig, LaneSide } from '../config/schema.js';
import { establishPresentation, type HolderBinding, holderBindingOf } from '../credentials/binding.js';
import {
  type CredentialInput,
  type Establishment,
  emptyCredential,
  establishCredential,
} from '../credentials/establish.js';
import { keyedIdHash, maskId } from '../credentials/identity.js';
import type { TicketKeys } from '../credentials/ticket.js';
import type { EventBus } from '../events.js';
import type { ReasonCode } from '../reasons.js';
import type { EventStore } from '../store/event-store.js';
import type { PersonalVault } from '../store/personal.js';
import { classifyStoreError, errorText } from '../store/store-errors.js';
import type { StoredEvent } from '../store/types.js';
import {
  grantEffects,
  grantUndo,
  LaneLedger,
  type PassageRecord,
  type TimedOutGrant,
  type UnusedGrant,
} from './lane-ledger.js';
import { allowedUses, applyPolicy } from './policy.js';
import type { ChipCheck, FaceCheck, OnlineTicketValidator, WatchlistCheck } from './ports.js';
import { sideOf } from './reader-pairing.js';

export interface DecisionRequest {
  lane: string;
  direction: Direction;
  /** The credential that asks to open; `supporting` ones prove who holds it (a CCCD for a bound train ticket). */
  credential: CredentialInput;
  supporting?: CredentialInput[];
  /** A still frame from a handheld or networked reader; the lane's camera is used when absent. */
  face?: Buffer;
  source: 'reader' | 'http';
  /** performance.now() when the credential arrived, for the latency histogram. */
  receivedAt: number;
  /** What the reader found out on the way, for the event (a PC/SC chip's access and CA/AA outcome); never personal data. */
  readerFacts?: Record<string, string | number | boolean>;
}

export interface DecisionOutcome {
  /**
   * The committed event; null when the commit failed (reason `store.unavailable`, decision deny): nothing
   * was logged, nothing took effect, and the caller must not act on it.
   */
  event: StoredEvent | null;
  decision: 'allow' | 'deny';
  reason: ReasonCode;
  /** Category facts carried on to the passage this decision authorises (for anonymous counts). */
  passageFacts: Record<string, string | number | boolean>;
  /** What to take back if nobody passes after the unlock (a ticket use, a presence mark). */
  undo: UnusedGrant | null;
}

/** What the checks before the commit found, for site policy inside the committing transaction. */
interface Checked {
  side: LaneSide;
  subject: string | null;
  binding: HolderBinding;
  watchlistHit: boolean;
  idHash: string | null;
}

/** A decision that was denied because it could not be committed: where it came from and why. */
export interface UncommittedDecision {
  lane: string;
  source: DecisionRequest['source'];
  detail: string;
  cause: 'store' | 'bug';
}
export interface DecisionDeps {
  config: GatewayConfig;
  store: EventStore;
  bus: EventBus;
  ticketKeys: () => TicketKeys;
  siteKey: Buffer;
  now: () => number;
  chip?: ChipCheck;
  face?: FaceCheck;
  watchlist?: WatchlistCheck;
  personal?: PersonalVault;
  onlineTickets?: OnlineTicketValidator;
  onAlarm: (
    kind: 'anti-passback' | 'watchlist-hit',
    lane: string,
    detail: Record<string, string | number | boolean>,
  ) => void;
  /**
   * Where a decision that could not be committed is reported (never with personal data): `store` when the
   * event log refused it (locked, full, gone), `bug` when something else threw on the way; either way nothing
   * of it was written and the answer is a deny.
   */
  onUncommitted?: (refused: UncommittedDecision) => void;
  /** Writes a passage or a timeout now, or owes it to the store watch's backlog while the log is down. */
  write?: LogWriter;
  /** Faults around a decision that are not its verdict (a face check that threw, a log unreadable at start). */
  logger?: Pick<Logger, 'warn' | 'error'>;
}

export class DecisionService {
  private readonly lanes: Map<string, LaneConfig>;
  private readonly ledger: LaneLedger;

  constructor(private readonly deps: DecisionDeps) {
    this.lanes = new Map(deps.config.gate.lanes.map((l) => [l.id, l]));
    this.ledger = new LaneLedger(deps.store, deps.bus, deps.write);
    // The use counts and presence are built from the log now, at boot, not on the first decision. A file that
    // cannot be read must not stop the start: the store watch reports it, the lanes deny with store.unavailable,
    // and the first decision tries the build again (admission reads load lazily).
    try {
      deps.store.repos.admission.load();
    } catch (err) {
      deps.logger?.warn(
        { channel: 'store', detail: errorText(err) },
        'use counts and presence not built at start: lanes deny until the log can be read',
      );
    }
  }

  /** A lane named by id (POST /v1/verify without actuation); the lane controller passes its own config instead. */
  decide(req: DecisionRequest): Promise<DecisionOutcome> {
    const lane = this.lanes.get(req.lane);
    if (!lane) return this.commit(req, null, { ok: false, reason: 'policy.unknown-lane' });
    return this.decideAt(lane, req);
  }

  async decideAt(lane: LaneConfig, req: DecisionRequest): Promise<DecisionOutcome> {
    const side = sideOf(lane, req.direction);
    if (!side) return this.commit(req, null, { ok: false, reason: 'policy.unknown-lane' });
    // The credential and any supporting ones (a CCCD, chip or QR, shown with a ticket), naming one person.
    const established = await establishPresentation(req.credential, req.supporting ?? [], (c) => this.establish(c));
    if (!established.ok) return this.commit(req, lane, established);
    const est = established.value;
    const binding = holderBindingOf(est, this.deps.config.policy.bindingAcceptsQr);
    if (this.deps.onlineTickets && binding === 'match') {
      const online = await this.deps.onlineTickets.validate({
        tid: est.ticket!.claims.tid,
        lane: lane.id,
        at: this.deps.now(),
      });
      if (!online.ok)
        return this.commit(req, lane, { ok: false, reason: online.reason, identity: est.identity, facts: est.facts });
    }

    // The keyed hash of the ID, once: it names the face reference, the presence subject, the watchlist
    // entry and the logged event alike.
    const idHash = est.identity ? keyedIdHash(this.deps.siteKey, est.identity.idNumber) : null;

    // Face, when the lane's policy asks for it for this credential.
    if (side.face.requireFor.includes(req.credential.kind)) {
      if (!this.deps.face)
        return this.commit(req, lane, {
          ok: false,
          reason: 'face.unavailable',
          identity: est.identity,
          facts: est.facts,
        });
      let face: Awaited<ReturnType<FaceCheck['check']>>;
      try {
        face = await this.deps.face.check({
          lane: lane.id,
          direction: req.direction,
          policy: side.face,
          probe: req.face,
          reference: { photo: est.photo, personRef: idHash ?? undefined },
        });
      } catch (err) {
        // A fault in the camera or the models (not a verdict on the face): logged as a denial like any other, so
        // the person gets an answer and the log a line, instead of a decision that never ends.
        this.deps.logger?.error({ channel: 'face', lane: lane.id, err }, 'face check failed: denied face.unavailable');
        return this.commit(req, lane, {
          ok: false,
          reason: 'face.unavailable',
          identity: est.identity,
          facts: est.facts,
        });
      }
      Object.assign(est.facts, face.facts);
      if (!face.ok)
        return this.commit(req, lane, { ok: false, reason: face.reason, identity: est.identity, facts: est.facts });
    }

    const subject = idHash ? `id:${idHash}` : est.ticket ? `tid:${est.ticket.claims.tid}` : null;
    const watchlistHit = idHash ? (this.deps.watchlist?.isListed(idHash) ?? false) : false;
    return this.commit(req, lane, { ok: true, value: est }, { side, subject, binding, watchlistHit, idHash });
  }

  /**
   * Whether a scanned ticket names its holder (`hid`), so the lane waits for the holder's ID card. Verified
   * here, not peeked at: the key set remembers the token, so the decision that follows recalls it instead of
   * checking its signature again (tickets.rememberVerified). A ticket that does not verify names nobody.
   */
  async ticketNamesHolder(token: string): Promise<boolean> {
    const r = await this.establish({ kind: 'ticket', token });
    return r.ok && r.value.ticket?.claims.hid !== undefined;
  }

  /** A presentation that failed before there was a credential to verify (a chip read cut off, a garbled card): logged as a denial. */
  recordFailure(
    req: Omit<DecisionRequest, 'credential'> & { credential: CredentialInput['kind'] },
    reason: ReasonCode,
    facts: Record<string, string | number | boolean>,
  ): Promise<DecisionOutcome> {
    const lane = this.lanes.get(req.lane);
    const found = lane && sideOf(lane, req.direction) ? lane : null;
    return this.commit({ ...req, credential: emptyCredential(req.credential) }, found, { ok: false, reason, facts });
  }

  /** A passage the lane saw (the ledger logs it, or owes it while the store is down, and announces it). */
  recordPassage(passage: PassageRecord): StoredEvent | null {
    return this.ledger.recordPassage(passage);
  }

  /** A grant nobody used: logged with the undo of its ticket use and presence mark, as one operation. */
  recordTimeout(grant: TimedOutGrant): Promise<'written' | 'owed'> {
    return this.ledger.recordTimeout(grant);
  }

  private establish(c: CredentialInput): Promise<Establishment> {
    const { config, now } = this.deps;
    return establishCredential(c, {
      ticketKeys: this.deps.ticketKeys(),
      site: config.site.id,
      clockSkewS: config.tickets.clockSkewS,
      now: now(),
      chip: this.deps.chip,
    });
  }

  /** The durable step: stateful checks and the event insert share one transaction, so two readers can't both spend a last use. */
  private async commit(
    req: DecisionRequest,
    lane: LaneConfig | null,
    step: Establishment,
    ctx?: Checked,
  ): Promise<DecisionOutcome> {
    const { config, now } = this.deps;
    const ledger = this.ledger;
    const identity = step.ok ? step.value.identity : step.identity;
    const facts: Record<string, string | number | boolean> = {
      ...(step.ok ? step.value.facts : step.facts),
      ...req.readerFacts,
      source: req.source,
    };
    if (req.supporting?.length) facts.supporting = req.supporting.map((s) => s.kind).join(',');
    const idHash = ctx ? ctx.idHash : identity ? keyedIdHash(this.deps.siteKey, identity.idNumber) : null;
    let alarms: Array<'anti-passback' | 'watchlist-hit'> = [];
    let undo: UnusedGrant | null = null;
    let outcome: { event: StoredEvent; decision: 'allow' | 'deny'; reason: ReasonCode };
    try {
      outcome = await this.commitDecision(() => {
        let decision: 'allow' | 'deny' = 'deny';
        let reason: ReasonCode = step.ok ? 'ok' : step.reason;
        // Read once: the policy checks it and, on an allow, the undo record keeps what it was.
        let presence: { inside: number; ts: number } | undefined;
        if (step.ok && ctx && lane) {
          const t = step.value.ticket;
          presence = ctx.subject ? ledger.presence(ctx.subject, lane.zone) : undefined;
          const fresh = presence && now() - presence.ts < config.policy.antiPassback.resetAfterS * 1000;
          const verdict = applyPolicy(config.policy, {
            kind: req.credential.kind,
            direction: req.direction,
            side: ctx.side,
            ticketUses: t
              ? { used: ledger.ticketUses(t.claims.tid), allowed: allowedUses(t.claims.kind, t.claims.uses) }
              : undefined,
            insideZone: Boolean(presence?.inside && fresh),
            watchlistHit: ctx.watchlistHit,
            binding: ctx.binding,
            documentExpired: step.value.documentExpired,
          });
          decision = verdict.decision;
          reason = verdict.reason;
          alarms = verdict.alarms;
          if (ctx.binding !== 'none') facts.binding = ctx.binding;
          // Security reads a hit in the event's detail even where site policy only alarms and lets the person pass.
          if (ctx.watchlistHit) facts.watchlistHit = true;
        }
        if (decision === 'allow' && lane && step.ok && ctx)
          undo = grantUndo(lane.zone, req.direction, step.value.ticket?.claims.tid, ctx.subject, presence);
        const personal = identity && this.deps.personal && undo ? this.deps.personal : null;
        const event = ledger.appendDecision(
          {
            type: 'decision',
            lane: lane?.id ?? req.lane.slice(0, 32),
            direction: req.direction,
            credential: req.credential.kind,
            decision,
            reason,
            idHash,
            idMasked: identity ? maskId(identity.idNumber) : null,
            latencyMs: performance.now() - req.receivedAt,
            refId: null,
            facts,
            ...(undo ? { effects: grantEffects(undo) } : {}),
          },
          personal && identity
            ? (ev) => personal.put(ev.id, { name: identity.name, idNumber: identity.idNumber }, ev.ts)
            : undefined,
        );
        return { event, decision, reason };
      });
    } catch (err) {
      // Not committed, so not decided: the ticket use, the presence mark and any alarm of this decision were
      // inside the transaction that rolled back (or never ran); only the answer remains, and it is a deny.
      const laneId = lane?.id ?? req.lane.slice(0, 32);
      this.deps.onUncommitted?.({
        lane: laneId,
        source: req.source,
        detail: errorText(err),
        cause: classifyStoreError(err) === null ? 'bug' : 'store',
      });
      return { event: null, decision: 'deny', reason: 'store.unavailable', passageFacts: {}, undo: null };
    }
    for (const kind of alarms) this.deps.onAlarm(kind, outcome.event.lane ?? req.lane, { eventId: outcome.event.id });
    const passageFacts: Record<string, string | number | boolean> = { via: req.credential.kind };
    for (const k of ['nationality', 'ageBand', 'sex'] as const) if (facts[k] !== undefined) passageFacts[k] = facts[k]!;
    this.deps.bus.emit('decision.made', {
      eventId: outcome.event.id,
      seq: outcome.event.seq,
      ts: outcome.event.ts,
      lane: outcome.event.lane!,
      direction: req.direction,
      credential: req.credential.kind,
      decision: outcome.decision,
      reason: outcome.reason,
      latencyMs: outcome.event.latencyMs ?? 0,
      idMasked: outcome.event.idMasked,
      facts: outcome.event.facts,
    });
    return { ...outcome, passageFacts, undo };
  }

  /** The group commit, as its own seam: tests make it fail to check that nothing of a failed decision stays. */
  protected commitDecision<T>(fn: () => T): Promise<T> {
    return this.deps.store.commitSoon(fn);
  }
}
