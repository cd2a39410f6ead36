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
  failures: number;
  lastError?: string;
}

// Plain CommonJS evaluated in the worker: the same code runs from the TypeScript sources and from dist/.
const WORKER_SOURCE = `
const { statSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
// RESTART waits for the writer's current transaction; never long, and never the event loop's time.
db.pragma('busy_timeout = 100');
// Reading the mode opens the WAL for this connection; until then a checkpoint reports -1 and does nothing.
db.pragma('journal_mode');
const walBytes = () => { try { return statSync(workerData.path + '-wal').size; } catch { return 0; } };
const timer = setInterval(() => {
  try {
    // PASSIVE keeps the WAL copied without ever holding up the writer. Under steady writes the WAL is never
    // complete at the moment a commit starts, so SQLite never rewinds it; past the threshold a RESTART
    // copies the last frames and makes the next commit start the file over.
    const mode = walBytes() > workerData.restartAboveBytes ? 'RESTART' : 'PASSIVE';
    const [r] = db.pragma('wal_checkpoint(' + mode + ')');
    parentPort.postMessage({ ok: true, mode, busy: r.busy, walFrames: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  readonly stats: CheckpointStats = { walFrames: 0, checkpointed: 0, runs: 0, restarts: 0, failures: 0 };
  private worker: Worker | null;
  private stopped = false;

  /** `onLost` runs if the worker dies: the caller turns SQLite's own autocheckpoint back on. */
  constructor(path: string, opts: { everyMs: number; restartAboveBytes: number }, onLost: (why: string) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, ...opts, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    this.worker.unref();
    type Report = {
      ok: boolean;
      mode?: string;
      busy?: number;
      walFrames?: number;
      checkpointed?: number;
      error?: string;
    };
    this.worker.on('message', (m: Report) => {
      this.stats.runs++;
      if (m.ok && m.mode === 'RESTART' && !m.busy) this.stats.restarts++;
      if (m.ok) {
        this.stats.walFrames = m.walFrames ?? 0;
        this.stats.checkpointed = m.checkpointed ?? 0;
      } else {
        // A busy checkpoint is not an error (it reports busy and the next run catches up); this is one that
        // failed outright (I/O, the file gone). Counted for health; the next run tries again.
        this.stats.failures++;
        this.stats.lastError = m.error;
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
