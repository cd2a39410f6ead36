// The durable event log: every decision, passage and alarm is committed here before the gate acts on it.
// WAL mode; a hash chain over the plain columns makes edits show; personal fields (when a site keeps them)
// live outside the chain, so purging them by retention leaves the chain intact.
import { hash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { type CheckpointStats, WalCheckpointer } from './checkpointer.js';
import { migrate } from './migrations.js';
import { checkSqliteHeader, SQLITE_HEADER_BYTES } from './sqlite-header.js';
import {
  classifyStoreError,
  errorText,
  isStoreUnavailable,
  type StoreProblem,
  StoreUnavailableError,
} from './store-errors.js';
import { type EventType, factEvent, type NewEvent, type StoredEvent } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** xorshift32 in [0, 1): plenty for the random part of a ULID that seq and the database already make unique. */
function fastRandom(seed: number): () => number {
  let x = seed || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export interface EventStoreOptions {
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

/** What probe() found: the store writable again (perhaps on a new file), or still not. */
export type ProbeResult =
  | { ok: true; reopened?: 'lost' | 'replaced' }
  | { ok: false; problem: StoreProblem; detail: string };

interface EventRow {
  seq: number;
  id: string;
  boot_id: string;
  ts: number;
  type: string;
  lane: string | null;
  direction: string | null;
  credential: string | null;
  decision: string | null;
  reason: string | null;
  id_hash: string | null;
  id_masked: string | null;
  latency_ms: number | null;
  ref_id: string | null;
  facts: string;
  prev_hash: string;
  hash: string;
}

/** An event's chained columns in their fixed order: the INSERT's order and the bytes the chain hashes. */
type ChainedColumns = [
  seq: number,
  id: string,
  bootId: string,
  ts: number,
  type: string,
  lane: string | null,
  direction: string | null,
  credential: string | null,
  decision: string | null,
  reason: string | null,
  idHash: string | null,
  idMasked: string | null,
  latencyMs: number | null,
  refId: string | null,
  facts: string,
];

/** A fixed field order, so the chain does not depend on JSON key order. */
const hashColumns = (prevHash: string, columns: ChainedColumns): string =>
  hash('sha256', `${prevHash}\n${JSON.stringify(columns)}`, 'hex');

export function chainHash(prevHash: string, r: Omit<EventRow, 'prev_hash' | 'hash'>): string {
  return hashColumns(prevHash, [
    r.seq,
    r.id,
    r.boot_id,
    r.ts,
    r.type,
    r.lane,
    r.direction,
    r.credential,
    r.decision,
    r.reason,
    r.id_hash,
    r.id_masked,
    r.latency_ms,
    r.ref_id,
    r.facts,
  ]);
}

export function rowToEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    seq: r.seq,
    bootId: r.boot_id,
    ts: r.ts,
    type: r.type as EventType,
    lane: r.lane,
    direction: r.direction as StoredEvent['direction'],
    credential: r.credential as StoredEvent['credential'],
    decision: r.decision as StoredEvent['decision'],
    reason: r.reason as StoredEvent['reason'],
    idHash: r.id_hash,
    idMasked: r.id_masked,
    latencyMs: r.latency_ms,
    refId: r.ref_id,
    facts: JSON.parse(r.facts) as StoredEvent['facts'],
  };
}

export interface EventQuery {
  from?: number;
  to?: number;
  lane?: string;
  decision?: 'allow' | 'deny';
  credential?: string;
  type?: EventType;
  direction?: 'in' | 'out';
  reason?: string;
  idHash?: string;
  /** Return events with seq below this (newest first paging). */
  beforeSeq?: number;
  limit: number;
}

type CommitHook = (ev: StoredEvent) => void;

/** The open file's identity: a file deleted or replaced under an open connection shows as a different inode. */
const fileIdentity = (st: Stats): string => `${st.dev}:${st.ino}`;

export class EventStore {
  /**
   * The current connection. Stable for holders of `store.db` across a reopen (the file deleted or replaced
   * under the daemon): each access forwards to the connection open now. Statements prepared earlier belong
   * to the old connection; their owners prepare again in an onReopen hook.
   */
  readonly db: Database.Database;
  private conn!: Database.Database;
  readonly bootId = randomUUID();
  private readonly now: () => number;
  // Event ids only need to be unique and time-ordered within this database: a seeded fast PRNG instead of
  // a crypto read per id (which showed in the verify profile); monotonic within a millisecond.
  private readonly ulid = monotonicFactory(fastRandom(randomBytes(4).readUInt32LE(0)));
  private readonly hooks: Array<{ owner: object; fn: CommitHook }> = [];
  private readonly reopenHooks: Array<{ owner: object; fn: () => void }> = [];
  private insert!: Database.Statement;
  private lastRow!: Database.Statement;
  /** The WAL's bound (store.walMaxMb); the store watch alarms on a WAL far past it. */
  readonly walMaxBytes: number;
  private commitsSinceWalCheck = 0;
  private sequenceRow!: Database.Statement;
  private appendAlone!: Database.Transaction<(ev: NewEvent, extra?: (stored: StoredEvent) => void) => StoredEvent>;
  /** One savepoint per queued commit inside the shared transaction; built once, not per item. */
  private inSavepoint!: Database.Transaction<(run: () => unknown) => unknown>;
  /** dev:ino of the file this connection opened; null for ':memory:'. */
  private openedFile: string | null = null;
  /** The open connection's page size, which the file's header must keep showing. */
  private pageSize = 0;
  private outageNow: StoreOutage | null = null;
  /** Told once when the store becomes unavailable (the store watch raises the alarm and starts probing). */
  onUnavailable: (outage: StoreOutage) => void = () => {};
  private pending: Array<{ run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  private flushScheduled = false;
  /**
   * The chain's tail while a group commit holds the write lock: read once per batch instead of per event.
   * Null outside a batch, and dropped when a savepoint rolls back, so it never outlives what it describes.
   */
  private batchTail: { seq: number; hash: string } | null = null;
  private checkpointer: WalCheckpointer | null = null;
  private readonly opts: EventStoreOptions;

  constructor(opts: EventStoreOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.walMaxBytes = (opts.walMaxMb ?? 16) * 1024 * 1024;
    this.db = new Proxy({} as Database.Database, {
      get: (_target, key) => {
        const value = Reflect.get(this.conn, key, this.conn) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(this.conn) : value;
      },
    });
    this.open();
  }

  /** Opens (or opens again) the file at the configured path: pragmas, migrations, statements, checkpointer. */
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
      migrate(db);
      this.pageSize = db.pragma('page_size', { simple: true }) as number;
    } catch (err) {
      db.close();
      throw err;
    }
    // Only now: a re-open that failed half-way must leave the old identity, so the next probe tries again.
    this.openedFile = identity;
    this.conn = db;
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
    // Positional parameters: binding 17 named ones from an object cost more than the insert's own B-tree work.
    this.insert = db.prepare(`INSERT INTO events
      (seq, id, boot_id, ts, type, lane, direction, credential, decision, reason, id_hash, id_masked, latency_ms, ref_id, facts, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.lastRow = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    this.sequenceRow = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    this.inSavepoint = db.transaction((run: () => unknown) => run());
    this.appendAlone = db.transaction((ev: NewEvent, extra?: (stored: StoredEvent) => void) =>
      this.insertRow(ev, extra),
    );
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
  private assertAvailable(): void {
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

  /**
   * What is wrong with the header of the file at the path, or null when it is still the database this
   * connection opened. One 100-byte read: cheap enough for every check period (the open connection would
   * not notice: it writes through its cache and the WAL). Null for ':memory:'.
   */
  headerDefect(): string | null {
    if (this.openedFile === null) return null;
    const bytes = Buffer.alloc(SQLITE_HEADER_BYTES);
    let read = 0;
    try {
      const fd = openSync(this.opts.path, 'r');
      try {
        read = readSync(fd, bytes, 0, SQLITE_HEADER_BYTES, 0);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Gone or unreadable: the identity check and the next write say which; the header is not the tell.
      return null;
    }
    const r = checkSqliteHeader(bytes.subarray(0, read), this.pageSize);
    return r.ok ? null : r.detail ? `${r.reason} (${r.detail})` : r.reason;
  }

  /** A header that no longer reads as this database: marks the store unavailable, problem `corrupt`. */
  noteCorruptHeader(defect: string): void {
    this.noteFailure(Object.assign(new Error(`database file overwritten: ${defect}`), { code: 'SQLITE_CORRUPT' }));
  }

  private assertFileInPlace(): void {
    if (!this.fileInPlace()) throw new StoreUnavailableError('deleted', `${this.opts.path} was deleted or replaced`);
  }

  /**
   * The recovery check, run from the store watch's timer: re-opens a file deleted or replaced, then tries
   * one small write without waiting for locks (busy_timeout 0: a probe must never stall the event loop).
   */
  probe(): ProbeResult {
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
    if (reopened) {
      // The first event of the new segment says what happened, chained from this file's own tail (the
      // genesis on a new file), so `gate06 log verify` accepts the segment and shows where it starts.
      this.append(
        factEvent('system', null, {
          action: reopened === 'lost' ? 'log-lost' : 'log-replaced',
          outageProblem: lost?.problem ?? 'deleted',
          outageSince: lost?.since ?? this.now(),
        }),
      );
    }
    return reopened ? { ok: true, reopened } : { ok: true };
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
    if (!existed) {
      // A stale WAL or shm beside a missing database belongs to the deleted log; SQLite would replay it.
      for (const suffix of ['-wal', '-shm']) rmQuietly(`${this.opts.path}${suffix}`);
    }
    this.open();
    for (const h of this.reopenHooks) h.fn();
    return existed ? 'replaced' : 'lost';
  }

  /** fn runs after the file was opened again: prepare statements again, create the owner's tables again. */
  onReopen(owner: object, fn: () => void): void {
    this.reopenHooks.push({ owner, fn });
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
    try {
      this.assertAvailable();
      this.transaction(() => {
        this.batchTail = this.readTail();
        for (const item of batch) {
          try {
            results.push({ ok: true, value: this.inSavepoint(item.run) });
          } catch (error) {
            // A full disk or an I/O error may have rolled the whole transaction back inside SQLite: carrying
            // on would commit the later items alone. The whole batch fails instead.
            if (classifyStoreError(error) !== null) throw error;
            results.push({ ok: false, error });
            this.batchTail = this.readTail();
          }
        }
        this.assertFileInPlace();
      });
    } catch (error) {
      // Nothing in the batch is durable (locked, disk full, I/O error, the file gone): every caller hears so.
      const reason = this.noteFailure(error);
      for (const item of batch) item.reject(reason);
      return;
    } finally {
      this.batchTail = null;
    }
    this.afterCommit(batch.length);
    batch.forEach((item, i) => {
      const r = results[i]!;
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  /** Where verification of the chain starts: the genesis, or the last event removed by retention. */
  chainAnchor(): { seq: number; hash: string } {
    const row = this.conn.prepare("SELECT value FROM meta WHERE key = 'chain_anchor'").get() as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS_HASH };
  }

  /** fn runs inside the transaction that commits each event; if it throws, the event is not committed. */
  onCommitInTransaction(owner: object, fn: CommitHook): void {
    this.hooks.push({ owner, fn });
  }

  removeOwner(owner: object): void {
    for (let i = this.hooks.length - 1; i >= 0; i--) if (this.hooks[i]!.owner === owner) this.hooks.splice(i, 1);
    for (let i = this.reopenHooks.length - 1; i >= 0; i--)
      if (this.reopenHooks[i]!.owner === owner) this.reopenHooks.splice(i, 1);
  }

  transaction<T>(fn: () => T): T {
    const nested = this.conn.inTransaction;
    if (!nested) this.assertAvailable();
    try {
      return this.conn.transaction(fn).immediate();
    } catch (error) {
      // Nested in a group commit, this was a savepoint that rolled back: the batch's tail moved back with it.
      if (this.batchTail && classifyStoreError(error) === null) this.batchTail = this.readTail();
      throw nested ? error : this.noteFailure(error);
    }
  }

  /**
   * Commits one event durably and returns it. `extra` runs in the same transaction (ticket use counts,
   * presence, personal fields), so a decision and its side effects land together or not at all.
   */
  append(ev: NewEvent, extra?: (stored: StoredEvent) => void): StoredEvent {
    // Inside a caller's transaction (a decision with its side effects, a group commit) the event joins it,
    // and an exception from `extra` or a hook unwinds the caller's transaction; alone, it gets its own.
    if (this.conn.inTransaction) return this.insertRow(ev, extra);
    this.assertAvailable();
    let stored: StoredEvent;
    try {
      this.assertFileInPlace();
      stored = this.appendAlone.immediate(ev, extra);
    } catch (error) {
      throw this.noteFailure(error);
    }
    this.afterCommit();
    return stored;
  }

  /** The hash the next event links to and the seq it takes (AUTOINCREMENT never reuses one, even after retention). */
  private readTail(): { seq: number; hash: string } {
    const last = this.lastRow.get() as { seq: number; hash: string } | undefined;
    const sequence = this.sequenceRow.get() as { seq: number } | undefined;
    return {
      seq: Math.max(last?.seq ?? 0, sequence?.seq ?? 0),
      hash: last?.hash ?? this.chainAnchor().hash,
    };
  }

  private insertRow(ev: NewEvent, extra?: (stored: StoredEvent) => void): StoredEvent {
    const tail = this.batchTail ?? this.readTail();
    const prevHash = tail.hash;
    const seq = tail.seq + 1;
    // Built from what is written rather than read back: no second parse of the facts just serialised.
    const out: StoredEvent = {
      id: this.ulid(),
      seq,
      bootId: this.bootId,
      ts: ev.ts ?? this.now(),
      type: ev.type,
      lane: ev.lane,
      direction: ev.direction,
      credential: ev.credential,
      decision: ev.decision,
      reason: ev.reason,
      idHash: ev.idHash,
      idMasked: ev.idMasked,
      latencyMs: ev.latencyMs === null ? null : Math.round(ev.latencyMs * 1000) / 1000,
      refId: ev.refId,
      facts: { ...ev.facts },
    };
    const columns: ChainedColumns = [
      seq,
      out.id,
      out.bootId,
      out.ts,
      out.type,
      out.lane,
      out.direction,
      out.credential,
      out.decision,
      out.reason,
      out.idHash,
      out.idMasked,
      out.latencyMs,
      out.refId,
      JSON.stringify(ev.facts ?? {}),
    ];
    const hash = hashColumns(prevHash, columns);
    this.insert.run(...columns, prevHash, hash);
    if (this.batchTail) this.batchTail = { seq, hash };
    extra?.(out);
    for (const h of this.hooks) h.fn(out);
    return out;
  }

  get(id: string): StoredEvent | null {
    const r = this.conn.prepare('SELECT * FROM events WHERE id = ?').get(id) as EventRow | undefined;
    return r ? rowToEvent(r) : null;
  }

  query(q: EventQuery): StoredEvent[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: Math.min(Math.max(q.limit, 1), 1000) };
    const add = (cond: string, key: string, v: unknown): void => {
      if (v !== undefined) {
        where.push(cond);
        args[key] = v;
      }
    };
    add('ts >= @from', 'from', q.from);
    add('ts < @to', 'to', q.to);
    add('lane = @lane', 'lane', q.lane);
    add('decision = @decision', 'decision', q.decision);
    add('credential = @credential', 'credential', q.credential);
    add('type = @type', 'type', q.type);
    add('direction = @direction', 'direction', q.direction);
    add('reason = @reason', 'reason', q.reason);
    add('id_hash = @idHash', 'idHash', q.idHash);
    add('seq < @beforeSeq', 'beforeSeq', q.beforeSeq);
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.conn.prepare(sql).all(args) as EventRow[]).map(rowToEvent);
  }

  /** Walks the chain from its anchor; reports the first event whose stored hash or link does not hold. */
  verifyChain():
    | { ok: true; events: number }
    | { ok: false; events: number; brokenAt: { seq: number; id: string; why: string } } {
    let prev = this.chainAnchor().hash;
    let n = 0;
    for (const r of this.conn
      .prepare('SELECT * FROM events ORDER BY seq ASC')
      .iterate() as IterableIterator<EventRow>) {
      if (r.prev_hash !== prev)
        return {
          ok: false,
          events: n,
          brokenAt: {
            seq: r.seq,
            id: r.id,
            why: 'link to the previous event does not match (an event was removed or reordered)',
          },
        };
      const { prev_hash: _p, hash: _h, ...fields } = r;
      if (chainHash(prev, fields) !== r.hash)
        return {
          ok: false,
          events: n,
          brokenAt: { seq: r.seq, id: r.id, why: 'event content does not match its hash (edited)' },
        };
      prev = r.hash;
      n++;
    }
    return { ok: true, events: n };
  }

  /**
   * Retention by age and by size. Only the oldest events go, and the chain anchor moves to the last removed
   * one, so the chain still verifies; a gap in the middle would still show.
   */
  applyRetention(opts: { maxAgeMs: number; maxBytes: number }): { removed: number } {
    let removed = 0;
    const cutoff = this.now() - opts.maxAgeMs;
    const pruneThrough = (seq: number): number =>
      this.transaction(() => {
        const last = this.db
          .prepare('SELECT seq, hash FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1')
          .get(seq) as { seq: number; hash: string } | undefined;
        if (!last) return 0;
        const info = this.conn.prepare('DELETE FROM events WHERE seq <= ?').run(last.seq);
        this.db
          .prepare(
            "INSERT INTO meta (key, value) VALUES ('chain_anchor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          )
          .run(JSON.stringify(last));
        return info.changes;
      });
    const oldAge = this.conn.prepare('SELECT max(seq) AS seq FROM events WHERE ts < ?').get(cutoff) as {
      seq: number | null;
    };
    if (oldAge.seq !== null) removed += pruneThrough(oldAge.seq);
    for (let guard = 0; guard < 20 && this.sizeBytes() > opts.maxBytes; guard++) {
      const total = (this.conn.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      if (total === 0) break;
      const tenth = this.db
        .prepare('SELECT seq FROM events ORDER BY seq ASC LIMIT 1 OFFSET ?')
        .get(Math.max(0, Math.floor(total / 10))) as { seq: number };
      removed += pruneThrough(tenth.seq);
      this.compact();
    }
    if (removed > 0) this.compact();
    this.boundWal();
    return { removed };
  }

  /** Gives freed pages back to the file system; the WAL holding the deletions is folded in and truncated. */
  private compact(): void {
    this.conn.pragma('incremental_vacuum');
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

  close(): void {
    this.checkpointer?.stop().catch(() => {});
    try {
      // A store that is unavailable (locked, full, gone) cannot checkpoint; closing must still work.
      if (!this.outageNow) this.conn.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL stays; SQLite folds it in at the next open.
    } finally {
      this.conn.close();
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
