// Watches the event log's health: it hears the first failed write from the store, raises the
// store-unavailable alarm, probes from a timer until a write succeeds again (the file re-opened if it was
// deleted or replaced), then replays what the log is owed. It also checks on a short timer that the file
// is still the one open and that its header still reads as this database (overwritten in place it would not
// show otherwise), that WAL checkpoints keep working, and watches the file system's free space so
// disk-space-low comes before SQLite fails.
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AlarmKind } from '../events.js';
import { LogBacklog } from './backlog.js';
import type { EventStore, StoreOutage } from './event-store.js';
import { classifyStoreError, type StoreProblem } from './store-errors.js';

export interface StoreWatchOptions {
  store: EventStore;
  logger: Logger;
  /** The one AlarmService's raise(); it sends on MQTT and to the console even while the log cannot be written. */
  raise: (kind: AlarmKind, lane: string | null, detail: Record<string, string | number | boolean>) => void;
  /** Where the database lives; its directory's file system is the one watched. Null for ':memory:'. */
  path: string | null;
  /** How often the file's identity is checked, and free space read (every fifth check). */
  checkEveryMs: number;
  /** How often an unavailable store is probed. */
  probeEveryMs: number;
  minFreeBytes: number;
  minFreePercent: number;
  /** For tests: a fake file system. */
  statfs?: (dir: string) => Promise<{ bavail: number; blocks: number; bsize: number }>;
  now?: () => number;
}

export interface StoreStatus {
  available: boolean;
  problem?: StoreProblem;
  detail?: string;
  since?: number;
  diskLow: boolean;
  freeBytes?: number;
  /**
   * WAL checkpoints keep failing (CHECKPOINT_FAILURES_TO_ALARM in a row) or the WAL is far past its bound:
   * writes still commit, but the WAL grows until the disk fills. /healthz is degraded meanwhile.
   */
  checkpointFailing: boolean;
  /** Log writes owed since the outage (alarms, passages, timeouts), written once the store is back. */
  owed: number;
  outages: number;
}

/** A `full` outage clears only when the file system has at least this much free again (SQLite needs room to commit). */
const FULL_RECOVERY_BYTES = 1024 * 1024;

/**
 * The worker checkpoints every 200 ms; three outright failures in a row is no passing lock (a busy
 * checkpoint is not a failure) but a file that cannot be written, as with `chattr +i` on the database.
 */
export const CHECKPOINT_FAILURES_TO_ALARM = 3;

export class StoreWatch {
  readonly backlog = new LogBacklog();
  private checkTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private checks = 0;
  private diskLow = false;
  private freeBytes: number | undefined;
  private outages = 0;
  private readonly recoveredHooks: Array<() => void> = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private statfsRunning = false;
  private checkpointFailing = false;

  constructor(private readonly opts: StoreWatchOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger.child({ channel: 'gate06:store' });
  }

  start(): void {
    this.opts.store.onUnavailable = (outage) => this.onOutage(outage);
    this.checkTimer = setInterval(() => this.check(), this.opts.checkEveryMs);
    this.checkTimer.unref();
    void this.readDiskSpace();
  }

  stop(): void {
    clearInterval(this.checkTimer);
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.store.onUnavailable = () => {};
  }

  /** Runs after each recovery, once the backlog is written (lanes retry what they owed, and so on). */
  onRecovered(fn: () => void): void {
    this.recoveredHooks.push(fn);
  }

  status(): StoreStatus {
    const o = this.opts.store.outage();
    return {
      available: o === null,
      ...(o ? { problem: o.problem, detail: o.detail, since: o.since } : {}),
      diskLow: this.diskLow,
      checkpointFailing: this.checkpointFailing,
      ...(this.freeBytes !== undefined ? { freeBytes: this.freeBytes } : {}),
      owed: this.backlog.size,
      outages: this.outages,
    };
  }

  /** Owes the log a write: done now if the store can take it, else kept for the replay after recovery. */
  writeOrOwe(what: string, run: () => void): void {
    if (this.opts.store.outage() === null && this.backlog.size === 0) {
      try {
        this.opts.store.transaction(run);
        return;
      } catch (err) {
        if (classifyStoreError(err) === null) throw err;
      }
    }
    this.backlog.owe({ what, run });
  }

  private onOutage(outage: StoreOutage): void {
    this.outages += 1;
    // Loud on purpose: from now until recovery every decision is a deny.
    this.log.error(
      { problem: outage.problem, detail: outage.detail },
      'event log cannot be written: every lane denies until it can',
    );
    this.opts.raise('store-unavailable', null, { problem: outage.problem });
    clearInterval(this.probeTimer);
    this.probeTimer = setInterval(() => this.probe(), this.opts.probeEveryMs);
    this.probeTimer.unref();
  }

