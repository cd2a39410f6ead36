// One decision, top to bottom: verify the credential(s) → face, when policy asks → site policy →
// durable commit (with use counts and presence in the same transaction) → the caller may unlock.
// Used by the lane controller (serial readers) and by POST /v1/verify alike, so both decide the same way.
import type { Direction, GatewayConfig, LaneConfig, LaneSide } from '../config/schema.js';
import { cccdQrFacts } from '../credentials/categories.js';
import { parseCccdQr } from '../credentials/cccd-qr.js';
import { chipDisagreesWithQr, type IdentityField } from '../credentials/chip-qr-agreement.js';
import { type Identity, keyedIdHash, maskId } from '../credentials/identity.js';
import { holderBinding, type TicketKeys, type VerifiedTicket, verifyTicket } from '../credentials/ticket.js';
import type { EventBus } from '../events.js';
import type { ReasonCode } from '../reasons.js';
import type { AdmissionRepository } from '../store/admission-repo.js';
import type { EventStore } from '../store/event-store.js';
import type { PersonalVault } from '../store/personal.js';
import { errorText } from '../store/store-errors.js';
import type { StoredEvent } from '../store/types.js';
import { allowedUses, applyPolicy } from './policy.js';
import type { ChipCheck, FaceCheck, OnlineTicketValidator, WatchlistCheck } from './ports.js';

export type CredentialInput =
  | { kind: 'ticket'; token: string }
  | { kind: 'cccd-qr'; text: string }
  | { kind: 'chip'; sod: Buffer; dataGroups: Map<number, Buffer> };

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

export interface UnusedGrant {
  zone: string;
  direction: Direction;
  tid?: string;
  subject?: string;
  previousInside?: boolean;
}

interface Established {
  identity?: Identity;
  ticket?: VerifiedTicket;
  photo?: Buffer;
  documentExpired?: boolean;
  facts: Record<string, string | number | boolean>;
}

type Step =
  | { ok: true; value: Established }
  | { ok: false; reason: ReasonCode; facts?: Established['facts']; identity?: Identity };

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
  /** Where a decision that could not be committed is reported (never with personal data). */
  onUncommitted?: (lane: string, detail: string) => void;
}

export class DecisionService {
  private readonly lanes: Map<string, LaneConfig>;
  /** Ticket use counts and presence: read before a decision, written inside its transaction. */
  private readonly admission: AdmissionRepository;

  constructor(private readonly deps: DecisionDeps) {
    this.lanes = new Map(deps.config.gate.lanes.map((l) => [l.id, l]));
    this.admission = deps.store.repos.admission;
  }

  laneSide(laneId: string, direction: Direction): { lane: LaneConfig; side: LaneSide } | null {
    const lane = this.lanes.get(laneId);
    const side = lane && (direction === 'in' ? lane.entry : lane.exit);
    return lane && side ? { lane, side } : null;
  }

  async decide(req: DecisionRequest): Promise<DecisionOutcome> {
    const found = this.laneSide(req.lane, req.direction);
    if (!found) return this.commit(req, null, { ok: false, reason: 'policy.unknown-lane' });
    const { lane, side } = found;
    const primary = await this.establish(req.credential);
    if (!primary.ok) return this.commit(req, lane, primary);
    let est = primary.value;

    // Supporting credentials: a CCCD (chip or QR) shown with a ticket; its ID must agree with any other ID shown.
    let binding: 'none' | 'match' | 'mismatch' | 'unverified' = 'none';
    for (const extra of req.supporting ?? []) {
      const s = await this.establish(extra);
      if (!s.ok) return this.commit(req, lane, { ...s, facts: { ...est.facts, ...s.facts } });
      const differing = identitiesDisagree(req.credential, est.identity, extra, s.value.identity);
      if (differing.length > 0) {
        return this.commit(req, lane, {
          ok: false,
          reason: 'chip.id-mismatch',
          identity: est.identity,
          // Which fields, never their values.
          facts: { ...est.facts, mismatch: differing.join(',') },
        });
      }
      const merged: Established = { ...s.value, ...est, facts: { ...s.value.facts, ...est.facts } };
      if (!est.identity || (s.value.identity?.verified && !est.identity.verified)) merged.identity = s.value.identity;
      merged.photo = est.photo ?? s.value.photo;
      est = merged;
    }
    const hid = est.ticket?.claims.hid;
    if (hid) {
      const id = est.identity;
      const acceptable = id && (id.verified || this.deps.config.policy.bindingAcceptsQr);
      binding = !id
        ? 'unverified'
        : holderBinding(est.ticket!.claims.tid, id.idNumber) !== hid
          ? 'mismatch'
          : acceptable
            ? 'match'
            : 'unverified';
      if (this.deps.onlineTickets && binding === 'match') {
        const online = await this.deps.onlineTickets.validate({
          tid: est.ticket!.claims.tid,
          lane: lane.id,
          at: this.deps.now(),
        });
        if (!online.ok)
          return this.commit(req, lane, { ok: false, reason: online.reason, identity: est.identity, facts: est.facts });
      }
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
      const face = await this.deps.face.check({
        lane: lane.id,
        direction: req.direction,
        policy: side.face,
        probe: req.face,
        reference: { photo: est.photo, personRef: idHash ?? undefined },
      });
      Object.assign(est.facts, face.facts);
      if (!face.ok)
        return this.commit(req, lane, { ok: false, reason: face.reason, identity: est.identity, facts: est.facts });
    }

    const subject = idHash ? `id:${idHash}` : est.ticket ? `tid:${est.ticket.claims.tid}` : null;
    const watchlistHit = idHash ? (this.deps.watchlist?.isListed(idHash) ?? false) : false;
    return this.commit(req, lane, { ok: true, value: est }, { side, subject, binding, watchlistHit, idHash });
  }

