// Retention of the event log by age and by size. Only the oldest events go, and the chain anchor moves to the
// last removed one, so `gate06 log verify` still accepts the rest; a gap in the middle would still show.
import type { PreparedStatement, StoreDatabase } from './database.js';

export interface RetentionLimits {
  maxAgeMs: number;
  maxBytes: number;
}

export class EventRetention {
  private readonly lastThrough: PreparedStatement;
  private readonly deleteThrough: PreparedStatement;
  private readonly setAnchor: PreparedStatement;
  private readonly newestBefore: PreparedStatement;
  private readonly count: PreparedStatement;
  private readonly seqAtOffset: PreparedStatement;

  constructor(
    private readonly db: StoreDatabase,
    private readonly now: () => number,
    /**
     * Runs in the purge's transaction before events go: the admission projections' checkpoint, so the use
     * counts and presence marks of purged events stay in the tables the next boot starts from.
     */
    private readonly beforePurge: () => void = () => {},
  ) {
    this.lastThrough = db.statement('SELECT seq, hash FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1');
    this.deleteThrough = db.statement('DELETE FROM events WHERE seq <= ?');
    this.setAnchor = db.statement(
      "INSERT INTO meta (key, value) VALUES ('chain_anchor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    this.newestBefore = db.statement('SELECT max(seq) AS seq FROM events WHERE ts < ?');
    this.count = db.statement('SELECT count(*) AS n FROM events');
    this.seqAtOffset = db.statement('SELECT seq FROM events ORDER BY seq ASC LIMIT 1 OFFSET ?');
  }

  /** Removes events older than maxAgeMs, then the oldest tenth at a time while the file is above maxBytes. */
  apply(limits: RetentionLimits): { removed: number } {
    const { db } = this;
    let removed = 0;
    const cutoff = this.now() - limits.maxAgeMs;
    const pruneThrough = (seq: number): number =>
      db.transaction(() => {
        const last = this.lastThrough().get(seq) as { seq: number; hash: string } | undefined;
        if (!last) return 0;
        this.beforePurge();
        const info = this.deleteThrough().run(last.seq);
        this.setAnchor().run(JSON.stringify(last));
        return info.changes;
      });
    const oldAge = this.newestBefore().get(cutoff) as { seq: number | null };
    if (oldAge.seq !== null) removed += pruneThrough(oldAge.seq);
    for (let guard = 0; guard < 20 && db.sizeBytes() > limits.maxBytes; guard++) {
      const total = (this.count().get() as { n: number }).n;
      if (total === 0) break;
      const tenth = this.seqAtOffset().get(Math.max(0, Math.floor(total / 10))) as { seq: number };
      removed += pruneThrough(tenth.seq);
      db.compact();
    }
    if (removed > 0) db.compact();
    db.boundWal();
    return { removed };
  }
}