  /**
   * Timer: is the open file still the one at the path (a second connection's view cannot tell; the inode
   * can), and is its header still this database's (garbage copied over it keeps the inode)?
   */
  private check(): void {
    try {
      const { store } = this.opts;
      if (store.outage() === null) {
        if (!store.fileInPlace()) {
          store.noteFailure(
            Object.assign(new Error('database file deleted or replaced'), { code: 'SQLITE_READONLY_DBMOVED' }),
          );
        } else {
          const defect = store.headerDefect();
          if (defect !== null) store.noteCorruptHeader(defect);
        }
      }
      this.checkCheckpoints();
      if (++this.checks % 5 === 0) void this.readDiskSpace();
    } catch (err) {
      this.log.error({ err }, 'store check failed');
    }
  }

  /** Raises store-checkpoint-failing once per spell of failures; the spell ends at the first checkpoint that works. */
  private checkCheckpoints(): void {
    const { store } = this.opts;
    const stats = store.checkpoints();
    if (stats === null || store.outage() !== null) return;
    const walBytes = store.walBytes();
    // Twice the bound: the writer truncates a WAL past the bound itself, so beyond twice it has failed too.
    const walRunaway = walBytes > 2 * store.walMaxBytes;
    const failing = stats.failuresInARow >= CHECKPOINT_FAILURES_TO_ALARM || walRunaway;
    if (failing && !this.checkpointFailing) {
      this.checkpointFailing = true;
      this.log.error(
        { failuresInARow: stats.failuresInARow, walBytes, lastError: stats.lastError },
        'WAL checkpoints are failing: the WAL grows until they work again',
      );
      this.opts.raise('store-checkpoint-failing', null, {
        failuresInARow: stats.failuresInARow,
        walMb: Math.round((walBytes / 1048576) * 10) / 10,
      });
    } else if (!failing && this.checkpointFailing && stats.failuresInARow === 0) {
      this.checkpointFailing = false;
      this.log.warn({ walBytes }, 'WAL checkpoints work again');
    }
  }

  private probe(): void {
    try {
      const { store } = this.opts;
      const outage = store.outage();
      if (outage === null) {
        this.recovered();
        return;
      }
      // A full disk needs room again before a probe is worth its write (it might squeeze into a freed page).
      if (outage.problem === 'full' && this.freeBytes !== undefined && this.freeBytes < FULL_RECOVERY_BYTES) {
        void this.readDiskSpace();
        return;
      }
      const r = store.probe();
      if (!r.ok) return;
      if (r.reopened) {
        this.log.error(
          { path: this.opts.path, was: r.reopened },
          r.reopened === 'lost'
            ? 'EVENT LOG LOST: the database file was deleted while running; a new empty log was started (the hash chain starts a new segment)'
            : 'EVENT LOG REPLACED: the database file was replaced while running; logging continues in the file now at the path',
        );
      }
      this.recovered(outage);
    } catch (err) {
      this.log.error({ err }, 'store probe failed');
    }
  }

  private recovered(outage?: StoreOutage): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    const { store } = this.opts;
    const dropped = this.backlog.dropped;
    const r = this.backlog.replay(
      (fn) => store.transaction(fn),
      (err) => classifyStoreError(err) !== null,
    );
    if (r.failed !== undefined) {
      // Gone again while replaying: the store has already told us (and restarted the probe).
      this.log.warn({ written: r.written, left: r.left }, 'store failed again while writing the backlog');
      return;
    }
    this.backlog.dropped = 0;
    this.log.warn(
      {
        problem: outage?.problem,
        outageMs: outage ? this.now() - outage.since : undefined,
        backlogWritten: r.written,
        backlogDropped: dropped,
      },
      'event log writable again',
    );
    for (const fn of this.recoveredHooks) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'after-recovery step failed');
      }
    }
  }

  private async readDiskSpace(): Promise<void> {
    if (!this.opts.path || this.statfsRunning) return;
    this.statfsRunning = true;
    try {
      const fs = await (this.opts.statfs ?? statfs)(dirname(resolve(this.opts.path)));
      const free = fs.bavail * fs.bsize;
      const total = fs.blocks * fs.bsize;
      this.freeBytes = free;
      const percent = total > 0 ? (free / total) * 100 : 100;
      const low = free < this.opts.minFreeBytes || percent < this.opts.minFreePercent;
      // Re-armed only with 10 % of margin above the threshold, so a disk hovering at it does not flap.
      const clear = free > this.opts.minFreeBytes * 1.1 && percent > this.opts.minFreePercent * 1.1;
      if (low && !this.diskLow) {
        this.diskLow = true;
        this.log.warn(
          { freeBytes: free, freePercent: Math.round(percent * 10) / 10 },
          'disk space low for the event log',
        );
        this.opts.raise('disk-space-low', null, {
          freeMb: Math.floor(free / 1048576),
          freePercent: Math.round(percent * 10) / 10,
        });
      } else if (this.diskLow && clear) {
        this.diskLow = false;
        this.log.info({ freeBytes: free }, 'disk space back above the threshold');
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'free space not readable');
    } finally {
      this.statfsRunning = false;
    }
  }
}