  /** A presentation that failed before there was a credential to verify (a chip read cut off, a garbled card): logged as a denial. */
  recordFailure(
    req: Omit<DecisionRequest, 'credential'> & { credential: CredentialInput['kind'] },
    reason: ReasonCode,
    facts: Record<string, string | number | boolean>,
  ): Promise<DecisionOutcome> {
    const found = this.laneSide(req.lane, req.direction);
    const credential: CredentialInput =
      req.credential === 'chip'
        ? { kind: 'chip', sod: Buffer.alloc(0), dataGroups: new Map() }
        : req.credential === 'ticket'
          ? { kind: 'ticket', token: '' }
          : { kind: 'cccd-qr', text: '' };
    return this.commit({ ...req, credential }, found?.lane ?? null, { ok: false, reason, facts });
  }

  private async establish(c: CredentialInput): Promise<Step> {
    const now = this.deps.now();
    if (c.kind === 'ticket') {
      const r = await verifyTicket(c.token, this.deps.ticketKeys(), {
        site: this.deps.config.site.id,
        now,
        clockSkewS: this.deps.config.tickets.clockSkewS,
      });
      if (!r.ok) return { ok: false, reason: r.reason };
      return {
        ok: true,
        value: {
          ticket: r.value,
          facts: { ticketKind: r.value.claims.kind, kid: r.value.kid, tid: r.value.claims.tid },
        },
      };
    }
    if (c.kind === 'cccd-qr') {
      const r = parseCccdQr(c.text, now);
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
    if (!this.deps.chip)
      return { ok: false, reason: 'chip.malformed', facts: { detail: 'no chip trust store configured' } };
    const r = await this.deps.chip.verify(c.sod, c.dataGroups, now);
    if (!r.ok) return { ok: false, reason: r.reason, facts: r.facts, identity: r.identity };
    return {
      ok: true,
      value: { identity: r.identity, photo: r.photo, documentExpired: r.documentExpired, facts: r.facts },
    };
  }

  /** The durable step: stateful checks and the event insert share one transaction, so two readers can't both spend a last use. */
  private async commit(
    req: DecisionRequest,
    lane: LaneConfig | null,
    step: Step,
    ctx?: {
      side: LaneSide;
      subject: string | null;
      binding: 'none' | 'match' | 'mismatch' | 'unverified';
      watchlistHit: boolean;
      idHash: string | null;
    },
  ): Promise<DecisionOutcome> {
    const { store, config, now } = this.deps;
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
          presence = ctx.subject ? this.admission.presence(ctx.subject, lane.zone) : undefined;
          const fresh = presence && now() - presence.ts < config.policy.antiPassback.resetAfterS * 1000;
          const verdict = applyPolicy(config.policy, {
            kind: req.credential.kind,
            direction: req.direction,
            side: ctx.side,
            ticketUses: t
              ? {
                  used: this.admission.ticketUses(t.claims.tid),
                  allowed: allowedUses(t.claims.kind, t.claims.uses),
                }
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
        const event = store.append(
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
          },
          (ev) => {
            if (decision !== 'allow' || !lane || !step.ok || !ctx) return;
            const t = step.value.ticket;
            undo = { zone: lane.zone, direction: req.direction };
            if (t && req.direction === 'in') undo.tid = t.claims.tid;
            if (ctx.subject) {
              undo.subject = ctx.subject;
              undo.previousInside = Boolean(presence?.inside);
            }
            this.admission.recordGrant({
              ts: ev.ts,
              tid: undo.tid,
              presence: ctx.subject
                ? { subject: ctx.subject, zone: lane.zone, inside: req.direction === 'in' }
                : undefined,
            });
            if (identity && this.deps.personal)
              this.deps.personal.put(ev.id, { name: identity.name, idNumber: identity.idNumber }, ev.ts);
          },
        );
        return { event, decision, reason };
      });
    } catch (err) {
      // Not committed, so not decided: the ticket use, the presence mark and any alarm of this decision were
      // inside the transaction that rolled back (or never ran); only the answer remains, and it is a deny.
      const laneId = lane?.id ?? req.lane.slice(0, 32);
      this.deps.onUncommitted?.(laneId, errorText(err));
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

  /** A person who walked away after an unlock did not use the ticket nor cross: call inside the timeout's transaction. */
  revertUnused(grant: UnusedGrant, ts: number): void {
    this.admission.revertGrant({
      ts,
      tid: grant.tid,
      presence: grant.subject
        ? { subject: grant.subject, zone: grant.zone, inside: Boolean(grant.previousInside) }
        : undefined,
    });
  }
}

/**
 * Two credentials shown together must name the same person. A chip and the CCCD QR that opened it are
 * compared on ID, name and birth date (issue #13: DG13 and DG1 against the QR); other pairs on the ID.
 */
function identitiesDisagree(
  a: CredentialInput,
  aId: Identity | undefined,
  b: CredentialInput,
  bId: Identity | undefined,
): IdentityField[] {
  if (!aId || !bId) return [];
  if (a.kind === 'chip' && b.kind === 'cccd-qr') return chipDisagreesWithQr(bId, aId);
  if (a.kind === 'cccd-qr' && b.kind === 'chip') return chipDisagreesWithQr(aId, bId);
  return aId.idNumber === bId.idNumber ? [] : ['idNumber'];
}
