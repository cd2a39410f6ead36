// The store's share of a decision: read a ticket's uses and its holder's presence (the admission projections,
// in memory since issue #14), append the decision with its effects to the chained log (one INSERT), in group
// commits of 32 on a WAL file.
// Run: node --import tsx bench/store-hot-path.ts [--decisions 30000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventStore } from '../gateway/store/event-store.js';
import { factEvent } from '../gateway/store/types.js';
import { writeResult } from './stats.js';

const { values } = parseArgs({ options: { decisions: { type: 'string', default: '30000' } } });
const decisions = Number(values.decisions);
const dir = mkdtempSync(join(tmpdir(), 'gate06-hot-path-'));
const store = new EventStore({ path: join(dir, 'gw.db') });
const admission = store.repos.admission;

const decide = (i: number) =>
  store.commitSoon(() => {
    const tid = `T-${i % 2000}`;
    const subject = `tid:${tid}`;
    admission.ticketUses(tid);
    admission.presence(subject, 'main');
    return store.append({
      ...factEvent('decision', 'L1', { via: 'ticket' }, { direction: 'in', credential: 'ticket' }),
      decision: 'allow',
      reason: 'ok',
      latencyMs: 1.5,
      effects: { tid, uses: 1, presence: { subject, zone: 'main', inside: true } },
    });
  });

for (let i = 0; i < 2000; i++) await decide(i); // warm: statements prepared, pages cached
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < decisions; i += 32) await Promise.all(Array.from({ length: 32 }, (_, k) => decide(i + k)));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
store.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  decisions,
  groupCommit: 32,
  cpuUsPerDecision: Number(((cpu.user + cpu.system) / decisions).toFixed(1)),
  wallUsPerDecision: Number(((wallMs * 1000) / decisions).toFixed(1)),
};
console.log(JSON.stringify(result));
console.log(`written to ${writeResult('store-hot-path', result)}`);
