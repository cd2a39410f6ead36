// The outbox: closed count windows and alarms, in the order they were queued, waiting for a PUBACK.
// A row is marked sent only when the broker acknowledged exactly that revision of it (see `rev`), so a row
// that changed while in flight is sent again. Capacity (mqtt.outboxMax) counts all rows; sent rows are
// pruned first. Counts are never dropped:
//   - at >= 90 % unsent the feature raises 'outbox-filling' (see fillLevel);
//   - at 100 % a newly closed window is folded into the newest unsent window (mergeCounts): its end moves,
//     counts add up, so totals stay exact and only time resolution is lost;
//   - at 100 % a new alarm is not queued (it stays in the local event log); the drop is counted and logged.
// Runs of empty windows queued during an outage are folded the same way, so a week offline costs one row.
import type { Database } from 'better-sqlite3';
import type { GatePayload } from '../../contracts/topics.js';
import {
  type CountsDisclosure,
  type CountsPayload,
  isEmptyTally,
  mergeCounts,
  toCountsPayload,
  type WindowTally,
} from './counts.js';

export type OutboxTopic = 'counts' | 'alarms';
export type AlarmPayload = GatePayload<'alarms'>;

export interface OutboxRow {
  id: number;
  topic: OutboxTopic;
  payload: string;
  /** bumped when the row's payload changes; markSent must name the revision that was acknowledged */
  rev: number;
}

export interface ClosedWindow {
  site: string;
  gate: string;
  bootId: string;
  windowStart: number;
  windowEnd: number;
  tally: WindowTally;
}

export type CountsOutcome = { queued: 'new'; seq: number } | { queued: 'merged'; intoSeq: number };

interface Row {
  id: number;
  topic: OutboxTopic;
  payload: string;
  rev: number;
  empty: number;
  window_end: number | null;
}

export class Outbox {
  constructor(
    private readonly db: Database,
    readonly capacity: number,
    private readonly disclosure: CountsDisclosure,
    private readonly now: () => number = Date.now,
  ) {}

  init(): void {
    this.db.exec(`
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
    `);
  }

  /** Queues a closed window; must run inside the caller's write transaction (the one that closed it). */
  addCounts(w: ClosedWindow): CountsOutcome {
    const empty = isEmptyTally(w.tally);
    const newest = this.db
      .prepare(
        "SELECT id, topic, payload, rev, empty, window_end FROM tel_outbox WHERE sent_at IS NULL AND topic = 'counts' ORDER BY id DESC LIMIT 1",
      )
      .get() as Row | undefined;
    const full = this.depth() >= this.capacity;
    const joinsEmptyRun = empty && newest?.empty === 1 && newest.window_end === w.windowStart;
    if (newest && (full || joinsEmptyRun)) {
      const earlier = JSON.parse(newest.payload) as CountsPayload;
      const merged = mergeCounts(
        earlier,
        toCountsPayload({ ...w, seq: earlier.seq }, w.tally, this.disclosure),
        this.disclosure,
      );
      this.db
        .prepare('UPDATE tel_outbox SET payload = ?, rev = rev + 1, empty = ?, window_end = ? WHERE id = ?')
        .run(JSON.stringify(merged), empty && newest.empty === 1 ? 1 : 0, merged.windowEnd, newest.id);
      return { queued: 'merged', intoSeq: earlier.seq };
    }
    const seq = this.nextCountsSeq();
    const payload = toCountsPayload({ ...w, seq }, w.tally, this.disclosure);
    this.db
      .prepare(
        "INSERT INTO tel_outbox (topic, payload, empty, window_start, window_end, created_at) VALUES ('counts', ?, ?, ?, ?, ?)",
      )
      .run(JSON.stringify(payload), empty ? 1 : 0, w.windowStart, w.windowEnd, this.now());
    this.pruneSent();
    return { queued: 'new', seq };
  }

  /** Queues an alarm in its own transaction (or the caller's); refused only when the outbox is full of unsent rows. */
  addAlarm(alarm: AlarmPayload): 'queued' | 'full' {
    if (this.depth() >= this.capacity) return 'full';
    this.db
      .prepare("INSERT INTO tel_outbox (topic, payload, created_at) VALUES ('alarms', ?, ?)")
      .run(JSON.stringify(alarm), this.now());
    this.pruneSent();
    return 'queued';
  }

  /** The oldest unsent rows, in queue order. */
  unsent(limit: number): OutboxRow[] {
    return this.db
      .prepare('SELECT id, topic, payload, rev FROM tel_outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?')
      .all(limit) as OutboxRow[];
  }

  /** Marks a row sent if it still holds the acknowledged revision; false means it changed and goes out again. */
  markSent(id: number, rev: number): boolean {
    return (
      this.db
        .prepare('UPDATE tel_outbox SET sent_at = ? WHERE id = ? AND rev = ? AND sent_at IS NULL')
        .run(this.now(), id, rev).changes === 1
    );
  }

  /** Unsent rows. */
  depth(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tel_outbox WHERE sent_at IS NULL').get() as { n: number }).n;
  }

  /** Unsent share of capacity, 0..1 (may pass 1 only in the corner where no window is left to merge into). */
  fillLevel(): number {
    return this.depth() / this.capacity;
  }

  /**
   * The IOC's `cmd/resend`: sent windows that started at or after `since` and are still kept go out again,
   * with the same payload (the collector overwrites by key). Returns how many were queued again.
   */
  requeueCountsSince(since: number): number {
    return this.db
      .prepare(
        "UPDATE tel_outbox SET sent_at = NULL WHERE topic = 'counts' AND sent_at IS NOT NULL AND window_start >= ?",
      )
      .run(since).changes;
  }

  private nextCountsSeq(): number {
    const row = this.db.prepare("SELECT value FROM tel_meta WHERE key = 'counts_seq'").get() as
      | { value: number }
      | undefined;
    const seq = (row?.value ?? 0) + 1;
    this.db
      .prepare(
        "INSERT INTO tel_meta (key, value) VALUES ('counts_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(seq);
    return seq;
  }

  /** Keeps the table within capacity by removing the oldest rows the broker already acknowledged. */
  private pruneSent(): void {
    const total = (this.db.prepare('SELECT count(*) AS n FROM tel_outbox').get() as { n: number }).n;
    const excess = total - this.capacity;
    if (excess <= 0) return;
    this.db
      .prepare(
        'DELETE FROM tel_outbox WHERE id IN (SELECT id FROM tel_outbox WHERE sent_at IS NOT NULL ORDER BY id LIMIT ?)',
      )
      .run(excess);
  }
}
