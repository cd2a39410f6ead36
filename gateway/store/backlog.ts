// Writes the event log owes: alarms raised, passages seen, operator acknowledgements and timed-out grants
// (with their ticket-use refunds) that happened while the store could not be written. Kept in memory,
// bounded, and written in order once the store is back, so an outage delays them instead of losing them.

/** One owed write; `run` executes inside a store transaction and throws if it cannot be written. */
export interface OwedWrite {
  /** A fixed label for logs and metrics (never personal data): 'alarm', 'passage', 'timeout' ... */
  what: string;
  run: () => void;
}

export class LogBacklog {
  private queue: OwedWrite[] = [];
  /** Owed writes dropped because the backlog was full (oldest first), since the last replay reported them. */
  dropped = 0;

  constructor(private readonly capacity = 10_000) {}

  get size(): number {
    return this.queue.length;
  }

  owe(write: OwedWrite): void {
    this.queue.push(write);
    if (this.queue.length > this.capacity) {
      this.queue.shift();
      this.dropped += 1;
    }
  }

  /**
   * Writes what is owed, oldest first, each in its own transaction via `inTransaction`; stops at the first
   * that fails because the store went away again (`isOutage`) and keeps it and the rest for the next replay.
   * A write that fails for any other reason would fail forever: it is dropped and counted, not retried.
   */
  replay(
    inTransaction: (fn: () => void) => void,
    isOutage: (err: unknown) => boolean,
  ): { written: number; left: number; failed?: unknown } {
    let written = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      try {
        inTransaction(next.run);
      } catch (failed) {
        if (isOutage(failed)) return { written, left: this.queue.length, failed };
        this.queue.shift();
        this.dropped += 1;
        continue;
      }
      this.queue.shift();
      written += 1;
    }
    return { written, left: 0 };
  }
}
