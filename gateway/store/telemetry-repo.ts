// Telemetry's rows (tables prefixed tel_): the outbox of closed count windows and alarms waiting for a PUBACK,
// the open count window, the counters in tel_meta, and the ids of IOC commands already carried out. What goes
// in them and when is gateway/telemetry's; these are the statements.
import type { PreparedStatement, StoreDatabase, TransactionMemory } from './database.js';
import type { MigrationStep } from './migrations.js';

export const TELEMETRY_STEPS: readonly MigrationStep[] = [
  // 1: once created by the outbox and the count windows on start; IF NOT EXISTS adopts those tables
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS tel_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS tel_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        rev INTEGER NOT NULL DEFAULT 0,
        empty INTEGER NOT NULL DEFAULT 0,
        window_start INTEGER,
        window_end INTEGER,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS tel_outbox_unsent ON tel_outbox (id) WHERE sent_at IS NULL;
      CREATE TABLE IF NOT EXISTS tel_window (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        window_start INTEGER NOT NULL,
        window_end INTEGER NOT NULL,
        tally TEXT NOT NULL
      );
    `);
  },
];

export const COMMAND_ID_STEPS: readonly MigrationStep[] = [
  // 1: once created by the command inbox on start; IF NOT EXISTS adopts the table of files made that way
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS tel_cmd_seen (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS tel_cmd_seen_expiry ON tel_cmd_seen (expires_at);
    `);
  },
];

export interface OutboxEntry {
  id: number;
  topic: 'counts' | 'alarms';
  payload: string;
  rev: number;
}

export interface UnsentCountsRow extends OutboxEntry {
  empty: number;
  window_end: number | null;
}

export class OutboxRepository {
  private readonly s: Record<
    | 'newestCounts'
    | 'updateCounts'
    | 'insertCounts'
    | 'insertAlarm'
    | 'unsent'
    | 'markSent'
    | 'depth'
    | 'requeue'
    | 'counter'
    | 'setCounter'
    | 'total'
    | 'pruneSent',
    PreparedStatement
  >;

  constructor(db: StoreDatabase) {
    this.s = {
      newestCounts: db.statement(
        "SELECT id, topic, payload, rev, empty, window_end FROM tel_outbox WHERE sent_at IS NULL AND topic = 'counts' ORDER BY id DESC LIMIT 1",
      ),
      updateCounts: db.statement(
        'UPDATE tel_outbox SET payload = ?, rev = rev + 1, empty = ?, window_end = ? WHERE id = ?',
      ),
      insertCounts: db.statement(
        "INSERT INTO tel_outbox (topic, payload, empty, window_start, window_end, created_at) VALUES ('counts', ?, ?, ?, ?, ?)",
      ),
      insertAlarm: db.statement("INSERT INTO tel_outbox (topic, payload, created_at) VALUES ('alarms', ?, ?)"),
      unsent: db.statement('SELECT id, topic, payload, rev FROM tel_outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?'),
      markSent: db.statement('UPDATE tel_outbox SET sent_at = ? WHERE id = ? AND rev = ? AND sent_at IS NULL'),
      depth: db.statement('SELECT count(*) AS n FROM tel_outbox WHERE sent_at IS NULL', { pluck: true }),
      requeue: db.statement(
        "UPDATE tel_outbox SET sent_at = NULL WHERE topic = 'counts' AND sent_at IS NOT NULL AND window_start >= ?",
      ),
      counter: db.statement('SELECT value FROM tel_meta WHERE key = ?', { pluck: true }),
      setCounter: db.statement(
        'INSERT INTO tel_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      total: db.statement('SELECT count(*) AS n FROM tel_outbox', { pluck: true }),
      pruneSent: db.statement(
        'DELETE FROM tel_outbox WHERE id IN (SELECT id FROM tel_outbox WHERE sent_at IS NOT NULL ORDER BY id LIMIT ?)',
      ),
    };
  }

  /** The newest unsent counts row, the one a new window may be folded into. */
  newestUnsentCounts(): UnsentCountsRow | undefined {
    return this.s.newestCounts().get() as UnsentCountsRow | undefined;
  }

  /** Replaces a counts row's payload; its revision moves on, so a PUBACK for the old one no longer marks it sent. */
  rewriteCounts(id: number, payload: string, empty: boolean, windowEnd: number): void {
    this.s.updateCounts().run(payload, empty ? 1 : 0, windowEnd, id);
  }

  addCounts(payload: string, empty: boolean, windowStart: number, windowEnd: number, createdAt: number): void {
    this.s.insertCounts().run(payload, empty ? 1 : 0, windowStart, windowEnd, createdAt);
  }

  addAlarm(payload: string, createdAt: number): void {
    this.s.insertAlarm().run(payload, createdAt);
  }

  unsent(limit: number): OutboxEntry[] {
    return this.s.unsent().all(limit) as OutboxEntry[];
  }

  markSent(id: number, rev: number, at: number): boolean {
    return this.s.markSent().run(at, id, rev).changes === 1;
  }

  depth(): number {
    return this.s.depth().get() as number;
  }

  rows(): number {
    return this.s.total().get() as number;
  }

  requeueCountsSince(since: number): number {
    return this.s.requeue().run(since).changes;
  }

  /** A counter in tel_meta ('counts_seq', 'window_floor'); undefined when never set. */
  counter(key: string): number | undefined {
    return this.s.counter().get(key) as number | undefined;
  }

  setCounter(key: string, value: number): void {
    this.s.setCounter().run(key, value);
  }

  /** Removes up to `n` of the oldest rows the broker already acknowledged. */
  pruneSent(n: number): void {
    this.s.pruneSent().run(n);
  }
}

export interface OpenWindowRow {
  window_start: number;
  window_end: number;
  tally: string;
}

/** What the count-window repository knows of its two rows; replaced whole on every change (marks keep old ones). */
interface KnownWindowRows {
  open: OpenWindowRow | undefined;
  floor: number;
}

/**
 * The one open count window, read and written inside the transaction of every committed event. Both rows are
 * kept in memory as well (the database rolls them back with the transaction, and forgets them when the file is
 * opened again), so an event that does not change the counts reads nothing from the file (issue #14).
 */
export class CountWindowRepository implements TransactionMemory {
  private readonly read: PreparedStatement;
  private readonly write: PreparedStatement;
  private readonly clear: PreparedStatement;
  private readonly getFloor: PreparedStatement;
  private readonly putFloor: PreparedStatement;
  /** undefined: not read since the file was opened. */
  private known: KnownWindowRows | undefined;

