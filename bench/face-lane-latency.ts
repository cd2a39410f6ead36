// Face lane latency: the industrial-park lane of the demo (W1: the worker's CCCD QR, then the live face
// identified 1:N among the enrolled workers, liveness required), through the real daemon (`gate06 gateway`,
// its own process), its serial drivers on pseudo-terminals and its MJPEG camera driver on the simulated
// camera. Timed from the QR line written on the scanner's pty to the unlock request arriving on the
// turnstile's pty: credential in → face burst and verdict → decision committed → unlock out.
// Run: node --import tsx bench/face-lane-latency.ts [--presentations 40]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startDaemon, writeConfig } from '../sim/daemon.js';
import { demoConfig } from '../sim/demo-site.js';
import { scenes } from '../sim/devices/virtual-camera.js';
import {
  addFaceLanes,
  enrollParkWorkers,
  liveScene,
  loadSimPipeline,
  PARK_LANE,
  PARK_WORKERS,
  simFace,
  startFaceCameras,
} from '../sim/face-lanes.js';
import { cccdQrText } from '../sim/people/population.js';
import { hasSocat, SOCAT_MISSING } from '../sim/pty.js';
import { SimRig } from '../sim/rig.js';
import { summarize, writeResult } from './stats.js';

/** The burst the lanes take by default (gateway/face/face-check.ts): 15 frames 100 ms apart. */
const BURST_FRAMES = 15;
// A decision waits for the burst (1.4 s at least) and its analysis; on a loaded 2-core box, several seconds.
const UNLOCK_WAIT_MS = 30_000;

export async function faceLaneLatency(presentations: number): Promise<Record<string, unknown>> {
  if (!hasSocat()) throw new Error(SOCAT_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'gate06-bench-face-lane-'));
  const cameras = await startFaceCameras();
  const pipeline = await loadSimPipeline(demoConfig());
  if ('unavailable' in pipeline) throw new Error(pipeline.unavailable);
  const config = demoConfig((c) => {
    c.log.level = 'warn';
    // The same worker comes in again and again: anti-passback would only add denials here.
    c.policy.antiPassback.enabled = false;
    addFaceLanes(c, { station: cameras.station.url, park: cameras.park.url });
  });
  await enrollParkWorkers(config, pipeline);
  // The worker at the camera all along: the honest live scene of the demo (another photo than the enrolled one).
  cameras.park.show(await liveScene(pipeline, simFace('p1-img11.jpg')));
  const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty'), passMs: 80 });
  const daemon = await startDaemon(writeConfig(rig.config, dir));
  const samples: number[] = [];
  const load: number[] = [];
  let missed = 0;
  try {
    const lane = rig.lane(PARK_LANE);
    const qr = cccdQrText(PARK_WORKERS[0]!.person);
    const warmup = 2;
    for (let i = -warmup; i < presentations; i++) {
      const unlockedAt = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), UNLOCK_WAIT_MS);
        lane.turnstile.once('unlock', () => {
          clearTimeout(timer);
          resolve(performance.now());
        });
      });
      const sentAt = performance.now();
      await lane.qr.in!.scan(qr);
      const at = await unlockedAt;
      if (at === null) missed++;
      else {
        if (i >= 0) samples.push(at - sentAt);
        await lane.turnstile.pass('in');
      }
      load.push(loadavg()[0]!);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await daemon.stop();
    await rig.stop();
    cameras.park.show(scenes.empty());
    await Promise.allSettled([cameras.station.stop(), cameras.park.stop()]);
    await pipeline.release();
  }
  // The daemon's own view: QR decoded → decision committed (the burst and the face check inside), per event.
  const db = new Database(rig.config.store.path, { readonly: true });
  const rows = (
    db
      .prepare("SELECT latency_ms AS ms, decision, facts FROM events WHERE type = 'decision' AND lane = ? ORDER BY seq")
      .all(PARK_LANE) as Array<{ ms: number; decision: string; facts: string }>
  ).slice(2);
  db.close();
  const facts = rows.map((r) => JSON.parse(r.facts) as Record<string, unknown>);
  return {
    presentations: samples.length,
    burstFrames: BURST_FRAMES,
    missedUnlocks: missed,
    credentialToUnlockMs: summarize(samples),
    decodeToCommitMs: summarize(rows.map((r) => r.ms)),
    decisions: {
      allow: rows.filter((r) => r.decision === 'allow').length,
      deny: rows.filter((r) => r.decision !== 'allow').length,
    },
    blinkPrompts: facts.filter((f) => f.livenessRetry === true).length,
    loadAverage1m: { min: Math.min(...load), max: Math.max(...load) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { presentations: { type: 'string', default: '40' } } });
  const result = await faceLaneLatency(Number(values.presentations));
  console.log(JSON.stringify(result));
  writeResult('face-lane-latency', {
    command: `node --import tsx bench/face-lane-latency.ts --presentations ${values.presentations}`,
    ...result,
  });
}
