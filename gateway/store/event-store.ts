// The store as the gateway sees it: the database (gateway/store/database.ts: open, pragmas, group commit,
// outage and re-open), the event log and its chain (event-log.ts), retention (retention.ts) and the feature
// repositories (repositories.ts), put together over one file. The daemon and the CLI open it; features get
// the event log's calls from here and their own repository from `repos`.
import type Database from 'better-sqlite3';
import type { ProjectionLimits } from './admission-projection.js';
import { AdmissionRepository } from './admission-repo.js';
import type { CheckpointStats } from './checkpointer.js';
import { type DatabaseOptions, StoreDatabase, type StoreOutage } from './database.js';
import { type ChainVerdict, EventLog, type EventQuery, type LaneTallyRow } from './event-log.js';
import { Repositories } from './repositories.js';
import { EventRetention, type RetentionLimits } from './retention.js';
import { GATEWAY_SCHEMA } from './schema.js';
import type { StoreProblem } from './store-errors.js';
import { factEvent, type NewEvent, type StoredEvent } from './types.js';

export type { StoreOutage } from './database.js';
export { chainHash, type EventQuery, GENESIS_HASH, rowToEvent } from './event-log.js';
export interface EventStoreOptions extends DatabaseOptions {
  /** How many ticket and presence entries the admission projections keep in memory (admission-repo.ts). */
  projectionLimits?: ProjectionLimits;
}

/** What probe() found: the store writable again (perhaps on a new file), or still not. */
export type ProbeResult =
  | { ok: true; reopened?: 'lost' | 'replaced' }
  | { ok: false; problem: StoreProblem; detail: string };

export class EventStore {
  private readonly database: StoreDatabase;
  private readonly log: EventLog;
  private readonly retention: EventRetention;
  readonly repos: Repositories;
  readonly bootId: string;
  private readonly now: () => number;

  constructor(opts: EventStoreOptions) {
    const now = opts.now ?? Date.now;
    this.now = now;
    this.database = new StoreDatabase(opts, GATEWAY_SCHEMA);
    const admission = new AdmissionRepository(this.database, () => this.log.tailSeq(), opts.projectionLimits);
    this.log = new EventLog(this.database, now, admission);
    this.retention = new EventRetention(this.database, now, () => admission.checkpoint());
    this.repos = new Repositories(this.database, admission);
    this.bootId = this.log.bootId;
    // Registered before anyone else's: the others' hooks may append, and must find the new file's tail.
    this.database.onReopen(this, () => {
      this.log.reopened();
      admission.reopened();
    });
  }

  /**
   * The raw connection, for tests that look at or damage the file; nothing outside gateway/store/ and
   * test/ may use it (scripts/check-imports.ts).
   */
  get db(): Database.Database {
    return this.database.handle;
  }

  /** The database file's path (':memory:' in tests). */
  get path(): string {
    return this.database.path;
  }

  /** The WAL's bound (store.walMaxMb); the store watch alarms on a WAL far past it. */
  get walMaxBytes(): number {
    return this.database.walMaxBytes;
  }

  /** Told once when the store becomes unavailable (the store watch raises the alarm and starts probing). */
  set onUnavailable(fn: (outage: StoreOutage) => void) {
    this.database.onUnavailable = fn;
  }

  get onUnavailable(): (outage: StoreOutage) => void {
    return this.database.onUnavailable;
  }

  outage(): StoreOutage | null {
    return this.database.outage();
  }

  noteFailure(err: unknown): unknown {
    return this.database.noteFailure(err);
  }

  fileInPlace(): boolean {
    return this.database.fileInPlace();
  }

  headerDefect(): string | null {
    return this.database.headerDefect();
  }

  noteCorruptHeader(defect: string): void {
    this.database.noteCorruptHeader(defect);
  }

  /**
   * The recovery check (see StoreDatabase.probe). After a re-open the first event of the new segment says
   * what happened, chained from this file's own tail (the genesis on a new file), so `gate06 log verify`
   * accepts the segment and shows where it starts.
   */
  probe(): ProbeResult {
    const r = this.database.probe();
    if (!r.ok) return r;
    if (!r.reopened) return { ok: true };
    this.log.append(
      factEvent('system', null, {
        action: r.reopened === 'lost' ? 'log-lost' : 'log-replaced',
        outageProblem: r.lost?.problem ?? 'deleted',
        outageSince: r.lost?.since ?? this.now(),
      }),
    );
    return { ok: true, reopened: r.reopened };
  }

  /** fn runs after the file was opened again (its tables made again): write back what the owner keeps in memory. */
  onReopen(owner: object, fn: () => void): void {
    this.database.onReopen(owner, fn);
  }

  /** Group commit (see StoreDatabase.commitSoon): settles after the shared COMMIT. */
  commitSoon<T>(fn: () => T): Promise<T> {
    return this.database.commitSoon(fn);
  }

  transaction<T>(fn: () => T): T {
    return this.database.transaction(fn);
  }

  chainAnchor(): { seq: number; hash: string } {
    return this.log.chainAnchor();
  }

  /** fn runs inside the transaction that commits each event; if it throws, the event is not committed. */
  onCommitInTransaction(owner: object, fn: (ev: StoredEvent) => void): void {
    this.log.onCommitInTransaction(owner, fn);
  }

  removeOwner(owner: object): void {
    this.log.removeOwner(owner);
    this.database.removeOwner(owner);
  }

  /**
   * Commits one event durably and returns it. `extra` runs in the same transaction (ticket use counts,
   * presence, personal fields), so a decision and its side effects land together or not at all.
   */
  append(ev: NewEvent, extra?: (stored: StoredEvent) => void): StoredEvent {
    return this.log.append(ev, extra);
  }

  get(id: string): StoredEvent | null {
    return this.log.get(id);
  }

  query(q: EventQuery): StoredEvent[] {
    return this.log.query(q);
  }

  idsReferring(id: string, limit: number): string[] {
    return this.log.idsReferring(id, limit);
  }

  watchlistHitIds(from: number, limit: number): string[] {
    return this.log.watchlistHitIds(from, limit);
  }

  laneTallySince(from: number): LaneTallyRow[] {
    return this.log.laneTallySince(from);
  }

  verifyChain(): ChainVerdict {
    return this.log.verifyChain();
  }

  applyRetention(limits: RetentionLimits): { removed: number } {
    return this.retention.apply(limits);
  }

  boundWal(): void {
    this.database.boundWal();
  }

  checkpoints(): (CheckpointStats & { running: boolean }) | null {
    return this.database.checkpoints();
  }

  /** Group commits that waited out a held write lock with one more try instead of an outage. */
  lockRetries(): number {
    return this.database.lockRetries;
  }

  walBytes(): number {
    return this.database.walBytes();
  }

  sizeBytes(): number {
    return this.database.sizeBytes();
  }

  /**
   * Writes the admission projections' checkpoint first, so the next boot replays only what comes after it;
   * a store that cannot be written closes anyway (the next boot replays more of the log, nothing is lost).
   */
  close(): void {
    if (!this.database.outage()) {
      try {
        this.database.transaction(() => this.repos.admission.checkpointIfBuilt());
      } catch {
        // The log still holds every effect since the last checkpoint.
      }
    }
    this.database.close();
  }

  /** Closes without folding the WAL in: a reader beside a running daemon leaves checkpoints to it. */
  closeWithoutCheckpoint(): void {
    this.database.closeWithoutCheckpoint();
  }
}
