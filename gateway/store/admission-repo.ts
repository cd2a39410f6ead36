// What admission policy remembers between decisions: how often each ticket was used, and who is inside which
// zone (anti-passback). Read by the decision before it is made and written inside the decision's own
// transaction (one call per decision, recordGrant), so the decision and its side effects land together.
// Kept behind these few calls so they can become in-memory projections rebuilt from the log (issue #14).
import type { PreparedStatement, StoreDatabase } from './database.js';
import type { MigrationStep } from './migrations.js';

export const ADMISSION_STEPS: readonly MigrationStep[] = [
  // 1: once in the event log's first step; IF NOT EXISTS adopts the tables of files made by it
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ticket_uses (tid TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_ts INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS presence (subject TEXT NOT NULL, zone TEXT NOT NULL, inside INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (subject, zone));
    `);
  },
];

export interface PresenceMark {
  inside: number;
  ts: number;
}

/** What an allowed decision changes: a ticket's use (entries only) and a subject's place in a zone. */
export interface GrantWrites {
  ts: number;
  /** Counted as used once more. */
  tid?: string;
  presence?: { subject: string; zone: string; inside: boolean };
}

/** How to undo a grant nobody used: the use refunded, the presence mark put back as it was. */
export interface GrantUndo {
  ts: number;
  tid?: string;
  presence?: { subject: string; zone: string; inside: boolean };
}

export class AdmissionRepository {
  private readonly getUses: PreparedStatement;
  private readonly bumpUses: PreparedStatement;
  private readonly refundUse: PreparedStatement;
  private readonly getPresence: PreparedStatement;
  private readonly setPresence: PreparedStatement;

  constructor(db: StoreDatabase) {
    this.getUses = db.statement('SELECT uses FROM ticket_uses WHERE tid = ?', { pluck: true });
    this.bumpUses = db.statement(
      'INSERT INTO ticket_uses (tid, uses, last_ts) VALUES (?, 1, ?) ON CONFLICT(tid) DO UPDATE SET uses = uses + 1, last_ts = excluded.last_ts',
    );
    this.refundUse = db.statement('UPDATE ticket_uses SET uses = max(uses - 1, 0) WHERE tid = ?');
    this.getPresence = db.statement('SELECT inside, ts FROM presence WHERE subject = ? AND zone = ?');
    this.setPresence = db.statement(
      'INSERT INTO presence (subject, zone, inside, ts) VALUES (?, ?, ?, ?) ON CONFLICT(subject, zone) DO UPDATE SET inside = excluded.inside, ts = excluded.ts',
    );
  }

  ticketUses(tid: string): number {
    return (this.getUses().get(tid) as number | undefined) ?? 0;
  }

  presence(subject: string, zone: string): PresenceMark | undefined {
    return this.getPresence().get(subject, zone) as PresenceMark | undefined;
  }

  /** Call inside the decision's transaction. */
  recordGrant(w: GrantWrites): void {
    if (w.tid) this.bumpUses().run(w.tid, w.ts);
    if (w.presence) this.setPresence().run(w.presence.subject, w.presence.zone, w.presence.inside ? 1 : 0, w.ts);
  }

  /** Call inside the timeout's transaction. */
  revertGrant(u: GrantUndo): void {
    if (u.tid) this.refundUse().run(u.tid);
    if (u.presence) this.setPresence().run(u.presence.subject, u.presence.zone, u.presence.inside ? 1 : 0, u.ts);
  }
}
