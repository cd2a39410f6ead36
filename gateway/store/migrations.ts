// Schema migrations for the gateway database, applied in order and recorded in PRAGMA user_version.
// Never edit a shipped step: add a new one. Feature modules that own tables (telemetry, enrollment)
// create theirs idempotently; these are the tables of the event log itself.
import type { Database } from 'better-sqlite3';

const STEPS: ReadonlyArray<(db: Database) => void> = [
  // 1: the event log, hash-chained; personal fields live in a separate table outside the chain
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        boot_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        lane TEXT,
        direction TEXT,
        credential TEXT,
        decision TEXT,
        reason TEXT,
        id_hash TEXT,
        id_masked TEXT,
        latency_ms REAL,
        ref_id TEXT,
        facts TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events (ts);
      CREATE INDEX events_lane_ts ON events (lane, ts);
      CREATE INDEX events_id_hash ON events (id_hash) WHERE id_hash IS NOT NULL;
      CREATE TABLE event_personal (
        event_id TEXT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        key_id TEXT NOT NULL,
        blob BLOB NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX event_personal_expiry ON event_personal (expires_at);
      CREATE TABLE ticket_uses (tid TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_ts INTEGER NOT NULL);
      CREATE TABLE presence (subject TEXT NOT NULL, zone TEXT NOT NULL, inside INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (subject, zone));
    `);
  },
  // 2: audit of every read of the log by a person (Decree 13: access to personal data is recorded)
  (db) => {
    db.exec(`
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        filter TEXT NOT NULL DEFAULT '{}',
        rows INTEGER NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL DEFAULT 'ok'
      );
      CREATE INDEX audit_ts ON audit_log (ts);
    `);
  },
];

export const SCHEMA_VERSION = STEPS.length;

export function migrate(db: Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new Error(`database schema ${from} is newer than this gateway (${SCHEMA_VERSION}); refusing to downgrade`);
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      STEPS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}
