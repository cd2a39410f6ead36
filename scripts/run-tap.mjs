// Runs tap and ends with a plain "N passed, N failed" line that CI reads (tap's own summary is a TAP
// comment CI does not parse). Keeps tap's exit code. Before that line it lists every failed test with the
// subtests that lead to it, so a failure deep in a 10-minute log can be found from the log's tail.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '-R', 'tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
let partial = '';
/** The open "# Subtest: name" lines by indentation, to name a failure by its path. */
const openSubtests = [];
const failures = [];
function readLine(line) {
  const subtest = /^( *)# Subtest: (.*)$/.exec(line);
  if (subtest) {
    const depth = subtest[1].length / 4;
    openSubtests.length = depth;
    openSubtests[depth] = subtest[2];
    return;
  }
  const failed = /^( *)not ok \d+ - (.*?)(?: # time=.*)?$/.exec(line);
  if (failed) {
    const depth = failed[1].length / 4;
    // A failed parent repeats its failed child's path: list only the deepest failure of each path.
    const path = [...openSubtests.slice(0, depth), failed[2]].join(' > ');
    if (!failures.some((f) => f.startsWith(path))) failures.push(path);
  }
}
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  tail = (tail + d).slice(-8192);
  const lines = (partial + d).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) readLine(line);
});
child.on('close', (code, signal) => {
  if (partial) readLine(partial);
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
  for (const f of failures) console.log(`failed: ${f}`);
  console.log(`tap: ${(counts.skip ?? 0) + (counts.todo ?? 0)} skipped`);
  // The last line, exactly as CI reads it.
  console.log(`${counts.pass ?? 0} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
