// gate06 bench (npm run bench): every benchmark in its own process, one after another, then BENCHMARKS.md
// from the JSON results. Speed is measured here and only here; the box is shared, so each benchmark
// compares against its own baseline in the same run where the targets are ratios.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeReport } from '../bench/report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED_FACES = join(ROOT, '../shared/faces');
const RESULTS = join(ROOT, 'bench/results');

const HELP = `usage: gate06 bench [--only NAME,...] [--quick] [--report-only]

Runs the benchmarks and writes bench/results/*.json and BENCHMARKS.md:
  verify     POST /v1/verify (tickets, durable log) vs a bare fastify route, same run; again pinned
             (servers on core 1, load generator on core 0, with taskset)
  lane       QR frame in on the scanner pty -> unlock command on the turnstile pty, through the daemon
  icao       chip parsing + passive authentication per card
  chip       CPU per chip session (PACE + CA + DG1/DG13/SOD + passive authentication), host vs simulated
             chip, APDUs and bytes per session, radio time at 106/212/424 kbit/s
  face       face pipeline per stage, 1:N search at 1k/10k, RSS (and eval on ../shared/faces when present)
  collector  collector ingest from 1,000 simulated gates vs a bare subscriber, SQLite and PostgreSQL`;

const BENCHES: Record<string, (quick: boolean) => string[][]> = {
  verify: (q) => [
    ['--import', 'tsx', 'bench/verify-rate.ts', '--seconds', q ? '3' : '10'],
    // The same with the servers and the load generator on different cores (needs taskset and 2 cores).
    ['--import', 'tsx', 'bench/verify-rate.ts', '--seconds', q ? '3' : '10', '--pin'],
  ],
  lane: (q) => [['--import', 'tsx', 'bench/lane-latency.ts', '--presentations', q ? '200' : '1000']],
  icao: () => [['--import', 'tsx', 'bench/icao.ts']],
  chip: (q) => [['--import', 'tsx', 'bench/chip-session.ts', q ? '20' : '100']],
  face: (q) => [
    ['bin/gate06.mjs', 'face', 'bench', '--iterations', q ? '5' : '20', '--out', join(RESULTS, 'face-bench.json')],
    ...(existsSync(SHARED_FACES)
      ? [['bin/gate06.mjs', 'face', 'eval', '--dataset', SHARED_FACES, '--plot', join(RESULTS, 'face-roc-faces.svg')]]
      : []),
  ],
  collector: () => [['--import', 'tsx', 'bench/collector.ts']],
};

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean' },
      'report-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const names = values.only ? values.only.split(',') : Object.keys(BENCHES);
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    console.error(`gate06 bench: unknown benchmark(s) ${unknown.join(', ')}\n\n${HELP}`);
    return 2;
  }
  let failed = 0;
  if (!values['report-only']) {
    for (const name of names) {
      for (const args of BENCHES[name]!(Boolean(values.quick))) {
        console.error(`# bench ${name}: node ${args.join(' ')}`);
        const r = spawnSync(process.execPath, args, {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
          encoding: 'utf8',
        });
        process.stdout.write(r.stdout ?? '');
        if (name === 'face' && args.includes('eval') && r.status === 0) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(
            join(RESULTS, 'face-eval-latest.json'),
            `${JSON.stringify({ command: `gate06 face eval --dataset ../shared/faces`, result: JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') }, null, 2)}\n`,
          );
        }
        if (r.status !== 0) {
          failed++;
          console.error(`# bench ${name} failed with exit ${r.status}`);
        }
      }
    }
  }
  const file = writeReport(RESULTS, join(ROOT, 'BENCHMARKS.md'));
  console.error(`# wrote ${file}`);
  return failed ? 1 : 0;
}
