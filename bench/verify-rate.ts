// POST /v1/verify with valid tickets and durable logging, against a bare fastify route, in one run.
// Both servers run as their own processes; autocannon drives them from this one, bare → verify → bare,
// and the ratio uses the mean of the two bare runs so drift on a shared box affects both sides alike.
// Runs: actuating (every allow unlocks a lane and, with nobody passing, times out), walk-through (the same with
// simulated people passing after each unlock), handheld (`actuate: false`) and first-seen tickets.
// Run: node --import tsx bench/verify-rate.ts [--seconds 10] [--connections 10] [--pin] [--runs a,b]
//        [--cpu-prof-dir DIR] [--result NAME]
// --pin: the servers on core 1, autocannon and the simulator on core 0 (taskset); result verify-rate-pinned.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { Direction } from '../contracts/direction.js';
import { startDaemon, writeConfig } from '../sim/daemon.js';
import { DEVICE_TOKEN, demoConfig, ROOT, ticket } from '../sim/demo-site.js';
import { SimRig } from '../sim/rig.js';
import { writeResult } from './stats.js';

/**
 * CPU time (user + system, all threads) a process has used, in µs, from /proc; null where there is no /proc.
 * With the rates this says where a run's time goes: a server that uses a whole core per request rate is
 * CPU-bound, and the load generator's share is CPU the server under test cannot have on a 2-core box.
 */
function processCpuUs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
  } catch {
    return null;
  }
}

