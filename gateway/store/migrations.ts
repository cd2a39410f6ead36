// The one migration runner of the gateway database. Each owner of tables (the event log and every feature
// repository) registers its own ordered steps (gateway/store/schema.ts lists them); the runner applies the
// steps a file has not had yet, each in its own transaction, and records how far each owner got.
// Never edit a shipped step: add a new one.
//
// Where versions are kept: the event log's in PRAGMA user_version, as every shipped file has it (and an
// older gateway reads it to refuse a newer file); every other owner's in the `schema_versions` table.
// Owners whose tables older gateways created without a recorded version start with CREATE ... IF NOT EXISTS,
// so such a file adopts its tables as they are.
import type { Database } from 'better-sqlite3';

export type MigrationStep = (db: Database) => void;

export interface FeatureMigrations {
  /** A short fixed name ('event-log', 'telemetry', ...): the key of its version. */
  feature: string;
  steps: readonly MigrationStep[];
}

/** The owner whose version is PRAGMA user_version (see the head of this file). */
export const EVENT_LOG_FEATURE = 'event-log';

function versionOf(db: Database, feature: string): number {
  if (feature === EVENT_LOG_FEATURE) return db.pragma('user_version', { simple: true }) as number;
  const row = db.prepare('SELECT version FROM schema_versions WHERE feature = ?').get(feature) as
    | { version: number }
    | undefined;
  return row?.version ?? 0;
}

function recordVersion(db: Database, feature: string, version: number): void {
  if (feature === EVENT_LOG_FEATURE) db.pragma(`user_version = ${version}`);
  else
    db.prepare(
      'INSERT INTO schema_versions (feature, version) VALUES (?, ?) ON CONFLICT(feature) DO UPDATE SET version = excluded.version',
    ).run(feature, version);
}

/** Brings every owner's tables up to date, in the order given; returns the steps applied per owner. */
export function migrate(
  db: Database,
  owners: readonly FeatureMigrations[],
): Record<string, { from: number; to: number }> {
  const applied: Record<string, { from: number; to: number }> = {};
  const seen = new Set<string>();
  for (const { feature, steps } of owners) {
    if (seen.has(feature)) throw new Error(`migrations for ${feature} registered twice`);
    seen.add(feature);
    if (feature !== EVENT_LOG_FEATURE)
      db.exec('CREATE TABLE IF NOT EXISTS schema_versions (feature TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    const from = versionOf(db, feature);
    if (from > steps.length) {
      throw new Error(
        `database schema of ${feature} is ${from}, newer than this gateway (${steps.length}); refusing to downgrade`,
      );
    }
    for (let v = from; v < steps.length; v++) {
      db.transaction(() => {
        steps[v]!(db);
        recordVersion(db, feature, v + 1);
      })();
    }
    applied[feature] = { from, to: steps.length };
  }
  return applied;
}
