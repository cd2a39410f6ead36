// Lane latency: from a QR frame written to the scanner's pseudo-terminal to the unlock command arriving on
// the turnstile's pseudo-terminal, through the real daemon (`gate06 gateway`, its own process) and its real
// serial drivers. Run: node --import tsx bench/lane-latency.ts [--presentations 1000]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startDaemon, writeConfig } from '../sim/daemon.js';
import { demoConfig, ticket } from '../sim/demo-site.js';
import { hasSocat, SOCAT_MISSING } from '../sim/pty.js';
import { SimRig } from '../sim/rig.js';
import { summarize, writeResult } from './stats.js';

export async function laneLatency(presentations: number): Promise<Record<string, unknown>> {
  if (!hasSocat()) throw new Error(SOCAT_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'gate06-bench-lane-'));
  const config = demoConfig((c) => {
    c.log.level = 'warn';
    // Every presentation is a new visitor with a day ticket; anti-passback would only add denials here.
    c.policy.antiPassback.enabled = false;
    for (const l of c.gate.lanes) l.turnstile.pollIntervalMs = Number(process.env.POLL_MS ?? 50);
  });
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty'), passMs: 80 });
  const daemon = await startDaemon(writeConfig(rig.config, dir));
  const samples: number[] = [];
  let missed = 0;
  try {
    const lanes = [...rig.lanes.values()];
    const tickets = await Promise.all(
      Array.from({ length: presentations }, (_, i) => ticket({ kind: 'day', tid: `T-bench-${i}` })),
    );
    const perLane = Math.ceil(presentations / lanes.length);
    const warmup = 20;
    // Lanes take turns: the simulator's own event loop is part of what is timed, so it must not be busy
    // with another lane while a presentation is measured.
    for (const [li, lane] of lanes.entries()) {
      for (let i = -warmup; i < perLane; i++) {
        // Warm-up presentations reuse a day ticket; measured ones each bring their own.
        const token = tickets[(li * perLane + Math.max(i, 0)) % tickets.length]!;
        const unlockedAt = new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), 2000);
          lane.turnstile.once('unlock', () => {
            clearTimeout(timer);
            resolve(performance.now());
          });
        });
        const sentAt = performance.now();
        await lane.qr.in!.scan(token);
        const at = await unlockedAt;
        if (at === null) missed++;
        else if (i >= 0) samples.push(at - sentAt);
        await lane.turnstile.pass('in');
        await new Promise((r) => setTimeout(r, 120));
      }
    }
  } finally {
    await daemon.stop();
    await rig.stop();
  }
  // The daemon's own view: credential decoded → decision committed, from the event log.
  const db = new Database(rig.config.store.path, { readonly: true });
  const decided = (
    db.prepare("SELECT latency_ms FROM events WHERE type = 'decision' ORDER BY seq").pluck().all() as number[]
  ).slice(2 * 20);
  db.close();
  return {
    presentations: samples.length,
    missedUnlocks: missed,
    frameToUnlockMs: summarize(samples),
    decodeToCommitMs: summarize(decided),
    targetP99Ms: 20,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { presentations: { type: 'string', default: '1000' } } });
  const result = await laneLatency(Number(values.presentations));
  console.log(JSON.stringify(result));
  writeResult('lane-latency', {
    command: 'node --import tsx bench/lane-latency.ts --presentations ' + values.presentations,
    ...result,
  });
}
