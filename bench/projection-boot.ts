// Boot time and memory of the admission projections (issue #14): writes a log of N events for T tickets through
// the real store (each ticket: an entry decision spending a use and marking presence, its passage, an exit
// decision marking the holder out, its passage, a denied scan; every tenth entry times out and is refunded),
// then opens the file again and builds the projections from it, twice:
//   - after a crash: no checkpoint, the whole log is replayed (the worst case, as after kill -9);
//   - after a clean close: the checkpoint tables are loaded and nothing is replayed.
// Heap is measured after GC, before the open and after the build, with the store open.
// Run: node --expose-gc --import tsx bench/projection-boot.ts [--events 1000000] [--tickets 200000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventStore } from '../gateway/store/event-store.js';
import { type AdmissionEffects, factEvent, type NewEvent } from '../gateway/store/types.js';
import { writeResult } from './stats.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, tickets: { type: 'string', default: '200000' } },
});
const events = Number(values.events);
const tickets = Number(values.tickets);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const dir = mkdtempSync(join(tmpdir(), 'gate06-projection-boot-'));
const path = join(dir, 'gw.db');
const T0 = Date.UTC(2026, 0, 1);

const decision = (ts: number, direction: 'in' | 'out', effects?: AdmissionEffects): NewEvent => ({
  ...factEvent('decision', 'L1', { via: 'ticket' }, { ts, direction, credential: 'ticket' }),
  decision: effects ? 'allow' : 'deny',
  reason: effects ? 'ok' : 'policy.anti-passback',
  latencyMs: 2.5,
  ...(effects ? { effects } : {}),
});

/** The events of ticket i, in the order a lane writes them. */
function* visit(i: number, ts: number): Generator<NewEvent> {
  const tid = `T-${String(i).padStart(7, '0')}`;
  const subject = `tid:${tid}`;
  yield decision(ts, 'in', { tid, uses: 1, presence: { subject, zone: 'main', inside: true } });
  if (i % 10 === 9) {
    yield {
      ...factEvent('timeout', 'L1', { walkedAway: true }, { ts: ts + 8000, direction: 'in', credential: 'ticket' }),
      effects: { tid, uses: -1, presence: { subject, zone: 'main', inside: false } },
    };
    return;
  }
  yield factEvent('passage', 'L1', { via: 'ticket' }, { ts: ts + 2000, direction: 'in', credential: 'ticket' });
  yield decision(ts + 3_600_000, 'out', { presence: { subject, zone: 'main', inside: false } });
  yield factEvent('passage', 'L1', { via: 'ticket' }, { ts: ts + 3_602_000, direction: 'out', credential: 'ticket' });
  yield decision(ts + 3_700_000, 'in');
}

const writeStart = performance.now();
const writer = new EventStore({ path, synchronous: 'normal' });
let written = 0;
let withEffects = 0;
const BATCH = 5000;
let pending: NewEvent[] = [];
const flush = () => {
  writer.transaction(() => {
    for (const ev of pending) writer.append(ev);
  });
  pending = [];
};
// Round-robin over the tickets until the log holds `events` events: each ticket visits again, later.
for (let round = 0; written < events; round++) {
  for (let i = 0; i < tickets && written < events; i++) {
    for (const ev of visit(i, T0 + round * 86_400_000 + i * 400)) {
      if (written >= events) break;
      pending.push(ev);
      written++;
      if (ev.effects) withEffects++;
      if (pending.length >= BATCH) flush();
    }
  }
}
flush();
writer.closeWithoutCheckpoint();
const writeSeconds = (performance.now() - writeStart) / 1000;
const fileMb = statSync(path).size / 1e6;

function boot(label: string) {
  gc!();
  gc!();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const store = new EventStore({ path });
  store.repos.admission.load();
  const ms = performance.now() - t0;
  gc!();
  gc!();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  const size = store.repos.admission.size();
  const entries = size.tickets + size.presence;
  const r = {
    label,
    bootMs: Math.round(ms),
    projectionHeapMb: Number(heapMb.toFixed(1)),
    ticketEntries: size.tickets,
    presenceEntries: size.presence,
    bytesPerEntry: Math.round((heapMb * 1e6) / Math.max(1, entries)),
  };
  return { store, r };
}

const crash = boot('after kill -9: no checkpoint, the whole log replayed');
crash.store.close(); // writes the checkpoint
const clean = boot('after a clean close: checkpoint tables loaded, nothing replayed');
clean.store.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  command: `node --expose-gc --import tsx bench/projection-boot.ts --events ${events} --tickets ${tickets}`,
  events: written,
  eventsWithEffects: withEffects,
  tickets,
  fileMb: Number(fileMb.toFixed(1)),
  writeSeconds: Number(writeSeconds.toFixed(1)),
  boots: [crash.r, clean.r],
  targets: { bootMs: 3000, projectionHeapMb: 60 },
};
console.log(JSON.stringify(result, null, 2));
console.log(`written to ${writeResult('projection-boot', result)}`);
