// Enrolled face templates and the enrollment log (tables prefixed enroll_): sealed blobs and references
// only; sealing, keys and matching are gateway/face's.
import type { PreparedStatement, StoreDatabase } from './database.js';
import type { MigrationStep } from './migrations.js';

export const ENROLLMENT_STEPS: readonly MigrationStep[] = [
  // 1: once created by the enrollment store on start; IF NOT EXISTS adopts the tables of files made that way
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS enroll_templates (
        person_ref TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        template BLOB NOT NULL,
        label BLOB,
        photos_used INTEGER NOT NULL,
        consent_version TEXT NOT NULL,
        consent_purpose TEXT NOT NULL,
        consent_by TEXT NOT NULL,
        consent_at INTEGER NOT NULL,
        enrolled_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS enroll_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        action TEXT NOT NULL,
        by TEXT NOT NULL,
        entry_tag TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
      );
    `);
  },
];

export interface SealedTemplateRow {
  person_ref: string;
  key_id: string;
  template: Buffer;
}

export interface EnrolledRow {
  person_ref: string;
  enrolled_at: number;
  consent_version: string;
  photos_used: number;
}

export interface TemplateWrite {
  ref: string;
  keyId: string;
  template: Buffer;
  label: Buffer | null;
  photos: number;
  version: string;
  purpose: string;
  by: string;
  consentAt: number;
  now: number;
}

export interface EnrollLogEntry {
  ts: number;
  action: 'enroll' | 're-enroll' | 'delete';
  by: string;
  entryTag: string;
  detail: string;
}

export class EnrollmentRepository {
  private readonly s: Record<'all' | 'list' | 'label' | 'exists' | 'upsert' | 'remove' | 'log', PreparedStatement>;

  constructor(private readonly db: StoreDatabase) {
    this.s = {
      all: db.statement('SELECT person_ref, key_id, template FROM enroll_templates'),
      list: db.statement(
        'SELECT person_ref, enrolled_at, consent_version, photos_used FROM enroll_templates ORDER BY enrolled_at, person_ref',
      ),
      label: db.statement('SELECT label FROM enroll_templates WHERE person_ref = ?'),
      exists: db.statement('SELECT 1 FROM enroll_templates WHERE person_ref = ?'),
      upsert: db.statement(
        `INSERT INTO enroll_templates (person_ref, key_id, template, label, photos_used, consent_version, consent_purpose, consent_by, consent_at, enrolled_at)
         VALUES (@ref, @keyId, @template, @label, @photos, @version, @purpose, @by, @consentAt, @now)
         ON CONFLICT (person_ref) DO UPDATE SET key_id = excluded.key_id, template = excluded.template, label = excluded.label,
           photos_used = excluded.photos_used, consent_version = excluded.consent_version, consent_purpose = excluded.consent_purpose,
           consent_by = excluded.consent_by, consent_at = excluded.consent_at, enrolled_at = excluded.enrolled_at`,
      ),
      remove: db.statement('DELETE FROM enroll_templates WHERE person_ref = ?'),
      log: db.statement('INSERT INTO enroll_log (ts, action, by, entry_tag, detail) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  templates(): SealedTemplateRow[] {
    return this.s.all().all() as SealedTemplateRow[];
  }

  list(): EnrolledRow[] {
    return this.s.list().all() as EnrolledRow[];
  }

  sealedLabel(personRef: string): Buffer | null {
    const row = this.s.label().get(personRef) as { label: Buffer | null } | undefined;
    return row?.label ?? null;
  }

  /** Stores (or replaces) a template and logs it in one transaction; returns whether one was there before. */
  put(w: TemplateWrite, log: (existed: boolean) => EnrollLogEntry): boolean {
    return this.db.handle.transaction(() => {
      const existed = this.s.exists().get(w.ref) !== undefined;
      this.s.upsert().run(w);
      this.appendLog(log(existed));
      return existed;
    })();
  }

  /** Removes a template and logs it in one transaction; false when there was none. */
  remove(personRef: string, log: () => EnrollLogEntry): boolean {
    return this.db.handle.transaction(() => {
      const changes = this.s.remove().run(personRef).changes;
      if (changes) this.appendLog(log());
      return changes > 0;
    })();
  }

  private appendLog(e: EnrollLogEntry): void {
    this.s.log().run(e.ts, e.action, e.by, e.entryTag, e.detail);
  }
}
