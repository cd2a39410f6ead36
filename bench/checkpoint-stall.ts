// Reproduces false store outages from WAL checkpoints: decisions committed at a high rate through the real
// store (group commit, checkpoint worker on, the daemon's busy timeout) while CPU stressors starve the box.
// Counts the writer's SQLITE_BUSY failures and the outages they caused, and the longest a commit (and the
// event loop) waited. An outage is probed back the way the store watch does (every 250 ms).
// Run: node --import tsx bench/checkpoint-stall.ts [--seconds 20] [--rate 4000] [--stressors 3] [--io-stressors 1]
//        [--reader-every-ms 0] [--hold-lock-ms 0] [--wal-max-mb 16] [--label before]
// --hold-lock-ms: a third of the way in, another process holds the write lock this long (a real outage: it
// must still be declared, and end by itself once the lock is gone).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EventStore } from '../gateway/store/event-store.js';
import { isStoreUnavailable } from '../gateway/store/store-errors.js';
import { factEvent } from '../gateway/store/types.js';
import { summarize, writeResult } from './stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '4000' },
    stressors: { type: 'string', default: '3' },
    'io-stressors': { type: 'string', default: '1' },
    'reader-every-ms': { type: 'string', default: '0' },
    'hold-lock-ms': { type: 'string', default: '0' },
    'wal-max-mb': { type: 'string', default: '16' },
    label: { type: 'string', default: 'run' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const walMaxMb = Number(values['wal-max-mb']);

// Busy loops in their own processes: they take the cores the daemon and its checkpoint worker need.
const cpuStressors = Number(values.stressors);
const stressors: ChildProcess[] = Array.from({ length: Number(values.stressors) }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);

const dir = mkdtempSync(join(tmpdir(), 'gate06-checkpoint-stall-'));
// Writers that fsync 1 MB at a time to the same disk, as other jobs on the box do: they make the
// checkpoint's own fsyncs slow, and a RESTART holds the write lock across them.
const ioStressor = `const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'w'); const b = Buffer.alloc(1 << 20, 7);
for (let i = 0; ; i++) { fs.writeSync(fd, b, 0, b.length, (i % 64) << 20); fs.fsyncSync(fd); }`;
stressors.push(
  ...Array.from({ length: Number(values['io-stressors']) }, (_, i) =>
    spawn(process.execPath, ['-e', ioStressor, join(dir, `io-stress-${i}`)], { stdio: 'ignore' }),
  ),
);
// As gateway/compose.ts builds it: checkpoints every 200 ms on the worker, the configured busy timeout.
const store = new EventStore({ path: join(dir, 'gw.db'), walMaxMb, backgroundCheckpointMs: 200, busyTimeoutMs: 100 });
const admission = store.repos.admission;

// Another process reading the log (an export, the console's reports, a backup): it holds a read transaction
// for a while now and then. Readers never block a writer in WAL mode, but a RESTART checkpoint waits for them.
const readerEveryMs = Number(values['reader-every-ms']);
if (readerEveryMs > 0) {
  const reader = `const Database = require(process.argv[2]); const db = new Database(process.argv[1], { readonly: true });
const read = db.prepare('SELECT count(*) AS n, max(seq) AS last FROM events');
setInterval(() => { db.exec('BEGIN'); read.get(); const until = Date.now() + 500; while (Date.now() < until); db.exec('COMMIT'); }, ${readerEveryMs});`;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  stressors.push(spawn(process.execPath, ['-e', reader, join(dir, 'gw.db'), driver], { stdio: 'inherit' }));
}

let outages = 0;
let outageMs = 0;
const outageStarts: number[] = [];
let probeTimer: NodeJS.Timeout | undefined;
store.onUnavailable = () => {
  outages++;
  const since = performance.now();
  outageStarts.push(Date.now());
  probeTimer = setInterval(() => {
    if (store.probe().ok) {
      outageMs += performance.now() - since;
      clearInterval(probeTimer);
      probeTimer = undefined;
    }
  }, 250);
};

let committed = 0;
const rejected: Record<string, number> = {};
const commitMs: number[] = [];
let seq = 0;
const decide = (): Promise<void> => {
  const i = seq++;
  const tid = `T-${i % 2000}`;
  const subject = `tid:${tid}`;
  const started = performance.now();
  return store
    .commitSoon(() => {
      admission.ticketUses(tid);
      admission.presence(subject, 'main');
      return store.append({
        ...factEvent('decision', 'L1', { via: 'ticket', ticketKind: 'day' }, { direction: 'in', credential: 'ticket' }),
        decision: 'allow',
        reason: 'ok',
        latencyMs: 1.5,
        effects: { tid, uses: 1, presence: { subject, zone: 'main', inside: true } },
      });
    })
    .then(
      () => {
        committed++;
        commitMs.push(performance.now() - started);
      },
      (err: unknown) => {
        const key = isStoreUnavailable(err)
          ? `${err.problem}${err.detail.includes('BUSY') ? ' (SQLITE_BUSY)' : ''}`
          : String(err);
        rejected[key] = (rejected[key] ?? 0) + 1;
      },
    );
};

// When the worker falls behind, the writer truncates a WAL past its bound itself, on the event loop: timed
// here (reaching into the store) because that is the stall the worker exists to avoid.
const database = (store as unknown as { database: { boundWal(): void; walBytes(): number; walMaxBytes: number } })
  .database;
const boundWal = database.boundWal.bind(database);
const writerTruncateMs: number[] = [];
database.boundWal = () => {
  const due = database.walBytes() > database.walMaxBytes;
  const started = performance.now();
  try {
    boundWal();
  } finally {
    if (due) writerTruncateMs.push(performance.now() - started);
  }
};

// The WAL's bound must hold with the checkpoints giving way: its largest size, sampled every 50 ms.
let largestWalBytes = 0;
const walSampler = setInterval(() => {
  largestWalBytes = Math.max(largestWalBytes, store.walBytes());
}, 50);
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
// Each stall of the loop over 50 ms on its own (a busy wait shows as one; the histogram gives only the max).
let loopStallsOver50Ms = 0;
let lastBeat = performance.now();
const heartbeat = setInterval(() => {
  const now = performance.now();
  if (now - lastBeat > 55) loopStallsOver50Ms++;
  lastBeat = now;
}, 5);

const holdLockMs = Number(values['hold-lock-ms']);
let lockTakenAt: number | undefined;
if (holdLockMs > 0) {
  const holder = `const Database = require(process.argv[2]); const db = new Database(process.argv[1]);
db.exec('BEGIN IMMEDIATE'); process.stdout.write(String(Date.now()));
setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdLockMs});`;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  setTimeout(
    () => {
      const child = spawn(process.execPath, ['-e', holder, join(dir, 'gw.db'), driver], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // The holder's own clock: this loop may be waiting on that very lock when the message comes.
      child.stdout.once('data', (at: Buffer) => {
        lockTakenAt = Number(at.toString());
      });
    },
    (seconds * 1000) / 3,
  );
}
const inFlight = new Set<Promise<void>>();
// Every 2 ms the decisions due since the last tick (small group commits, as many lanes and requests give): a starved loop catches up in larger group commits.
const t0 = performance.now();
let submitted = 0;
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = performance.now() - t0;
    if (elapsed >= seconds * 1000) {
      clearInterval(tick);
      resolve();
      return;
    }
    const due = Math.floor((elapsed / 1000) * rate) - submitted;
    for (let k = 0; k < due; k++) {
      const p = decide();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    submitted += Math.max(0, due);
  }, 2);
});
await Promise.all(inFlight);
loopDelay.disable();
clearInterval(heartbeat);
clearInterval(walSampler);
clearInterval(probeTimer);
for (const s of stressors) s.kill();
const checkpoints = store.checkpoints();
const lockRetries = store.lockRetries?.();
store.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  label: values.label,
  seconds,
  rate,
  stressors: cpuStressors,
  ioStressors: Number(values['io-stressors']),
  walMaxMb,
  readerEveryMs,
  submitted,
  committed,
  rejected,
  outages,
  outageMs: Math.round(outageMs),
  lockRetries,
  holdLockMs,
  outageDeclaredAfterLockMs:
    lockTakenAt === undefined
      ? undefined
      : Math.round((outageStarts.find((at) => at >= lockTakenAt!) ?? Number.NaN) - lockTakenAt),
  stillInOutageAtEnd: store.outage() !== null,
  commitMs: summarize(commitMs),
  writerTruncates: writerTruncateMs.length,
  longestWriterTruncateMs: Math.round(Math.max(0, ...writerTruncateMs)),
  largestWalMb: Math.round((largestWalBytes / 1048576) * 10) / 10,
  longestLoopStallMs: Math.round(loopDelay.max / 1e6),
  loopStallsOver50Ms,
  checkpoints,
};
console.log(JSON.stringify(result));
console.log(`written to ${writeResult(`checkpoint-stall-${values.label}`, result)}`);
