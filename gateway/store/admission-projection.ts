// Ticket use counts and presence marks as in-memory projections of the event log (issue #14): each event's
// admission effects are applied in seq order, and a policy read is a Map lookup instead of a statement.
// Pure: where an entry goes when the projection is full, and where a missing one is looked up, is the
// backing's business (the checkpoint tables, admission-repo.ts).
//
// Each entry carries the seq of the last event folded into it, so applying an event twice (a replay over a
// checkpoint that already holds it) changes nothing. Changes made inside a transaction are journaled and
// undone when it rolls back, so memory never holds what the file does not.
import type { AdmissionEffects } from './types.js';

export interface UseEntry {
  uses: number;
  /** The last use's ts. */
  ts: number;
  seq: number;
}

export interface PresenceEntry {
  inside: 0 | 1;
  ts: number;
  seq: number;
}

/** Where entries live when they are not in memory (the checkpoint tables). */
export interface ProjectionBacking {
  readUse(tid: string): UseEntry | undefined;
  readPresence(subject: string, zone: string): PresenceEntry | undefined;
  /** An entry leaves memory: written where readUse finds it again. */
  evictUse(tid: string, e: UseEntry): void;
  evictPresence(subject: string, zone: string, e: PresenceEntry): void;
}

export interface ProjectionLimits {
  /** Ticket entries kept in memory; past it the least recently changed go to the backing. */
  tickets: number;
  /** Presence entries (subject and zone) kept in memory. */
  presence: number;
}

type Undo =
  | { k: 'use'; tid: string; prev: UseEntry | undefined }
  | { k: 'presence'; subject: string; zone: string; prev: PresenceEntry | undefined };

export class AdmissionProjection {
  private uses = new Map<string, UseEntry>();
  /** zone → subject → mark: a site has a few zones, so no per-lookup key string is built. */
  private readonly zones = new Map<string, Map<string, PresenceEntry>>();
  private presenceCount = 0;
  /**
   * Whether memory holds every entry there is: then a miss means "none" without asking the backing. False
   * once anything was evicted (or the backing held more than fits at load).
   */
  private usesComplete = true;
  private presenceComplete = true;
  private readonly journal: Undo[] = [];
  private journaling = true;

  constructor(
    private readonly limits: ProjectionLimits,
    private readonly backing: ProjectionBacking,
  ) {}

  get ticketEntries(): number {
    return this.uses.size;
  }

  get presenceEntries(): number {
    return this.presenceCount;
  }

  /** Memory no longer holds every entry: a miss asks the backing. */
  markIncomplete(what: 'tickets' | 'presence'): void {
    if (what === 'tickets') this.usesComplete = false;
    else this.presenceComplete = false;
  }

  ticketUses(tid: string): number {
    return this.use(tid)?.uses ?? 0;
  }

  presence(subject: string, zone: string): { inside: number; ts: number } | undefined {
    const p = this.mark(subject, zone);
    return p ? { inside: p.inside, ts: p.ts } : undefined;
  }

  /** Folds one event's effects in; an event at or below an entry's seq is already in it. */
  apply(e: AdmissionEffects, seq: number, ts: number): void {
    if (e.tid !== undefined && e.uses !== undefined) {
      const cur = this.use(e.tid);
      if (!cur || seq > cur.seq) {
        // A refund never goes below zero (a timeout whose use was never counted, e.g. purged long ago).
        const uses = Math.max(0, (cur?.uses ?? 0) + e.uses);
        this.setUse(e.tid, { uses, ts: e.uses > 0 ? ts : (cur?.ts ?? ts), seq });
      }
    }
    if (e.presence) {
      const { subject, zone, inside } = e.presence;
      const cur = this.mark(subject, zone);
      if (!cur || seq > cur.seq) this.setPresence(subject, zone, { inside: inside ? 1 : 0, ts, seq });
    }
  }

  /** Puts an entry read from the checkpoint tables in, unless memory already has a newer one. */
  seedUse(tid: string, e: UseEntry): void {
    const cur = this.uses.get(tid);
    if (!cur || e.seq > cur.seq) this.setUse(tid, e);
  }

  seedPresence(subject: string, zone: string, e: PresenceEntry): void {
    const cur = this.zones.get(zone)?.get(subject);
    if (!cur || e.seq > cur.seq) this.setPresence(subject, zone, e);
  }

  /** Every entry changed by an event after `seq` (what a checkpoint writes). */
  *usesAfter(seq: number): IterableIterator<[string, UseEntry]> {
    for (const kv of this.uses) if (kv[1].seq > seq) yield kv;
  }