async function startBare(): Promise<{ url: string; pid: number | undefined; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/bare-server.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  return { url, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/**
 * What a server spends with no request at all, in µs of CPU per second of wall time. The daemon drives its
 * simulated devices whatever the load (the turnstiles' Modbus input polls every 50 ms, each serial port's
 * presence check, the WAL checkpointer's timer, telemetry): on a run of a few thousand requests a second that is
 * tens of µs a request that no request caused, and the bare route has none of it. Measured after `settleMs`
 * so the last run's tail (a checkpoint, timeouts of its grants) is not counted as idle.
 */
async function idleCpuUsPerSecond(pid: number | undefined, ms = 3000, settleMs = 1500): Promise<number | null> {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const cpu0 = processCpuUs(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const cpu1 = processCpuUs(pid);
  if (cpu0 === null || cpu1 === null) return null;
  return Math.round(((cpu1 - cpu0) * 1000) / (performance.now() - t0));
}

async function load(
  url: string,
  pid: number | undefined,
  bodies: string[],
  seconds: number,
  connections: number,
  idleUsPerSecond: number | null = null,
) {
  let i = 0;
  const serverCpu0 = processCpuUs(pid);
  const loadCpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const r = await autocannon({
    url: `${url}/v1/verify`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  const serverCpu1 = processCpuUs(pid);
  const wallUs = (performance.now() - wall0) * 1000;
  const loadCpu = process.cpuUsage(loadCpu0);
  const perRequest = (us: number) => Math.round(us / Math.max(1, r.requests.total));
  const serverCpuUs = serverCpu0 === null || serverCpu1 === null ? null : serverCpu1 - serverCpu0;
  return {
    requestsPerSec: r.requests.average,
    total: r.requests.total,
    serverCpuUsPerRequest: serverCpuUs === null ? null : perRequest(serverCpuUs),
    // The same, less what the server spends idle over the run's wall time (idleCpuUsPerSecond).
    serverCpuUsPerRequestNet:
      serverCpuUs === null || idleUsPerSecond === null
        ? null
        : perRequest(Math.max(0, serverCpuUs - (idleUsPerSecond * wallUs) / 1e6)),
    serverCpuShare:
      serverCpu0 === null || serverCpu1 === null ? null : round3((serverCpu1 - serverCpu0) / (seconds * 1e6)),
    // This process: autocannon and the simulator rig (idle unless lanes actuate).
    loadGeneratorCpuUsPerRequest: perRequest(loadCpu.user + loadCpu.system),
    non2xx: r.non2xx,
    ...(r.non2xx ? { statusCodes: r.statusCodeStats } : {}),
    errors: r.errors,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The runs a full benchmark makes, in order; `--runs` picks some (the bare route always runs, it is the baseline). */
export const RUNS = ['walk-through', 'actuating', 'handheld', 'first-seen'] as const;
export type RunName = (typeof RUNS)[number];

export interface VerifyRateOptions {
  seconds: number;
  connections: number;
  /**
   * Pin the daemon and the bare server to core 1 and this process (autocannon, the simulator rig) to core 0,
   * so the server under test never waits for the load generator's core (and the reverse).
   */
  pin?: boolean;
  runs?: readonly RunName[];
  /** Where the daemon writes a CPU profile of the whole run when it stops (bench/cpu-profile-preload.mjs). */
  cpuProfDir?: string;
}

export const PIN_LOAD_CORE = 0;
export const PIN_SERVER_CORE = 1;

/** taskset's arguments to move every thread of `pid` onto one core (later threads inherit it). */
export const pinArgs = (pid: number, core: number): string[] => ['-a', '-p', '-c', String(core), String(pid)];

/** Moves a running process, all its threads, onto one core; throws a clear error where that cannot be done. */
export function pinProcess(pid: number, core: number, run = spawnSync): void {
  const r = run('taskset', pinArgs(pid, core), { encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? '--pin needs taskset (util-linux; apt-get install util-linux), which is not on PATH'
        : `--pin: taskset failed: ${r.error.message}`,
    );
  }
  if (r.status !== 0)
    throw new Error(`--pin: taskset ${pinArgs(pid, core).join(' ')} failed: ${String(r.stderr).trim()}`);
}

/** Before anything starts: pinning needs two cores and taskset. */
export function checkPinnable(cores = availableParallelism(), run = spawnSync): void {
  if (cores < 2) throw new Error(`--pin needs at least 2 cores, this machine has ${cores}`);
  const r = run('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
  if (r.error) pinProcess(process.pid, PIN_LOAD_CORE, run); // throws the clear error
}

/** How long a simulated person keeps the passage sensor active, and the gap before the next one: each at
 * least two of the turnstile's 50 ms input polls, so both edges are seen even on a busy daemon. */
const WALK_MS = 150;

/**
 * Simulated people at every lane: after each unlock one person walks through (sensor on, then clear), one at
 * a time, as at a real turnstile; the lane logs the passage and re-pulses for its next grant. At request
 * rates no turnstile can pass, the grants beyond the lane's queue still time out.
 */
function startWalkers(rig: SimRig): { stop: () => void; walked: () => number } {
  let walked = 0;
  let stopped = false;
  const unhook: Array<() => void> = [];
  for (const lane of rig.lanes.values()) {
    const t = lane.turnstile;
    const waiting = { in: 0, out: 0 };
    const walking = { in: false, out: false };
    const walk = async (d: Direction): Promise<void> => {
      walking[d] = true;
      while (waiting[d] > 0 && !stopped) {
        waiting[d]--;
        await t.holdSensor(d, WALK_MS);
        walked++;
        await new Promise((r) => setTimeout(r, WALK_MS));
      }
      walking[d] = false;
    };
    const onUnlock = (d: Direction): void => {
      waiting[d] = Math.min(waiting[d] + 1, 8);
      if (!walking[d]) void walk(d);
    };
    t.on('unlock', onUnlock);
    unhook.push(() => t.off('unlock', onUnlock));
  }
  return {
    stop: () => {
      stopped = true;
      for (const u of unhook) u();
    },
    walked: () => walked,
  };
}

/** Sums of the daemon's counters that tell what a run did at the lanes: allows and logged passages. */
async function laneCounters(url: string): Promise<{ allows: number; passages: number }> {
  const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } }).then((r) =>
    r.text(),
  );
  const sum = (re: RegExp) =>
    text
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    allows: sum(/^gate06_decisions_total\{[^}]*decision="allow"/),
    passages: sum(/^gate06_passages_total\{/),
  };
}

/** Distinct warning-or-worse lines of the daemon's log, the first few, for a run that was refused. */
const daemonWarnings = (log: string): string[] =>
  [
    ...new Set(
      log
        .split('\n')
        .filter((l) => /"level":(40|50|60)/.test(l))
        .map((l) => l.replace(/"time":"[^"]*",?/, '').slice(0, 400)),
    ),
  ].slice(0, 5);

export async function verifyRate(opts: VerifyRateOptions): Promise<Record<string, unknown>> {
  const { seconds, connections } = opts;
  const runs = new Set<RunName>(opts.runs ?? RUNS);
  if (opts.pin) {
    checkPinnable();
    // First, so the simulator's socat processes and every child spawned below start on the load core.
    pinProcess(process.pid, PIN_LOAD_CORE);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gate06-bench-verify-'));
  const config = demoConfig((c) => {
    c.log.level = 'warn';
    // Each request is a different visitor; without this, repeats of the same ticket would be denials.
    c.policy.antiPassback.enabled = false;
  });
  const rig = await SimRig.start(config, { transport: SimRig.defaultTransport(), dir: join(dir, 'tty') });
  if (rig.transport === 'mock') throw new Error('verify-rate needs socat: the daemon runs in its own process');
  const daemon = await startDaemon(
    writeConfig(rig.config, dir),
    opts.cpuProfDir
      ? {
          NODE_OPTIONS: `--import=${join(ROOT, 'bench/cpu-profile-preload.mjs')}`,
          GATE06_CPU_PROF_DIR: opts.cpuProfDir,
        }
      : {},
  );
  const bare = await startBare();
  if (opts.pin) {
    pinProcess(daemon.child.pid!, PIN_SERVER_CORE);
    pinProcess(bare.pid!, PIN_SERVER_CORE);
  }
  const tokens = await Promise.all(Array.from({ length: 2000 }, (_, n) => ticket({ kind: 'day', tid: `T-rate-${n}` })));
  // Tickets nobody has shown yet: each request pays the full Ed25519 check (the runs above mostly reuse
  // the gateway's memory of tickets it has verified, as exits, re-entries and season passes do).
  const firstSeen = runs.has('first-seen')
    ? await Promise.all(
        Array.from({ length: Math.ceil(seconds * 4000) }, (_, n) => ticket({ kind: 'day', tid: `T-first-${n}` })),
      )
    : [];
  const bodies = tokens.map((token, n) =>
    JSON.stringify({ lane: n % 2 ? 'L1' : 'L2', credential: { kind: 'ticket', token } }),
  );
  // The same requests as a handheld sends them: verified and logged, no turnstile grant.
  const handheld = tokens.map((token, n) =>
    JSON.stringify({ lane: n % 2 ? 'L1' : 'L2', credential: { kind: 'ticket', token }, actuate: false }),
  );
  const firstSeenBodies = firstSeen.map((token, n) =>
    JSON.stringify({ lane: n % 2 ? 'L1' : 'L2', credential: { kind: 'ticket', token }, actuate: false }),
  );
  const pid = daemon.child.pid;
  const profiles: Record<string, string> = {};
  const idle: { daemon: number | null; bare: number | null } = { daemon: null, bare: null };
  /** A daemon run, profiled on its own when --cpu-prof-dir is given (bench/cpu-profile-preload.mjs). */
  const daemonRun = async (name: RunName, requests: string[]) => {
    if (!opts.cpuProfDir) return load(daemon.url, pid, requests, seconds, connections, idle.daemon);
    process.kill(pid!, 'SIGUSR2');
    const r = await load(daemon.url, pid, requests, seconds, connections, idle.daemon);
    process.kill(pid!, 'SIGUSR2');
    const written = join(opts.cpuProfDir, `daemon-${pid}-${Object.keys(profiles).length + 1}.cpuprofile`);
    for (let waited = 0; !existsSync(written); waited += 100) {
      if (waited > 30_000) throw new Error(`the daemon wrote no profile ${written}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    profiles[name] = join(opts.cpuProfDir, `${name}.cpuprofile`);
    renameSync(written, profiles[name]);
    return r;
  };
  try {
    // Warm-up (JIT, prepared statements) without a grant, so the lanes are idle when the walk-through starts.
    await load(daemon.url, pid, handheld, 2, connections);
    await load(bare.url, bare.pid, bodies, 2, connections);
    idle.daemon = await idleCpuUsPerSecond(pid);
    idle.bare = await idleCpuUsPerSecond(bare.pid, 3000, 0);
    const bare1 = await load(bare.url, bare.pid, bodies, seconds, connections, idle.bare);
    // Before the actuating run: its grants fill every lane's queue, and a walker starts on a lane's next unlock.
    let verifyWalkThrough: Record<string, unknown> | undefined;
    if (runs.has('walk-through')) {
      const before = await laneCounters(daemon.url);
      const walkers = startWalkers(rig);
      const r = await daemonRun('walk-through', bodies);
      walkers.stop();
      const after = await laneCounters(daemon.url);
      verifyWalkThrough = {
        ...r,
        allows: after.allows - before.allows,
        passagesLogged: after.passages - before.passages,
        walked: walkers.walked(),
      };
    }
    const verify = runs.has('actuating') ? await daemonRun('actuating', bodies) : undefined;
    const verifyOnly = runs.has('handheld') ? await daemonRun('handheld', handheld) : undefined;
    const verifyFirstSeen = runs.has('first-seen') ? await daemonRun('first-seen', firstSeenBodies) : undefined;
    const bare2 = await load(bare.url, bare.pid, bodies, seconds, connections, idle.bare);
    const bareRate = (bare1.requestsPerSec + bare2.requestsPerSec) / 2;
    const bareCpu =
      bare1.serverCpuUsPerRequest !== null && bare2.serverCpuUsPerRequest !== null
        ? (bare1.serverCpuUsPerRequest + bare2.serverCpuUsPerRequest) / 2
        : null;
    const ratio = (r: { requestsPerSec: number } | undefined) => (r ? round3(r.requestsPerSec / bareRate) : undefined);
    const cpuTimesBare = (r: { serverCpuUsPerRequest: number | null } | undefined) =>
      r && r.serverCpuUsPerRequest !== null && bareCpu ? round3(r.serverCpuUsPerRequest / bareCpu) : undefined;
    const bareCpuNet =
      bare1.serverCpuUsPerRequestNet !== null && bare2.serverCpuUsPerRequestNet !== null
        ? (bare1.serverCpuUsPerRequestNet + bare2.serverCpuUsPerRequestNet) / 2
        : null;
    const cpuTimesBareNet = (r: { serverCpuUsPerRequestNet: number | null } | undefined) =>
      r && r.serverCpuUsPerRequestNet !== null && bareCpuNet
        ? round3(r.serverCpuUsPerRequestNet / bareCpuNet)
        : undefined;
    return {
      seconds,
      connections,
      pinned: opts.pin ? { server: PIN_SERVER_CORE, loadGenerator: PIN_LOAD_CORE } : false,
      bare: [bare1, bare2],
      verify,
      verifyWalkThrough,
      verifyOnly,
      verifyFirstSeen,
      ratio: ratio(verify),
      ratioWalkThrough: ratio(verifyWalkThrough as { requestsPerSec: number } | undefined),
      ratioVerifyOnly: ratio(verifyOnly),
      ratioFirstSeen: ratio(verifyFirstSeen),
      // Server CPU per request as a multiple of the bare route's (mean of its two runs): the issue #14 targets.
      cpuTimesBare: {
        actuating: cpuTimesBare(verify),
        walkThrough: cpuTimesBare(verifyWalkThrough as { serverCpuUsPerRequest: number | null } | undefined),
        handheld: cpuTimesBare(verifyOnly),
        firstSeen: cpuTimesBare(verifyFirstSeen),
      },
      // The same, each server's idle CPU taken out first (idleCpuUsPerSecond): what the requests themselves cost.
      idleCpuUsPerSecond: idle,
      cpuTimesBareNet: {
        actuating: cpuTimesBareNet(verify),
        walkThrough: cpuTimesBareNet(verifyWalkThrough as { serverCpuUsPerRequestNet: number | null } | undefined),
        handheld: cpuTimesBareNet(verifyOnly),
        firstSeen: cpuTimesBareNet(verifyFirstSeen),
      },
      targetCpuTimesBare: { handheld: 2.0, actuating: 2.5 },
      firstSeenTickets: firstSeen.length,
      // Requests past the list reuse a ticket already verified in this run; the first-seen rate is exact when 0.
      firstSeenRepeats: verifyFirstSeen ? Math.max(0, verifyFirstSeen.total - firstSeen.length) : undefined,
      targetRatio: 0.5,
      ...(opts.cpuProfDir ? { profiles } : {}),
      // Why a run had refusals (a 503 is a decision the store could not commit): the daemon's first warnings.
      ...([verify, verifyOnly, verifyFirstSeen, verifyWalkThrough].some((r) => r?.non2xx)
        ? { daemonWarnings: daemonWarnings(daemon.output()) }
        : {}),
    };
  } finally {
    bare.stop();
    await daemon.stop();
    await rig.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      pin: { type: 'boolean', default: false },
      runs: { type: 'string' },
      // A profile of the daemon (written when it stops): --cpu-prof-dir DIR.
      'cpu-prof-dir': { type: 'string' },
      // bench/experiments/*.sh run this from a patched tree and keep their result under another name.
      result: { type: 'string' },
    },
  });
  const runs = values.runs?.split(',') as RunName[] | undefined;
  const unknown = runs?.filter((r) => !RUNS.includes(r));
  if (unknown?.length) throw new Error(`--runs: unknown ${unknown.join(', ')} (known: ${RUNS.join(', ')})`);
  const result = await verifyRate({
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    pin: values.pin,
    runs,
    cpuProfDir: values['cpu-prof-dir'],
  });
  console.log(JSON.stringify(result));
  const name = values.result ?? (values.pin ? 'verify-rate-pinned' : 'verify-rate');
  const defaultName = values.pin ? 'verify-rate-pinned' : 'verify-rate';
  writeResult(name, {
    command: `node --import tsx bench/verify-rate.ts --seconds ${values.seconds} --connections ${values.connections}${values.pin ? ' --pin' : ''}${runs ? ` --runs ${runs.join(',')}` : ''}${name === defaultName ? '' : ` --result ${name}`}`,
    ...result,
  });
}
