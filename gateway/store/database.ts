// The gateway's SQLite file: open and pragmas, the migration runner, group commit and transactions, the
// outage state (locked, full, gone, corrupt) and the re-open of a file deleted or replaced under the daemon.
// The only holder of the better-sqlite3 connection: the event log, retention and the feature repositories
// (all in gateway/store/) prepare their statements through it; nothing else touches the handle
// (scripts/check-imports.ts).
import { closeSync, mkdirSync, openSync, readSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type CheckpointStats, WalCheckpointer } from './checkpointer.js';
import { type FeatureMigrations, migrate } from './migrations.js';
import { checkSqliteHeader, SQLITE_HEADER_BYTES } from './sqlite-header.js';
import {
  classifyStoreError,
  errorText,
  isStoreUnavailable,
  type StoreProblem,
  StoreUnavailableError,
} from './store-errors.js';

export interface DatabaseOptions {
  path: string;
  /** 'normal' survives a process crash (kill -9) in WAL mode; 'full' also survives power loss at an fsync per commit. */
  synchronous?: 'normal' | 'full';
  walMaxMb?: number;
  now?: () => number;
  /**
   * Checkpoint the WAL on a worker thread every this many ms instead of inside commits (the daemon does;
   * short-lived CLI commands leave it to SQLite). Ignored for ':memory:'.
   */
  backgroundCheckpointMs?: number;
  /** Where a lost checkpoint worker is reported (SQLite's own autocheckpoint takes over). */
  onWarning?: (message: string) => void;
  /**
   * How long a write waits for another connection's lock. better-sqlite3 waits synchronously, so the whole
   * event loop stands still for up to this long: measured with a held lock, a write with busy_timeout 50,
   * 100, 200 and 2000 blocked the loop for 51, 101, 201 and 2023 ms (no timer ran meanwhile). The old
   * 2000 ms stalled every lane and request; now it is short (default 100) and, once a write has failed,
   * later ones fail at once and a timer probes with busy_timeout 0.
   */
  busyTimeoutMs?: number;
  /**
   * Run quick_check on the checkpoint worker's connection this often (0 or unset: never); damage found makes
   * the store unavailable with problem `corrupt`. Only with backgroundCheckpointMs.
   */
  quickCheckEveryMs?: number;
}

/** Why the store cannot be written right now, since when; null while it can. */
export interface StoreOutage {
  problem: StoreProblem;
  detail: string;
  since: number;
}

/** What the database's probe found; `lost` is the outage it ended (the event log records a re-open with it). */
export type DatabaseProbe =
  | { ok: true; reopened?: 'lost' | 'replaced'; lost: StoreOutage | null }
  | { ok: false; problem: StoreProblem; detail: string };

/**
 * State an owner keeps in memory beside the file (the event log's chain tail, the admission projections) and
 * changes inside transactions: the database takes a mark before each transaction or savepoint, rolls the
 * owner back to it when that one rolls back, and says when the outermost one committed. Memory therefore
 * never holds what the file does not.
 */
export interface TransactionMemory {
  mark(): unknown;
  rollbackTo(mark: unknown): void;
  committed(): void;
}

/** A statement prepared on the connection open now: prepared again on first use after a re-open. */
export type PreparedStatement = () => Database.Statement;

/** A group commit's item; `retried` once its batch found the write lock held and waited for another try. */
interface PendingCommit {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  retried?: boolean;
}

/**
 * The pause before a group commit that found the write lock held tries once more. The event loop runs
 * meanwhile (a timer, not a second synchronous wait), so the pause costs the batch's decisions this much
 * latency and nothing else.
 */
export const LOCK_RETRY_PAUSE_MS = 50;

/** The open file's identity: a file deleted or replaced under an open connection shows as a different inode. */
const fileIdentity = (st: Stats): string => `${st.dev}:${st.ino}`;

