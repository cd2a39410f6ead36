// Every read of the entry log by a person or an integration is itself recorded (Decree 13/2023):
// who, when, what filter, how many rows. The filter never holds a raw ID: searches by ID are hashed first.
import type { Database } from 'better-sqlite3';

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
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  record(e: {
    actor: string;
    role: string;
    action: string;
    filter?: Record<string, unknown>;
    rows?: number;
    outcome?: string;
  }): void {
    this.db
      .prepare('INSERT INTO audit_log (ts, actor, role, action, filter, rows, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(
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
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?')
      .all(opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, Math.min(opts.limit, 500)) as Array<
      Omit<AuditEntry, 'filter'> & { filter: string }
    >;
    return rows.map((r) => ({ ...r, filter: JSON.parse(r.filter) as Record<string, unknown> }));
  }
}
