// WAL checkpoints on a worker thread with its own connection, so copying pages into the database file and
// its fsync happen beside the event loop rather than inside a decision's commit. SQLite ran them in the
// committing call (autocheckpoint), where they were the largest part of a decision's write cost
// (bench/verify-rate.ts). The worker also keeps the WAL within its bound (see the worker's comment); the
// store truncates it itself only if the worker is gone.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointStats {
  /** Frames in the WAL and frames already copied into the database, from the last checkpoint. */
  walFrames: number;
  checkpointed: number;
  runs: number;
  /** RESTART checkpoints: the WAL had grown past the threshold and was started over. */
  restarts: number;
  /** RESTARTs that gave way to the writer or to a reader within the worker's short busy timeout. */
  restartsGivenWay: number;
  /** WAL frames the RESTARTs copied beyond what their PASSIVE had (under the write lock, unless they gave way). */
  framesCopiedUnderLock: number;
  failures: number;
  /** Outright failures since the last checkpoint that worked: the store watch alarms past a bound. */
  failuresInARow: number;
  lastError?: string;
  /** Quick checks of the database pages run on the worker's connection, and when the last one ended. */
  quickChecks: number;
  lastQuickCheckAt?: number;
}

// Plain CommonJS evaluated in the worker: the same code runs from the TypeScript sources and from dist/.
const WORKER_SOURCE = `
const { statSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const connect = () => {
  const conn = new Database(workerData.path, { fileMustExist: true });
  // A RESTART holds the write lock while it waits (on this connection's busy handler) for readers of an
  // older snapshot; with 100 ms here it held the daemon's writer (busy_timeout 100) until that one failed
  // with SQLITE_BUSY: a false store outage (bench/checkpoint-stall.ts). So it waits only briefly, for the
  // write lock and for readers, and gives way: a RESTART that did not happen is tried again next run.
  conn.pragma('busy_timeout = ' + workerData.restartBusyTimeoutMs);
  // Reading the mode opens the WAL for this connection; until then a checkpoint reports -1 and does nothing.
  conn.pragma('journal_mode');
  return conn;
};
let db = connect();
// A connection whose checkpoint failed on a write (measured with chattr +i on the database) keeps failing
// with "disk I/O error" after the file is writable again; a new connection works at once. So after a
// failure the next run starts on a fresh one.
const reconnect = () => {
  try { db.close(); } catch {}
  try { db = connect(); } catch {}
};
const walBytes = () => { try { return statSync(workerData.path + '-wal').size; } catch { return 0; } };
// Runs every everyMs; sooner again after a RESTART gave way, so one finds a moment without readers while
// each try holds the writer for at most the short busy timeout.
let timer;
// A RESTART that cannot run yet is tried again soon, then less and less often (up to the normal period) while
// a long reader (an export, \`gate06 log verify\`) holds its snapshot.
let retryMs = workerData.retryRestartMs;
const retryLater = () => {
  const wait = retryMs;
  retryMs = Math.min(retryMs * 2, workerData.everyMs);
  return wait;
};
const checkpoint = () => {
  let nextInMs = workerData.everyMs;
  try {
    // PASSIVE keeps the WAL copied without ever holding up the writer. Under steady writes the WAL is never
    // complete at the moment a commit starts, so SQLite never rewinds it; past the threshold a RESTART
    // makes the next commit start the file over. The RESTART holds the write lock while it copies and
    // syncs, so a PASSIVE goes first and copies nearly everything without it: the RESTART is left with the
    // frames of the commits in between, and none (no copy, no fsync) when there were none.
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (walBytes() <= workerData.restartAboveBytes) {
      retryMs = workerData.retryRestartMs;
      parentPort.postMessage({ ok: true, mode: 'PASSIVE', busy: passive.busy, walFrames: passive.log, checkpointed: passive.checkpointed });
    } else if (passive.checkpointed < passive.log) {
      // Frames the PASSIVE could not copy belong to a reader's older snapshot: a RESTART would wait for that
      // reader holding the write lock, and the RESTART could not finish before it ends anyway.
      nextInMs = retryLater();
      parentPort.postMessage({ ok: true, mode: 'RESTART', busy: 1, walFrames: passive.log, checkpointed: passive.checkpointed, copiedUnderLock: 0 });
    } else {
      const [r] = db.pragma('wal_checkpoint(RESTART)');
      if (r.busy) nextInMs = retryLater();
      else retryMs = workerData.retryRestartMs;
      // Frames the RESTART copied itself: those committed since the PASSIVE (same WAL: it only grows until
      // a restart, and a restart by this call counts every frame it saw).
      const copiedUnderLock = Math.max(0, r.checkpointed - passive.checkpointed);
      parentPort.postMessage({ ok: true, mode: 'RESTART', busy: r.busy, walFrames: r.log, checkpointed: r.checkpointed, copiedUnderLock });
    }
  } catch (err) {
    parentPort.postMessage({ ok: false, code: err && err.code, error: String(err && err.message || err) });
    reconnect();
  }
  timer = setTimeout(checkpoint, nextInMs);
};
timer = setTimeout(checkpoint, workerData.everyMs);
// quick_check reads every page but skips the index cross-checks: measured 0.55-0.7 s on a 100 MB log on the
// 2-core box (integrity_check: 1.0 s). Here it costs the worker's time only; the writer goes on meanwhile.
const quickTimer = workerData.quickCheckEveryMs > 0 ? setInterval(() => {
  try {
    const rows = db.pragma('quick_check(1)');
    const verdict = rows.length === 1 ? String(Object.values(rows[0])[0]) : 'no answer';
    parentPort.postMessage({ quickCheck: true, ok: verdict === 'ok', damaged: verdict !== 'ok', error: verdict === 'ok' ? undefined : verdict });
  } catch (err) {
    // An error is not a verdict on the pages (a closed connection, a busy file): only SQLite's corrupt codes
    // are judged as damage by the parent; a fresh connection is tried next time.
    parentPort.postMessage({ quickCheck: true, ok: false, code: err && err.code, error: String(err && err.message || err) });
    reconnect();
  }
}, workerData.quickCheckEveryMs) : undefined;
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  clearInterval(quickTimer);
  try { db.close(); } catch {}
  parentPort.close();
});
`;