export class StoreDatabase {
  /**
   * The current connection, for gateway/store/ only. Stable across a re-open: each access forwards to the
   * connection open now. Statements prepared on it belong to one connection; use statement() instead.
   */
  readonly handle: Database.Database;
  private conn!: Database.Database;
  /** Bumped on every (re-)open; statements prepared under an older one are prepared again. */
  private generation = 0;
  private readonly now: () => number;
  /** The WAL's bound (store.walMaxMb); the store watch alarms on a WAL far past it. */
  readonly walMaxBytes: number;
  private commitsSinceWalCheck = 0;
  /** One savepoint per queued commit inside the shared transaction; also a single write's own transaction. */
  private runInTransaction!: Database.Transaction<(run: () => unknown) => unknown>;
  /** dev:ino of the file this connection opened; null for ':memory:'. */
  private openedFile: string | null = null;
  /**
   * A read-only handle on the file the connection writes, for the header check. Kept for the connection's
   * life and closed only after it: POSIX drops every lock a process holds on a file when ANY of its handles on
   * that file is closed, so opening and closing the file for each check dropped SQLite's own locks. Another
   * process (the sqlite3 shell, a backup script) then found no other user, deleted the WAL and -shm on close,
   * and the daemon went on committing into the deleted WAL: events answered as allowed were gone after a
   * restart, and the tickets they used could be used again.
   */
  private headerFd: number | null = null;
  /** The open connection's page size, which the file's header must keep showing. */
  private pageSize = 0;
  private outageNow: StoreOutage | null = null;
  /** Told once when the store becomes unavailable (the store watch raises the alarm and starts probing). */
  onUnavailable: (outage: StoreOutage) => void = () => {};
  private pending: PendingCommit[] = [];
  private flushScheduled = false;
  private readonly memories: TransactionMemory[] = [];
  private readonly reopenHooks: Array<{ owner: object; fn: () => void }> = [];
  private checkpointer: WalCheckpointer | null = null;
  /** Group commits that found the write lock held and were tried again (/healthz): each one was not an outage. */
  lockRetries = 0;
  /** The pause before a locked group commit's second try; a close during it ends the wait (settlePendingOnClose). */
  private lockRetryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: DatabaseOptions,
    private readonly migrations: readonly FeatureMigrations[],
  ) {
    this.now = opts.now ?? Date.now;
    this.walMaxBytes = (opts.walMaxMb ?? 16) * 1024 * 1024;
    this.handle = new Proxy({} as Database.Database, {
      get: (_target, key) => {
        const value = Reflect.get(this.conn, key, this.conn) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(this.conn) : value;
      },
    });
    this.open();
  }

  get path(): string {
    return this.opts.path;
  }

  /** Opens (or opens again) the file at the configured path: pragmas, migrations, checkpointer. */
  private open(): void {
    const { opts } = this;
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    const db = new Database(opts.path);
    let identity: string | null;
    try {
      identity = opts.path === ':memory:' ? null : fileIdentity(statSync(opts.path));
      // auto_vacuum must be chosen before the first table exists; it lets size-based retention give space back.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      // Deleted rows are overwritten, not left in free pages: purged personal ciphertext must not be recoverable
      // from the file while the gateway still holds the key (Decree 13: kept no longer than needed).
      db.pragma('secure_delete = ON');
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 100}`);
      // An unbounded WAL filled SD cards on edge boxes. When the WAL starts over it is trimmed to half the bound,
      // so a WAL that keeps being reused below that size never needs the catch-up checkpoint of boundWal.
      db.pragma(`journal_size_limit = ${Math.floor(this.walMaxBytes / 2)}`);
      migrate(db, this.migrations);
      this.pageSize = db.pragma('page_size', { simple: true }) as number;
    } catch (err) {
      db.close();
      throw err;
    }
    // Only now: a re-open that failed half-way must leave the old identity, so the next probe tries again.
    this.openedFile = identity;
    this.conn = db;
    this.headerFd = identity === null ? null : openSync(opts.path, 'r');
    this.generation += 1;
    if (opts.backgroundCheckpointMs && opts.path !== ':memory:') {
      db.pragma('wal_autocheckpoint = 0');
      const restartAboveBytes = Math.floor(this.walMaxBytes / 2);
      this.checkpointer = new WalCheckpointer(
        opts.path,
        { everyMs: opts.backgroundCheckpointMs, restartAboveBytes, quickCheckEveryMs: opts.quickCheckEveryMs ?? 0 },
        (why) => {
          if (db.open) db.pragma('wal_autocheckpoint = 1000');
          opts.onWarning?.(`WAL checkpoints back in the writer: ${why}`);
        },
        (report) => {
          this.noteFailure(Object.assign(new Error(report.detail), { code: report.code }));
        },
      );
    }
    this.runInTransaction = db.transaction((run: () => unknown) => run());
  }

  /**
   * A statement compiled once per connection: the returned function gives the one prepared on the connection
   * open now (one comparison per call), so a repository never holds a statement of a closed connection.
   */
  statement(sql: string, opts: { pluck?: boolean; raw?: boolean } = {}): PreparedStatement {
    let prepared: Database.Statement | null = null;
    let preparedFor = -1;
    return () => {
      if (preparedFor !== this.generation || prepared === null) {
        prepared = this.conn.prepare(sql);
        if (opts.pluck) prepared.pluck();
        if (opts.raw) prepared.raw();
        preparedFor = this.generation;
      }
      return prepared;
    };
  }

  /** Whether a write transaction is open on the connection (a caller's, or a group commit's). */
  get inTransaction(): boolean {
    return this.conn.inTransaction;
  }

  /** Null while the store can be written; otherwise why not, since when. */
  outage(): StoreOutage | null {
    return this.outageNow;
  }

  /**
   * Records a failed write. An error about the file (locked, full, read-only, gone, corrupt) makes the store
   * unavailable: later commits fail at once, without touching SQLite, until probe() succeeds. Returns what
   * the caller rejects with.
   */
  noteFailure(err: unknown): unknown {
    const problem = classifyStoreError(err);
    if (problem === null) return err;
    const detail = isStoreUnavailable(err) ? err.detail : errorText(err);
    if (!this.outageNow) {
      this.outageNow = { problem, detail, since: this.now() };
      this.onUnavailable(this.outageNow);
    }
    return isStoreUnavailable(err) ? err : new StoreUnavailableError(problem, detail);
  }

  /** Fails fast while the store is known to be unavailable: a decision must not wait on a lock we know of. */
  assertAvailable(): void {
    const o = this.outageNow;
    if (o) throw new StoreUnavailableError(o.problem, o.detail);
  }

  /**
   * Whether the path still names the file this connection writes. A deleted log keeps taking writes into
   * the unlinked inode and they vanish with the process, so every commit checks first (one stat per batch).
   */
  fileInPlace(): boolean {
    if (this.openedFile === null) return true;
    try {
      return fileIdentity(statSync(this.opts.path)) === this.openedFile;
    } catch {
      return false;
    }
  }

  assertFileInPlace(): void {
    if (!this.fileInPlace()) throw new StoreUnavailableError('deleted', `${this.opts.path} was deleted or replaced`);
  }

  /**
   * What is wrong with the header of the file at the path, or null when it is still the database this
   * connection opened. One 100-byte read: cheap enough for every check period (the open connection would
   * not notice: it writes through its cache and the WAL). Null for ':memory:'.
   */
  headerDefect(): string | null {
    if (this.openedFile === null || this.headerFd === null) return null;
    const bytes = Buffer.alloc(SQLITE_HEADER_BYTES);
    let read = 0;
    try {
      // The connection's own file (a file put in its place is the identity check's business, fileInPlace).
      read = readSync(this.headerFd, bytes, 0, SQLITE_HEADER_BYTES, 0);
    } catch {
      // Unreadable: the next write says why; the header is not the tell.
      return null;
    }
    const r = checkSqliteHeader(bytes.subarray(0, read), this.pageSize);
    return r.ok ? null : r.detail ? `${r.reason} (${r.detail})` : r.reason;
  }

  /** A header that no longer reads as this database: marks the store unavailable, problem `corrupt`. */
  noteCorruptHeader(defect: string): void {
    this.noteFailure(Object.assign(new Error(`database file overwritten: ${defect}`), { code: 'SQLITE_CORRUPT' }));
  }

  /**
   * The recovery check, run from the store watch's timer: re-opens a file deleted or replaced, then tries
   * one small write without waiting for locks (busy_timeout 0: a probe must never stall the event loop).
   */
  probe(): DatabaseProbe {
    let reopened: 'lost' | 'replaced' | undefined;
    try {
      if (!this.fileInPlace()) {
        reopened = this.reopen();
      } else {
        // A corrupt file in place stays unavailable: a probe write would go into the cache and the WAL and
        // "succeed" on a log nobody can read back. A person restores the file (a new file at the path) or
        // deletes it; either is a different inode, and the branch above opens it.
        const defect = this.headerDefect();
        if (defect !== null || this.outageNow?.problem === 'corrupt') {
          const detail = defect ? `database file overwritten: ${defect}` : this.outageNow!.detail;
          this.outageNow = { problem: 'corrupt', detail, since: this.outageNow?.since ?? this.now() };
          return { ok: false, problem: 'corrupt', detail };
        }
      }
      const db = this.conn;
      db.pragma('busy_timeout = 0');
      try {
        // A page's worth, so a full disk (or max_page_count) shows: rewriting a few bytes in place would not.
        const write = db.prepare(
          "INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        );
        write.run(`${this.now()}:${'.'.repeat(4096)}`);
        write.run(String(this.now()));
      } finally {
        db.pragma(`busy_timeout = ${this.opts.busyTimeoutMs ?? 100}`);
      }
    } catch (err) {
      const problem = classifyStoreError(err) ?? 'io';
      const detail = errorText(err);
      this.outageNow = { problem, detail, since: this.outageNow?.since ?? this.now() };
      return { ok: false, problem, detail };
    }
    const lost = this.outageNow;
    this.outageNow = null;
    return reopened ? { ok: true, reopened, lost } : { ok: true, lost };
  }

  /** The file at the path is another one (or none): close ours, open that one, run the migrations on it. */
  private reopen(): 'lost' | 'replaced' {
    const existed = (() => {
      try {
        statSync(this.opts.path);
        return true;
      } catch {
        return false;
      }
    })();
    const old = this.conn;
    const oldCheckpointer = this.checkpointer;
    this.checkpointer = null;
    oldCheckpointer?.stop().catch(() => {});
    try {
      old.close();
    } catch {
      // The old connection's file is gone; closing it can only fail, which changes nothing.
    }
    this.closeHeaderFd();
    if (!existed) {
      // A stale WAL or shm beside a missing database belongs to the deleted log; SQLite would replay it.
      for (const suffix of ['-wal', '-shm']) rmQuietly(`${this.opts.path}${suffix}`);
    }
    this.open();
    for (const h of this.reopenHooks) h.fn();
    return existed ? 'replaced' : 'lost';
  }

  /** fn runs after the file was opened again (its tables exist again): write back what the owner keeps in memory. */
  onReopen(owner: object, fn: () => void): void {
    this.reopenHooks.push({ owner, fn });
  }

  removeOwner(owner: object): void {
    for (let i = this.reopenHooks.length - 1; i >= 0; i--)
      if (this.reopenHooks[i]!.owner === owner) this.reopenHooks.splice(i, 1);
  }

  /** `memory` follows every transaction and savepoint on this database (see TransactionMemory). */
  keepsInMemory(memory: TransactionMemory): void {
    this.memories.push(memory);
  }

  private marks(): unknown[] {
    return this.memories.map((m) => m.mark());
  }

  private rollBackMemory(marks: unknown[]): void {
    for (let i = 0; i < marks.length; i++) this.memories[i]!.rollbackTo(marks[i]);
  }

  private memoryCommitted(): void {
    for (const m of this.memories) m.committed();
  }

  /**
   * Group commit: `fn` runs in a transaction shared with the other commits queued in the same turn of the
   * event loop, each in its own savepoint (one failing rolls back only itself). The promise settles after
   * the shared COMMIT, so a caller still acts only on a durable decision. Under load this turns N
   * BEGIN/COMMIT pairs and WAL writes into one (bench/verify-rate.ts); alone it costs one setImmediate.
   */
  commitSoon<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length >= 256) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const batchMarks = this.marks();
    let began = false;
    try {
      this.assertAvailable();
      this.conn
        .transaction(() => {
          began = true;
          for (const item of batch) {
            const itemMarks = this.marks();
            try {
              results.push({ ok: true, value: this.runInTransaction(item.run) });
            } catch (error) {
              this.rollBackMemory(itemMarks);
              // A full disk or an I/O error may have rolled the whole transaction back inside SQLite: carrying
              // on would commit the later items alone. The whole batch fails instead.
              if (classifyStoreError(error) !== null) throw error;
              results.push({ ok: false, error });
            }
          }
          this.assertFileInPlace();
        })
        .immediate();
    } catch (error) {
      // Nothing in the batch is durable (locked, disk full, I/O error, the file gone): every caller hears so.
      this.rollBackMemory(batchMarks);
      if (!began && this.retryAfterLock(batch, error)) return;
      const reason = this.noteFailure(error);
      for (const item of batch) item.reject(reason);
      return;
    }
    this.memoryCommitted();
    this.afterCommit(batch.length);
    batch.forEach((item, i) => {
      const r = results[i]!;
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  /**
   * BEGIN IMMEDIATE waited busyTimeoutMs for the write lock and did not get it, so nothing of the batch ran.
   * A lock held that long is a checkpoint or another connection's transaction that ran long (a fsync on a
   * busy disk, a starved thread) as often as a lock that stays: the batch goes back to the head of the queue
   * and tries once more after a pause; a second failure is the outage. Returns whether it was requeued.
   */
  private retryAfterLock(batch: PendingCommit[], error: unknown): boolean {
    if (isStoreUnavailable(error) || classifyStoreError(error) !== 'locked') return false;
    if (batch.some((item) => item.retried)) return false;
    for (const item of batch) item.retried = true;
    this.lockRetries++;
    this.pending = [...batch, ...this.pending];
    this.flushScheduled = true;
    this.lockRetryTimer = setTimeout(() => {
      this.lockRetryTimer = undefined;
      this.flush();
    }, LOCK_RETRY_PAUSE_MS);
    return true;
  }

  transaction<T>(fn: () => T): T {
    const nested = this.conn.inTransaction;
    if (!nested) this.assertAvailable();
    const marks = this.marks();
    let out: T;
    try {
      out = this.conn.transaction(fn).immediate();
    } catch (error) {
      // The transaction, or nested in another one its savepoint, rolled back: so does what memory took from it.
      this.rollBackMemory(marks);
      throw nested ? error : this.noteFailure(error);
    }
    if (!nested) this.memoryCommitted();
    return out;
  }

  /**
   * One write in its own transaction, outside any group commit: fails fast during an outage, checks the
   * file is still in place, and does WAL upkeep after the commit. Inside a caller's transaction it just runs.
   */
  writeAlone<T>(fn: () => T): T {
    if (this.conn.inTransaction) return fn();
    this.assertAvailable();
    const marks = this.marks();
    let out: T;
    try {
      this.assertFileInPlace();
      out = this.runInTransaction.immediate(fn) as T;
    } catch (error) {
      this.rollBackMemory(marks);
      throw this.noteFailure(error);
    }
    this.memoryCommitted();
    this.afterCommit();
    return out;
  }

  /** Gives freed pages back to the file system; the WAL holding the deletions is folded in and truncated. */
  compact(): void {
    this.conn.pragma('incremental_vacuum');
    this.conn.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Folds the WAL into the file and truncates it, so no copy of deleted pages outlives a purge. */
  checkpointTruncate(): void {
    this.conn.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * WAL upkeep between transactions, never inside one (a checkpoint there fails with SQLITE_LOCKED), and
   * never at the cost of a decision: a failed checkpoint is retried on a later commit.
   */
  private afterCommit(commits = 1): void {
    this.commitsSinceWalCheck += commits;
    if (this.commitsSinceWalCheck < 500) return;
    try {
      this.boundWal();
    } catch {
      this.commitsSinceWalCheck = 0;
    }
  }

  /** Checkpoints and truncates the WAL once it passes its bound (readers may hold it back; then we try again later). */
  boundWal(): void {
    this.commitsSinceWalCheck = 0;
    const wal = this.walBytes();
    if (wal <= this.walMaxBytes) return;
    // The checkpoint worker restarts the WAL from half the bound on; past the bound it has fallen behind.
    this.conn.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** The checkpoint worker's record, for /healthz; null when SQLite checkpoints in the writer. */
  checkpoints(): (CheckpointStats & { running: boolean }) | null {
    return this.checkpointer ? { ...this.checkpointer.stats, running: this.checkpointer.running } : null;
  }

  walBytes(): number {
    try {
      return statSync(`${this.conn.name}-wal`).size;
    } catch {
      return 0;
    }
  }

  sizeBytes(): number {
    const pages = this.conn.pragma('page_count', { simple: true }) as number;
    const size = this.conn.pragma('page_size', { simple: true }) as number;
    return pages * size + this.walBytes();
  }

  /** A batch waiting for its second try when the store closes is not committed: its callers hear so. */
  private settlePendingOnClose(): void {
    if (this.lockRetryTimer === undefined) return;
    clearTimeout(this.lockRetryTimer);
    this.lockRetryTimer = undefined;
    const waiting = this.pending;
    this.pending = [];
    this.flushScheduled = false;
    for (const item of waiting)
      item.reject(new StoreUnavailableError('locked', 'the store closed before a locked commit could be tried again'));
  }

  closeWithoutCheckpoint(): void {
    this.settlePendingOnClose();
    this.checkpointer?.stop().catch(() => {});
    this.conn.close();
    this.closeHeaderFd();
  }

  /** Only after the connection is closed (see headerFd). */
  private closeHeaderFd(): void {
    if (this.headerFd === null) return;
    try {
      closeSync(this.headerFd);
    } catch {
      // Already invalid: nothing held.
    }
    this.headerFd = null;
  }

  close(): void {
    this.settlePendingOnClose();
    this.checkpointer?.stop().catch(() => {});
    try {
      // A store that is unavailable (locked, full, gone) cannot checkpoint; closing must still work.
      if (!this.outageNow) this.conn.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL stays; SQLite folds it in at the next open.
    } finally {
      this.conn.close();
      this.closeHeaderFd();
    }
  }
}

function rmQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}
