// Every read of the entry log by a person or an integration is itself recorded (Decree 13/2023):
// who, when, what filter, how many rows. The filter never holds a raw ID: searches by ID are hashed first.
import type { PreparedStatement, StoreDatabase } from './database.js';
import type { MigrationStep } from './migrations.js';

export const AUDIT_STEPS: readonly MigrationStep[] = [
  // 1: once the event log's second step; IF NOT EXISTS adopts the table of files made by it
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        filter TEXT NOT NULL DEFAULT '{}',
        rows INTEGER NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL DEFAULT 'ok'
      );
      CREATE INDEX IF NOT EXISTS audit_ts ON audit_log (ts);
    `);
  },
];

export interface AuditEntry {
  seq: number;
  ts: number;
  actor: string;
  role: string;
  action: string;
  filter: Record<string, unknown>;
  rows: number;
  outcome: string;
}

export class AuditLog {
  private readonly insert: PreparedStatement;
  private readonly page: PreparedStatement;

  constructor(
    db: StoreDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.statement(
      'INSERT INTO audit_log (ts, actor, role, action, filter, rows, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.page = db.statement('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?');
  }

  record(e: {
    actor: string;
    role: string;
    action: string;
    filter?: Record<string, unknown>;
    rows?: number;
    outcome?: string;
  }): void {
    this.insert().run(
      this.now(),
      e.actor.slice(0, 80),
      e.role,
      e.action,
      JSON.stringify(e.filter ?? {}),
      e.rows ?? 0,
      e.outcome ?? 'ok',
    );
  }

  list(opts: { beforeSeq?: number; limit: number }): AuditEntry[] {
    const rows = this.page().all(opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, Math.min(opts.limit, 500)) as Array<
      Omit<AuditEntry, 'filter'> & { filter: string }
    >;
    return rows.map((r) => ({ ...r, filter: JSON.parse(r.filter) as Record<string, unknown> }));
  }
}
