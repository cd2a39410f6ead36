// What admission policy remembers between decisions: how often each ticket was used, and who is inside which
// zone (anti-passback). Since issue #14 the event log is their source: a decision or a timeout writes its
// effects in its own event row (one INSERT), and these counts are projections of the log kept in memory
// (admission-projection.ts), so a policy read touches no statement.
//
// The tables ticket_uses and presence are the projections' checkpoint, written off the hot path: at a clean
// close, before retention removes events (so a purged event's effects are never forgotten), when an entry
// leaves memory because the projection is full, and after the file was replaced under the daemon. Each row
// carries the seq of the last event in it; at open the rows are loaded and the log after the checkpoint
// (`admission_through` in meta) is replayed on top, each event only onto rows older than it.
import { decodeEffects } from './admission-effects.js';
import {
  AdmissionProjection,
  type PresenceEntry,
  type ProjectionBacking,
  type ProjectionLimits,
  type UseEntry,
} from './admission-projection.js';
import type { PreparedStatement, StoreDatabase, TransactionMemory } from './database.js';
import type { MigrationStep } from './migrations.js';
import type { AdmissionEffects } from './types.js';

export const ADMISSION_STEPS: readonly MigrationStep[] = [
  // 1: once in the event log's first step; IF NOT EXISTS adopts the tables of files made by it
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ticket_uses (tid TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_ts INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS presence (subject TEXT NOT NULL, zone TEXT NOT NULL, inside INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (subject, zone));
    `);
  },
  // 2: the tables become the projections' checkpoint: each row says which event it is up to date with. Rows
  // written before hold every event there is (those were written in each decision's transaction, and no
  // event before this step has effects), so 0 is exact for them.
  (db) => {
    db.exec(`
      ALTER TABLE ticket_uses ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE presence ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    `);
  },
];

export interface PresenceMark {
  inside: number;
  ts: number;
}

/**
 * Measured by bench/projection-boot.ts: 133 bytes of heap per entry (a ticket's use count, or one presence
 * mark), 53 MB for 200,000 tickets with their marks. At these bounds the projections stay under about 59 MB;
 * a site with more live tickets reads the rest from the checkpoint tables (one indexed SELECT on a miss).
 */
export const DEFAULT_PROJECTION_LIMITS: ProjectionLimits = { tickets: 220_000, presence: 220_000 };

const THROUGH_KEY = 'admission_through';
/** Events replayed per statement at load. */
const REPLAY_PAGE = 4096;

interface ProjectionMark {
  journal: number;
  through: number;
  loaded: boolean;
}

interface UseRow {
  tid: string;
  uses: number;
  last_ts: number;
  seq: number;
}

interface PresenceRow {
  subject: string;
  zone: string;
  inside: number;
  ts: number;
  seq: number;
}

export class AdmissionRepository implements TransactionMemory, ProjectionBacking {
  private readonly projection: AdmissionProjection;
  private readonly limits: ProjectionLimits;
  private loaded = false;
  /** Every event at or below this seq is in the checkpoint tables. */
  private through = 0;
  private readonly getUse: PreparedStatement;
  private readonly getPresence: PreparedStatement;
  private readonly putUse: PreparedStatement;
  private readonly putPresence: PreparedStatement;
  private readonly countUses: PreparedStatement;
  private readonly countPresence: PreparedStatement;
  private readonly newestUses: PreparedStatement;
  private readonly newestPresence: PreparedStatement;
  private readonly getThrough: PreparedStatement;
  private readonly setThrough: PreparedStatement;
  private readonly effectsAfter: PreparedStatement;

  constructor(
    private readonly db: StoreDatabase,
    /** The newest event's seq (the event log's tail): how far a checkpoint reaches. */
    private readonly tailSeq: () => number,
    limits: ProjectionLimits = DEFAULT_PROJECTION_LIMITS,
  ) {
    this.limits = { tickets: Math.max(1, limits.tickets), presence: Math.max(1, limits.presence) };
    this.projection = new AdmissionProjection(this.limits, this);
    this.getUse = db.statement('SELECT uses, last_ts AS ts, seq FROM ticket_uses WHERE tid = ?');
    this.getPresence = db.statement('SELECT inside, ts, seq FROM presence WHERE subject = ? AND zone = ?');
    this.putUse = db.statement(
      'INSERT INTO ticket_uses (tid, uses, last_ts, seq) VALUES (?, ?, ?, ?) ON CONFLICT(tid) DO UPDATE SET uses = excluded.uses, last_ts = excluded.last_ts, seq = excluded.seq',
    );
    this.putPresence = db.statement(
      'INSERT INTO presence (subject, zone, inside, ts, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT(subject, zone) DO UPDATE SET inside = excluded.inside, ts = excluded.ts, seq = excluded.seq',
    );
    this.countUses = db.statement('SELECT count(*) FROM ticket_uses', { pluck: true });
    this.countPresence = db.statement('SELECT count(*) FROM presence', { pluck: true });
    this.newestUses = db.statement(
      'SELECT * FROM (SELECT tid, uses, last_ts, seq FROM ticket_uses ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    );
    this.newestPresence = db.statement(
      'SELECT * FROM (SELECT subject, zone, inside, ts, seq FROM presence ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    );
    this.getThrough = db.statement(`SELECT value FROM meta WHERE key = '${THROUGH_KEY}'`, { pluck: true });
    this.setThrough = db.statement(
      `INSERT INTO meta (key, value) VALUES ('${THROUGH_KEY}', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    this.effectsAfter = db.statement(
      'SELECT seq, ts, effects FROM events WHERE seq > ? AND effects IS NOT NULL ORDER BY seq LIMIT ?',
      {
        raw: true,
      },
    );
    db.keepsInMemory(this);
  }

  /** Entries in memory now (for /healthz-style reporting and the boot benchmark). */
  size(): { tickets: number; presence: number } {
    this.load();
    return { tickets: this.projection.ticketEntries, presence: this.projection.presenceEntries };
  }

  /**
   * Builds the projections from the checkpoint tables and the log after them. The daemon calls it at boot
   * (DecisionService); anything else that opens the store pays for it only on first use.
   */
  load(): void {
    if (this.loaded) return;
    const p = this.projection;
    const build = (): void => {
      p.clear();
      this.through = Number(this.getThrough().get() ?? 0);
      p.unjournaled(() => {
        // More rows than fit: the newest ones (by the event they are up to date with), oldest first so the
        // order of change is kept; a miss reads the rest.
        const tickets = this.countUses().get() as number;
        if (tickets > this.limits.tickets) p.markIncomplete('tickets');
        for (const r of this.newestUses().iterate(this.limits.tickets) as IterableIterator<UseRow>)
          p.seedUse(r.tid, { uses: r.uses, ts: r.last_ts, seq: r.seq });
        const marks = this.countPresence().get() as number;
        if (marks > this.limits.presence) p.markIncomplete('presence');
        for (const r of this.newestPresence().iterate(this.limits.presence) as IterableIterator<PresenceRow>)
          p.seedPresence(r.subject, r.zone, { inside: r.inside ? 1 : 0, ts: r.ts, seq: r.seq });
        // In pages, not one open iterator: replaying may write (an entry past the bound) or read (a miss),
        // and a connection runs no other statement while an iterator is open.
        for (let after = this.through; ; ) {
          const page = this.effectsAfter().all(after, REPLAY_PAGE) as Array<[number, number, string]>;
          for (const [seq, ts, text] of page) {
            const e = decodeEffects(text);
            // An unreadable value can only be an edit of the file; `gate06 log verify` names the event.
            if (e) p.apply(e, seq, ts);
          }
          if (page.length < REPLAY_PAGE) break;
          after = page[page.length - 1]![0];
        }
        p.compact();
      });
    };
    // The tables and the log as of one moment; it writes only when the log holds more entries than fit.
    this.inTransaction(build);
    this.loaded = true;
  }

  ticketUses(tid: string): number {
    this.load();
    return this.projection.ticketUses(tid);
  }

  presence(subject: string, zone: string): PresenceMark | undefined {
    this.load();
    return this.projection.presence(subject, zone);
  }

  /** An event's effects, applied as it is inserted (the event log calls this inside its transaction). */
  apply(effects: AdmissionEffects, seq: number, ts: number): void {
    this.load();
    this.projection.apply(effects, seq, ts);
  }

  /** At a clean close: a store that never built the projections (a CLI command) has nothing newer to write. */
  checkpointIfBuilt(): void {
    if (this.loaded) this.checkpoint();
  }

  /**
   * Writes every entry changed since the last checkpoint and moves the checkpoint to the log's tail. Inside
   * retention's transaction before events are removed; at a clean close. Rolls back with its transaction.
   */
  checkpoint(): { written: number } {
    // Not built yet (a store opened only for retention): the log it would remove must be folded in first.
    this.load();
    const through = this.through;
    let written = 0;
    for (const [tid, e] of this.projection.usesAfter(through)) {
      this.evictUse(tid, e);
      written++;
    }
    for (const [subject, zone, p] of this.projection.presenceAfter(through)) {
      this.evictPresence(subject, zone, p);
      written++;
    }
    this.through = this.tailSeq();
    this.setThrough().run(String(this.through));
    return { written };
  }

  /**
   * The file at the path is another one (deleted and made again, or replaced): what this process knows is
   * written into it, as of its tail, so no ticket use nor presence mark is forgotten with the old file; then
   * the projections are built again from it (rows it has that memory did not come along).
   */
  reopened(): void {
    if (!this.loaded) return;
    const tail = this.tailSeq();
    this.inTransaction(() => {
      for (const [tid, e] of this.projection.usesAfter(-1)) this.evictUse(tid, { ...e, seq: tail });
      for (const [subject, zone, p] of this.projection.presenceAfter(-1))
        this.evictPresence(subject, zone, { ...p, seq: tail });
    });
    this.loaded = false;
    this.load();
  }

  /**
   * Inside a caller's transaction, a savepoint that rolls memory back with it; alone, a plain transaction on
   * the connection, which also works while the store recovers (the re-open runs before the outage ends).
   */
  private inTransaction(fn: () => void): void {
    if (this.db.inTransaction) this.db.transaction(fn);
    else this.db.handle.transaction(fn)();
  }

  // --- TransactionMemory ---

  mark(): ProjectionMark {
    return { journal: this.projection.journalMark(), through: this.through, loaded: this.loaded };
  }

  rollbackTo(mark: unknown): void {
    const m = mark as ProjectionMark;
    if (this.loaded && !m.loaded) {
      // Built inside the transaction that rolled back: it may hold that transaction's effects. Built again on next use.
      this.projection.clear();
      this.loaded = false;
    } else this.projection.rollbackTo(m.journal);
    this.through = m.through;
  }

  committed(): void {
    this.projection.forgetJournal();
  }

  // --- ProjectionBacking: the checkpoint tables ---

  readUse(tid: string): UseEntry | undefined {
    return this.getUse().get(tid) as UseEntry | undefined;
  }

  readPresence(subject: string, zone: string): PresenceEntry | undefined {
    const r = this.getPresence().get(subject, zone) as PresenceEntry | undefined;
    return r ? { inside: r.inside ? 1 : 0, ts: r.ts, seq: r.seq } : undefined;
  }

  evictUse(tid: string, e: UseEntry): void {
    this.putUse().run(tid, e.uses, e.ts, e.seq);
  }

  evictPresence(subject: string, zone: string, p: PresenceEntry): void {
    this.putPresence().run(subject, zone, p.inside, p.ts, p.seq);
  }
}