/**
 * How long the worker's RESTART waits for the write lock and, holding it, for readers: the daemon's writer
 * waits busyTimeoutMs (100 by default) for it, so this must stay well below that. SQLite's busy handler
 * retries after 1, 2 and 5 ms, so 10 ms is four tries.
 */
export const RESTART_BUSY_TIMEOUT_MS = 10;

/** How soon a RESTART that gave way is tried again (a PASSIVE first, which costs the writer nothing). */
export const RESTART_RETRY_MS = 20;

/** What the worker found wrong with the database pages (quick_check's first complaint, or its error). */
export type CorruptionReport = { code: string; detail: string };

/** SQLite's answers that mean the file's content is damaged, not that it is busy or the disk is failing. */
const isCorruptCode = (code: unknown): boolean =>
  typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');

export class WalCheckpointer {
  readonly stats: CheckpointStats = {
    walFrames: 0,
    checkpointed: 0,
    runs: 0,
    restarts: 0,
    restartsGivenWay: 0,
    framesCopiedUnderLock: 0,
    failures: 0,
    failuresInARow: 0,
    quickChecks: 0,
  };
  private worker: Worker | null;
  private stopped = false;

  /**
   * `onLost` runs if the worker dies: the caller turns SQLite's own autocheckpoint back on. `onCorrupt` runs
   * when a quick check (every `quickCheckEveryMs`, 0 for never) or a checkpoint finds the pages damaged.
   */
  constructor(
    path: string,
    opts: { everyMs: number; restartAboveBytes: number; quickCheckEveryMs?: number; restartBusyTimeoutMs?: number },
    onLost: (why: string) => void,
    onCorrupt: (report: CorruptionReport) => void = () => {},
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        ...opts,
        quickCheckEveryMs: opts.quickCheckEveryMs ?? 0,
        restartBusyTimeoutMs: opts.restartBusyTimeoutMs ?? RESTART_BUSY_TIMEOUT_MS,
        retryRestartMs: Math.min(opts.everyMs, RESTART_RETRY_MS),
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      },
    });
    this.worker.unref();
    type Report = {
      quickCheck?: true;
      /** quick_check answered with something other than "ok": the pages are damaged. */
      damaged?: boolean;
      code?: string;
      ok: boolean;
      mode?: string;
      busy?: number;
      walFrames?: number;
      checkpointed?: number;
      copiedUnderLock?: number;
      error?: string;
    };
    this.worker.on('message', (m: Report) => {
      // A report from a worker already told to stop belongs to a connection the store has left behind.
      if (this.stopped) return;
      if (m.quickCheck) {
        this.stats.quickChecks++;
        this.stats.lastQuickCheckAt = Date.now();
        // quick_check answering anything but "ok" is damage; an error is damage only if SQLite says so (a
        // busy or I/O error says nothing about the pages, and the next check runs again).
        if (!m.ok && (m.damaged === true || isCorruptCode(m.code))) {
          onCorrupt({ code: m.code ?? 'SQLITE_CORRUPT', detail: `quick_check: ${String(m.error).slice(0, 160)}` });
        }
        return;
      }
      this.stats.runs++;
      if (m.ok && m.mode === 'RESTART') {
        if (m.busy) this.stats.restartsGivenWay++;
        else this.stats.restarts++;
        this.stats.framesCopiedUnderLock += m.copiedUnderLock ?? 0;
      }
      if (m.ok) {
        this.stats.walFrames = m.walFrames ?? 0;
        this.stats.checkpointed = m.checkpointed ?? 0;
        this.stats.failuresInARow = 0;
      } else {
        // A busy checkpoint is not an error (it reports busy and the next run catches up); this is one that
        // failed outright (I/O, the file gone). Counted for health; the next run tries again.
        this.stats.failures++;
        this.stats.failuresInARow++;
        this.stats.lastError = m.error;
        if (isCorruptCode(m.code)) onCorrupt({ code: m.code!, detail: `checkpoint: ${String(m.error).slice(0, 160)}` });
      }
    });
    const lost = (why: string): void => {
      if (this.stopped) return;
      this.stopped = true;
      this.worker = null;
      onLost(why);
    };
    this.worker.on('error', (err) => lost(err.message));
    this.worker.on('exit', (code) => lost(`checkpoint worker exited with ${code}`));
  }

  get running(): boolean {
    return this.worker !== null;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w || this.stopped) return;
    this.stopped = true;
    this.worker = null;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    const timer = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
