// The outbox: closed count windows and alarms, in the order they were queued, waiting for a PUBACK.
// A row is marked sent only when the broker acknowledged exactly that revision of it (see `rev`), so a row
// that changed while in flight is sent again. Capacity (mqtt.outboxMax) counts all rows; sent rows are
// pruned first. Counts are never dropped:
//   - at >= 90 % unsent the feature raises 'outbox-filling' (see fillLevel);
//   - at 100 % a newly closed window is folded into the newest unsent window (mergeCounts): its end moves,
//     counts add up, so totals stay exact and only time resolution is lost;
//   - at 100 % a new alarm is not queued (it stays in the local event log); the drop is counted and logged.
// Runs of empty windows queued during an outage are folded the same way, so a week offline costs one row.
import type { GatePayload } from '../../contracts/topics.js';
import type { OutboxEntry, OutboxRepository } from '../store/telemetry-repo.js';
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

export type OutboxRow = OutboxEntry;

export interface ClosedWindow {
  site: string;
  gate: string;
  bootId: string;
  windowStart: number;
  windowEnd: number;
  tally: WindowTally;
}

export type CountsOutcome = { queued: 'new'; seq: number } | { queued: 'merged'; intoSeq: number };

export class Outbox {
  constructor(
    private readonly repo: OutboxRepository,
    readonly capacity: number,
    private readonly disclosure: CountsDisclosure,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues a closed window; must run inside the caller's write transaction (the one that closed it). */
  addCounts(w: ClosedWindow): CountsOutcome {
    const empty = isEmptyTally(w.tally);
    const newest = this.repo.newestUnsentCounts();
    const full = this.depth() >= this.capacity;
    const joinsEmptyRun = empty && newest?.empty === 1 && newest.window_end === w.windowStart;
    if (newest && (full || joinsEmptyRun)) {
      const earlier = JSON.parse(newest.payload) as CountsPayload;
      const merged = mergeCounts(
        earlier,
        toCountsPayload({ ...w, seq: earlier.seq }, w.tally, this.disclosure),
        this.disclosure,
      );
      this.repo.rewriteCounts(newest.id, JSON.stringify(merged), empty && newest.empty === 1, merged.windowEnd);
      return { queued: 'merged', intoSeq: earlier.seq };
    }
    const seq = this.nextCountsSeq();
    const payload = toCountsPayload({ ...w, seq }, w.tally, this.disclosure);
    this.repo.addCounts(JSON.stringify(payload), empty, w.windowStart, w.windowEnd, this.now());
    this.pruneSent();
    return { queued: 'new', seq };
  }

  /** Queues an alarm in its own transaction (or the caller's); refused only when the outbox is full of unsent rows. */
  addAlarm(alarm: AlarmPayload): 'queued' | 'full' {
    if (this.depth() >= this.capacity) return 'full';
    this.repo.addAlarm(JSON.stringify(alarm), this.now());
    this.pruneSent();
    return 'queued';
  }

  /** The oldest unsent rows, in queue order. */
  unsent(limit: number): OutboxRow[] {
    return this.repo.unsent(limit);
  }

  /** Marks a row sent if it still holds the acknowledged revision; false means it changed and goes out again. */
  markSent(id: number, rev: number): boolean {
    return this.repo.markSent(id, rev, this.now());
  }

  /** Unsent rows. */
  depth(): number {
    return this.repo.depth();
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
    return this.repo.requeueCountsSince(since);
  }

  private nextCountsSeq(): number {
    const seq = (this.repo.counter('counts_seq') ?? 0) + 1;
    this.repo.setCounter('counts_seq', seq);
    return seq;
  }

  /** Keeps the table within capacity by removing the oldest rows the broker already acknowledged. */
  private pruneSent(): void {
    const excess = this.repo.rows() - this.capacity;
    if (excess <= 0) return;
    this.repo.pruneSent(excess);
  }
}
