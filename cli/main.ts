// gate06: one binary, one subcommand per job. Each subcommand module exports run(argv) → exit code.
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  gateway: { summary: 'run the edge daemon: gate06 gateway -c FILE', load: () => import('./gateway.js') },
  demo: {
    summary: 'everything on simulated hardware, no setup: gate06 demo [--duration S]',
    load: () => import('./demo.js'),
  },
  sim: {
    summary: 'simulated hardware for a gateway config, or a fleet of gates: gate06 sim -c FILE | gate06 sim fleet ...',
    load: () => import('./sim.js'),
  },
  collector: { summary: 'run the central collector: gate06 collector -c FILE', load: () => import('./collector.js') },
  ticket: { summary: 'make demo and test tickets: gate06 ticket issue ...', load: () => import('./ticket.js') },
  log: { summary: 'the local event log: gate06 log verify -c FILE', load: () => import('./log.js') },
  icao: {
    summary: 'ICAO 9303 passive authentication: gate06 icao verify --sod FILE --trust PATH',
    load: () => import('./icao.js'),
  },
  chip: {
    summary: 'read a chip on a PC/SC reader and check it is genuine: gate06 chip read --reader NAME --can DIGITS',
    load: () => import('./chip.js'),
  },
  face: { summary: 'face models: gate06 face eval --dataset DIR | gate06 face bench', load: () => import('./face.js') },
  enroll: {
    summary: 'enroll a person for face identification: gate06 enroll -c FILE ...',
    load: () => import('./enroll.js'),
  },
  watchlist: {
    summary: 'sign a watchlist for a site (the IOC side): gate06 watchlist sign ...',
    load: () => import('./watchlist.js'),
  },
  cmd: {
    summary: 'send a signed IOC command to a gate: gate06 cmd send --verb V --site S --gate G --key F ...',
    load: () => import('./cmd.js'),
  },
  user: { summary: 'local console accounts: gate06 user add -c FILE ...', load: () => import('./user.js') },
  bench: { summary: 'run the benchmarks and write bench/results + BENCHMARKS.md', load: () => import('./bench.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: gate06 <command> [options]   (every command has --help)',
    '',
    ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`),
  ].join('\n');
}

const [name, ...argv] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(usage());
  process.exit(name ? 0 : 2);
}
const command = COMMANDS[name];
if (!command) {
  console.error(`gate06: unknown command "${name}"\n\n${usage()}`);
  process.exit(2);
}
try {
  const mod = await command.load();
  const code = await mod.run(argv);
  process.exitCode = code;
} catch (err) {
  console.error(`gate06 ${name}: ${(err as Error).message}`);
  process.exitCode = 1;
}