  constructor(db: StoreDatabase) {
    this.getFloor = db.statement("SELECT value FROM tel_meta WHERE key = 'window_floor'", { pluck: true });
    this.putFloor = db.statement(
      "INSERT INTO tel_meta (key, value) VALUES ('window_floor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    this.read = db.statement('SELECT window_start, window_end, tally FROM tel_window WHERE id = 1');
    this.write = db.statement(
      `INSERT INTO tel_window (id, window_start, window_end, tally) VALUES (1, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end, tally = excluded.tally`,
    );
    this.clear = db.statement('DELETE FROM tel_window WHERE id = 1');
    db.keepsInMemory(this);
    db.onReopen(this, () => {
      this.known = undefined;
    });
  }

  mark(): KnownWindowRows | undefined {
    return this.known;
  }

  rollbackTo(mark: unknown): void {
    this.known = mark as KnownWindowRows | undefined;
  }

  committed(): void {}

  open(): OpenWindowRow | undefined {
    return this.rows().open;
  }

  setOpen(start: number, end: number, tally: string): void {
    const rows = this.rows();
    this.write().run(start, end, tally);
    this.known = { ...rows, open: { window_start: start, window_end: end, tally } };
  }

  clearOpen(): void {
    const rows = this.rows();
    this.clear().run();
    this.known = { ...rows, open: undefined };
  }

  /** Where the last closed window ended: no new window starts before it (window keys never repeat). */
  floor(): number {
    return this.rows().floor;
  }

  setFloor(end: number): void {
    const rows = this.rows();
    this.putFloor().run(end);
    this.known = { ...rows, floor: end };
  }

  private rows(): KnownWindowRows {
    this.known ??= {
      open: this.read().get() as OpenWindowRow | undefined,
      floor: (this.getFloor().get() as number | undefined) ?? 0,
    };
    return this.known;
  }
}

/** Ids of IOC commands already carried out, until they expire: a replayed command is refused. */
export class CommandIdRepository {
  private readonly forget: PreparedStatement;
  private readonly find: PreparedStatement;
  private readonly insert: PreparedStatement;

  constructor(private readonly db: StoreDatabase) {
    this.forget = db.statement('DELETE FROM tel_cmd_seen WHERE expires_at < ?');
    this.find = db.statement('SELECT 1 FROM tel_cmd_seen WHERE id = ?');
    this.insert = db.statement('INSERT OR IGNORE INTO tel_cmd_seen (id, expires_at) VALUES (?, ?)');
  }

  forgetExpired(now: number): void {
    this.forget().run(now);
  }

  known(id: string): boolean {
    return this.find().get(id) !== undefined;
  }

  /** Records the id; false if it is already known. */
  remember(id: string, expiresAt: number): boolean {
    return this.insert().run(id, expiresAt).changes === 1;
  }

  /** Writes back ids remembered in memory (after a re-open onto a new, empty file), in one transaction. */
  rememberAll(entries: ReadonlyArray<readonly [string, number]>): void {
    this.db.handle.transaction(() => {
      for (const [id, expiresAt] of entries) this.insert().run(id, expiresAt);
    })();
  }
}
