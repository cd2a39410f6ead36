// Runs tap and ends with a plain "N passed, N failed" line that CI reads (tap's own summary is a TAP
// comment CI does not parse). Keeps tap's exit code.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '-R', 'tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  tail = (tail + d).slice(-8192);
});
child.on('close', (code, signal) => {
  const m = [...tail.matchAll(/^# \{ (.*) \}$/gm)].pop();
  const counts = Object.fromEntries(
    (m?.[1] ?? '')
      .split(', ')
      .filter(Boolean)
      .map((kv) => {
        const [k, v] = kv.split(': ');
        return [k, Number(v)];
      }),
  );
  const failed = (counts.fail ?? 0) + (m ? 0 : 1);
  console.log(`tap: ${(counts.skip ?? 0) + (counts.todo ?? 0)} skipped`);
  // The last line, exactly as CI reads it.
  console.log(`${counts.pass ?? 0} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
