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
   * Writes what is owed, oldest first, `batchSize` at a time in one transaction via `inTransaction`, each write
   * nested in its own (a savepoint), so a long outage's backlog costs a few commits instead of one per write.
   * Stops at the first write that fails because the store went away again (`isOutage`): its whole batch rolls
   * back and stays owed with the rest, for the next replay. A write that fails for any other reason would fail
   * forever: only its savepoint rolls back, and it is dropped and counted, not retried.
   */
  replay(
    inTransaction: (fn: () => void) => void,
    isOutage: (err: unknown) => boolean,
    batchSize = 256,
  ): { written: number; left: number; failed?: unknown } {
    let written = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, batchSize);
      let batchWritten = 0;
      let batchDropped = 0;
      try {
        inTransaction(() => {
          batchWritten = 0;
          batchDropped = 0;
          for (const write of batch) {
            try {
              inTransaction(write.run);
              batchWritten += 1;
            } catch (failed) {
              if (isOutage(failed)) throw failed;
              batchDropped += 1;
            }
          }
        });
      } catch (failed) {
        // The outer transaction rolled back (an outage inside it, or at its commit): nothing of it was written.
        return { written, left: this.queue.length, failed };
      }
      this.queue.splice(0, batch.length);
      this.dropped += batchDropped;
      written += batchWritten;
    }
    return { written, left: 0 };
  }
}
