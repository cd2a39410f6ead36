// Preloaded into the daemon by `bench/verify-rate.ts --cpu-prof-dir DIR` (NODE_OPTIONS=--import=...): node 20
// refuses --cpu-prof in NODE_OPTIONS, and a whole-life profile is mostly start-up and idle time anyway. So
// V8's sampling profiler runs through the inspector between two SIGUSR2s, the benchmark's load window: the
// first starts it, the second writes DIR/daemon-PID-N.cpuprofile.
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.GATE06_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 250 µs: fine enough over a run of thousands of requests, coarse enough not to slow the daemon into refusals.
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  let running = false;
  let written = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const file = join(dir, `daemon-${process.pid}-${++written}.cpuprofile`);
      // Renamed when complete: the benchmark waits for this name.
      writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
      renameSync(`${file}.tmp`, file);
    });
  });
}
