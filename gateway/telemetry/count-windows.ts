// The SQLite side of counts aggregation: the open window lives in `tel_window` and is updated inside the
// transaction that commits each event, so a kill -9 loses nothing and counts nothing twice. A window is
// closed into the outbox by the first event at or after its end (same transaction) or by closeDue() from a
// timer (its own transaction) when no event comes.
//
// Window keys must never repeat: the collector overwrites by (site, gate, lane, windowStart). So a closed
// window is never reopened. `window_floor` remembers where the last closed window ended, and a new window
// starts no earlier than that. When the wall clock steps back, events count into the window that is open
// (delayed in time, never lost); a window cut short by stop() is followed by one starting at the cut.
import type { Database, Statement } from 'better-sqlite3';
import type { StoredEvent } from '../store/types.js';
import { countsEvent, emptyTally, tallyEvent, type WindowTally, windowStartFor } from './counts.js';
import type { Outbox } from './outbox.js';

export interface CountWindowsOptions {
  site: string;
  gate: string;
  bootId: string;
  windowMs: number;
  zoneOfLane: (lane: string) => string | undefined;
}

interface OpenWindow {
  start: number;
  end: number;
  tally: WindowTally;
}

export class CountWindows {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly opts: CountWindowsOptions,
  ) {}

  init(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS tel_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS tel_window (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        window_start INTEGER NOT NULL,
        window_end INTEGER NOT NULL,
        tally TEXT NOT NULL
      );
    `);
  }

  /**
   * Runs inside the event's own write transaction (EventStore.onCommitInTransaction), on every event.
   * Returns whether it closed a window into the outbox (then, and only then, there is something to publish).
   */
  onCommittedEvent(ev: StoredEvent): { closed: boolean } {
    let open = this.readOpen();
    if (open && ev.ts < open.end && !countsEvent(ev)) return { closed: false };
    let closed = false;
    if (open && ev.ts >= open.end) {
      this.close(open, open.end);
      open = null;
      closed = true;
    }
    open ??= this.windowAt(ev.ts);
    this.writeOpen({ ...open, tally: tallyEvent(open.tally, ev, this.opts.zoneOfLane) });
    return { closed };
  }

  /** Closes the open window if its end has passed and opens the next; call inside a write transaction. */
  closeDue(now: number): { closed: boolean } {
    const open = this.readOpen();
    if (!open) {
      this.writeOpen(this.windowAt(now));
      return { closed: false };
    }
    if (now < open.end) return { closed: false };
    this.close(open, open.end);
    this.writeOpen(this.windowAt(Math.max(now, open.end)));
    return { closed: true };
  }

  /** On stop: closes the open window at `now` so its counts go out before shutdown. */
  closeEarly(now: number): { closed: boolean } {
    const open = this.readOpen();
    if (!open || now <= open.start) return { closed: false };
    this.close(open, Math.min(now, open.end));
    this.db.prepare('DELETE FROM tel_window WHERE id = 1').run();
    return { closed: true };
  }

  /** The open window's start and end, for health and tests. */
  openWindow(): { start: number; end: number } | null {
    const o = this.readOpen();
    return o && { start: o.start, end: o.end };
  }

  private windowAt(ts: number): OpenWindow {
    const floor = this.floor();
    const base = Math.max(ts, floor);
    const aligned = windowStartFor(base, this.opts.windowMs);
    return { start: Math.max(aligned, floor), end: aligned + this.opts.windowMs, tally: emptyTally() };
  }

  private close(open: OpenWindow, end: number): void {
    const { site, gate, bootId } = this.opts;
    this.outbox.addCounts({ site, gate, bootId, windowStart: open.start, windowEnd: end, tally: open.tally });
    this.db
      .prepare(
        "INSERT INTO tel_meta (key, value) VALUES ('window_floor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(end);
    this.db.prepare('DELETE FROM tel_window WHERE id = 1').run();
  }

  private floor(): number {
    const row = this.db.prepare("SELECT value FROM tel_meta WHERE key = 'window_floor'").get() as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }

  /** The two statements every event runs, compiled once (init() must have created their table). */
  private perEvent?: { read: Statement; write: Statement };
  private get statements(): { read: Statement; write: Statement } {
    this.perEvent ??= {
      read: this.db.prepare('SELECT window_start, window_end, tally FROM tel_window WHERE id = 1'),
      write: this.db.prepare(
        `INSERT INTO tel_window (id, window_start, window_end, tally) VALUES (1, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end, tally = excluded.tally`,
      ),
    };
    return this.perEvent;
  }

  private readOpen(): OpenWindow | null {
    const row = this.statements.read.get() as { window_start: number; window_end: number; tally: string } | undefined;
    return row ? { start: row.window_start, end: row.window_end, tally: JSON.parse(row.tally) as WindowTally } : null;
  }

  private writeOpen(w: OpenWindow): void {
    this.statements.write.run(w.start, w.end, JSON.stringify(w.tally));
  }
}