  *presenceAfter(seq: number): IterableIterator<[string, string, PresenceEntry]> {
    for (const [zone, marks] of this.zones) for (const [subject, p] of marks) if (p.seq > seq) yield [subject, zone, p];
  }

  /**
   * Copies the maps into new ones of the size they need: a replay moves each key to the end many times, and
   * the holes that leaves keep a Map's table large (measured: 60.5 MB after replaying 1M events against 53 MB
   * for the same entries loaded once, bench/projection-boot.ts).
   */
  compact(): void {
    this.uses = new Map(this.uses);
    for (const [zone, marks] of this.zones) this.zones.set(zone, new Map(marks));
  }

  /** Runs `fn` without journaling: a rebuild at open has nothing to roll back to. */
  unjournaled(fn: () => void): void {
    this.journaling = false;
    try {
      fn();
    } finally {
      this.journaling = true;
    }
  }

  /** How far back a rollback goes (TransactionMemory). */
  journalMark(): number {
    return this.journal.length;
  }

  rollbackTo(mark: number): void {
    while (this.journal.length > mark) {
      const u = this.journal.pop()!;
      if (u.k === 'use') {
        if (u.prev) this.uses.set(u.tid, u.prev);
        else this.uses.delete(u.tid);
      } else if (u.prev) this.putMark(u.subject, u.zone, u.prev);
      else this.dropMark(u.subject, u.zone);
    }
  }

  forgetJournal(): void {
    this.journal.length = 0;
  }

  clear(): void {
    this.uses.clear();
    this.zones.clear();
    this.presenceCount = 0;
    this.journal.length = 0;
    this.usesComplete = true;
    this.presenceComplete = true;
  }

  private use(tid: string): UseEntry | undefined {
    const hit = this.uses.get(tid);
    if (hit || this.usesComplete) return hit;
    const read = this.backing.readUse(tid);
    if (read) this.setUse(tid, read);
    return read;
  }

  private mark(subject: string, zone: string): PresenceEntry | undefined {
    const hit = this.zones.get(zone)?.get(subject);
    if (hit || this.presenceComplete) return hit;
    const read = this.backing.readPresence(subject, zone);
    if (read) this.setPresence(subject, zone, read);
    return read;
  }

  private setUse(tid: string, e: UseEntry): void {
    const prev = this.uses.get(tid);
    if (this.journaling) this.journal.push({ k: 'use', tid, prev });
    // Deleted first so the key moves to the end: Map order is the order of last change, the eviction order.
    if (prev) this.uses.delete(tid);
    this.uses.set(tid, e);
    if (this.uses.size > this.limits.tickets) {
      const [oldTid, old] = this.uses.entries().next().value as [string, UseEntry];
      this.backing.evictUse(oldTid, old);
      if (this.journaling) this.journal.push({ k: 'use', tid: oldTid, prev: old });
      this.uses.delete(oldTid);
      this.usesComplete = false;
    }
  }

  private setPresence(subject: string, zone: string, e: PresenceEntry): void {
    const prev = this.zones.get(zone)?.get(subject);
    if (this.journaling) this.journal.push({ k: 'presence', subject, zone, prev });
    if (prev) this.dropMark(subject, zone);
    this.putMark(subject, zone, e);
    if (this.presenceCount > this.limits.presence) this.evictOldestMark();
  }

  /**
   * The oldest change among the zones' first entries: each zone's map is in order of change, so the oldest
   * of all is one of the firsts (a site has a handful of zones).
   */
  private evictOldestMark(): void {
    let oldest: { zone: string; subject: string; p: PresenceEntry } | null = null;
    for (const [zone, marks] of this.zones) {
      const first = marks.entries().next();
      if (!first.done && (!oldest || first.value[1].seq < oldest.p.seq))
        oldest = { zone, subject: first.value[0], p: first.value[1] };
    }
    if (!oldest) return;
    this.backing.evictPresence(oldest.subject, oldest.zone, oldest.p);
    if (this.journaling)
      this.journal.push({ k: 'presence', subject: oldest.subject, zone: oldest.zone, prev: oldest.p });
    this.dropMark(oldest.subject, oldest.zone);
    this.presenceComplete = false;
  }

  private putMark(subject: string, zone: string, p: PresenceEntry): void {
    let marks = this.zones.get(zone);
    if (!marks) {
      marks = new Map();
      this.zones.set(zone, marks);
    }
    if (!marks.has(subject)) this.presenceCount++;
    marks.set(subject, p);
  }

  private dropMark(subject: string, zone: string): void {
    const marks = this.zones.get(zone);
    if (marks?.delete(subject)) this.presenceCount--;
  }
}
