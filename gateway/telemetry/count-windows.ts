// The SQLite side of counts aggregation: the open window lives in `tel_window` and is updated inside the
// transaction that commits each event, so a kill -9 loses nothing and counts nothing twice. A window is
// closed into the outbox by the first event at or after its end (same transaction) or by closeDue() from a
// timer (its own transaction) when no event comes.
//
// Window keys must never repeat: the collector overwrites by (site, gate, lane, windowStart). So a closed
// window is never reopened. `window_floor` remembers where the last closed window ended, and a new window
// starts no earlier than that. When the wall clock steps back, events count into the window that is open
// (delayed in time, never lost); a window cut short by stop() is followed by one starting at the cut.
import type { CountWindowRepository } from '../store/telemetry-repo.js';
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
    private readonly repo: CountWindowRepository,
    private readonly outbox: Outbox,
    private readonly opts: CountWindowsOptions,
  ) {}

  /**
   * Runs inside the event's own write transaction (EventStore.onCommitInTransaction), on every event.
   * Returns whether it closed a window into the outbox (then, and only then, there is something to publish).
   */
  onCommittedEvent(ev: StoredEvent): { closed: boolean } {
    // Most events (allows, timeouts) change no count: their window is known without parsing its tally.
    const row = this.repo.open();
    if (row && ev.ts < row.window_end && !countsEvent(ev)) return { closed: false };
    let open = this.readOpen();
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
    this.repo.clearOpen();
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
    this.repo.setFloor(end);
    this.repo.clearOpen();
  }

  private floor(): number {
    return this.repo.floor();
  }

  private readOpen(): OpenWindow | null {
    const row = this.repo.open();
    return row ? { start: row.window_start, end: row.window_end, tally: JSON.parse(row.tally) as WindowTally } : null;
  }

  private writeOpen(w: OpenWindow): void {
    this.repo.setOpen(w.start, w.end, JSON.stringify(w.tally));
  }
}
