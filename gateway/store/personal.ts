// Personal fields that a site chose to keep (name, full ID): AES-256-GCM at rest with a key from outside the
// repository and a key id for rotation; never in the hash chain, purged when their retention ends.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { PreparedStatement, StoreDatabase } from './database.js';
import type { MigrationStep } from './migrations.js';
import type { PersonalFields } from './types.js';

export const PERSONAL_STEPS: readonly MigrationStep[] = [
  // 1: once in the event log's first step; IF NOT EXISTS adopts the table of files made by it
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS event_personal (
        event_id TEXT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        key_id TEXT NOT NULL,
        blob BLOB NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS event_personal_expiry ON event_personal (expires_at);
    `);
  },
];

export class PersonalVault {
  private readonly key: Buffer;
  /** Runs inside every decision that keeps fields: compiled once per connection, not per decision. */
  private readonly insert: PreparedStatement;
  private readonly byEvent: PreparedStatement;
  private readonly purge: PreparedStatement;
  constructor(
    private readonly db: StoreDatabase,
    rawKey: Buffer,
    readonly keyId: string,
    private readonly retentionMs: number,
  ) {
    // Accept any length of secret material; derive exactly 32 bytes for AES-256.
    this.key = rawKey.length === 32 ? rawKey : createHash('sha256').update(rawKey).digest();
    this.insert = db.statement('INSERT INTO event_personal (event_id, key_id, blob, expires_at) VALUES (?, ?, ?, ?)');
    this.byEvent = db.statement('SELECT key_id, blob FROM event_personal WHERE event_id = ?');
    this.purge = db.statement('DELETE FROM event_personal WHERE expires_at <= ?');
  }

  /** Call inside the event's transaction so the fields land with their event or not at all. */
  put(eventId: string, fields: PersonalFields, now: number): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(eventId));
    const ct = Buffer.concat([cipher.update(JSON.stringify(fields), 'utf8'), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), ct]);
    this.insert().run(eventId, this.keyId, blob, now + this.retentionMs);
  }

  /** Decrypts one event's fields; the caller audits the read. null when purged or never kept. */
  get(eventId: string): PersonalFields | null {
    const row = this.byEvent().get(eventId) as { key_id: string; blob: Buffer } | undefined;
    if (!row) return null;
    if (row.key_id !== this.keyId)
      throw new Error(`personal fields encrypted with key ${row.key_id}, this gateway holds ${this.keyId}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, row.blob.subarray(0, 12));
    decipher.setAAD(Buffer.from(eventId));
    decipher.setAuthTag(row.blob.subarray(12, 28));
    const pt = Buffer.concat([decipher.update(row.blob.subarray(28)), decipher.final()]);
    return JSON.parse(pt.toString('utf8')) as PersonalFields;
  }

  /** Removes expired records; the WAL is folded in and truncated so no copy of the old pages outlives the purge. */
  purgeExpired(now: number): number {
    const removed = this.purge().run(now).changes;
    if (removed > 0) this.db.checkpointTruncate();
    return removed;
  }
}
