// POST /v1/verify with valid tickets and durable logging, against a bare fastify route, in one run.
// Both servers run as their own processes; autocannon drives them from this one, bare → verify → bare,
// and the ratio uses the mean of the two bare runs so drift on a shared box affects both sides alike.
// Run: node --import tsx bench/verify-rate.ts [--seconds 10] [--connections 10] [--result NAME]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
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

async function load(url: string, pid: number | undefined, bodies: string[], seconds: number, connections: number) {
  let i = 0;
  const serverCpu0 = processCpuUs(pid);
  const loadCpu0 = process.cpuUsage();
  const r = await autocannon({
    url: `${url}/v1/verify`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  const serverCpu1 = processCpuUs(pid);
  const loadCpu = process.cpuUsage(loadCpu0);
  const perRequest = (us: number) => Math.round(us / Math.max(1, r.requests.total));
  return {
    requestsPerSec: r.requests.average,
    total: r.requests.total,
    serverCpuUsPerRequest: serverCpu0 === null || serverCpu1 === null ? null : perRequest(serverCpu1 - serverCpu0),
    serverCpuShare:
      serverCpu0 === null || serverCpu1 === null ? null : round3((serverCpu1 - serverCpu0) / (seconds * 1e6)),
    // This process: autocannon and the simulator rig (idle unless lanes actuate).
    loadGeneratorCpuUsPerRequest: perRequest(loadCpu.user + loadCpu.system),
    non2xx: r.non2xx,
    errors: r.errors,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function verifyRate(seconds: number, connections: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-bench-verify-'));
  const config = demoConfig((c) => {
    c.log.level = 'warn';
    // Each request is a different visitor; without this, repeats of the same ticket would be denials.
    c.policy.antiPassback.enabled = false;
  });
  const rig = await SimRig.start(config, { transport: SimRig.defaultTransport(), dir: join(dir, 'tty') });
  if (rig.transport === 'mock') throw new Error('verify-rate needs socat: the daemon runs in its own process');
  const daemon = await startDaemon(writeConfig(rig.config, dir));
  const bare = await startBare();
  const tokens = await Promise.all(Array.from({ length: 2000 }, (_, n) => ticket({ kind: 'day', tid: `T-rate-${n}` })));
  // Tickets nobody has shown yet: each request pays the full Ed25519 check (the runs above mostly reuse
  // the gateway's memory of tickets it has verified, as exits, re-entries and season passes do).
  const firstSeen = await Promise.all(
    Array.from({ length: Math.ceil(seconds * 4000) }, (_, n) => ticket({ kind: 'day', tid: `T-first-${n}` })),
  );
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
  try {
    await load(daemon.url, daemon.child.pid, bodies, 2, connections); // warm-up: JIT, prepared statements
    await load(bare.url, bare.pid, bodies, 2, connections);
    const bare1 = await load(bare.url, bare.pid, bodies, seconds, connections);
    const verify = await load(daemon.url, daemon.child.pid, bodies, seconds, connections);
    const verifyOnly = await load(daemon.url, daemon.child.pid, handheld, seconds, connections);
    const verifyFirstSeen = await load(daemon.url, daemon.child.pid, firstSeenBodies, seconds, connections);
    const bare2 = await load(bare.url, bare.pid, bodies, seconds, connections);
    const bareRate = (bare1.requestsPerSec + bare2.requestsPerSec) / 2;
    const ratio = (r: { requestsPerSec: number }) => round3(r.requestsPerSec / bareRate);
    return {
      seconds,
      connections,
      bare: [bare1, bare2],
      verify,
      verifyOnly,
      verifyFirstSeen,
      ratio: ratio(verify),
      ratioVerifyOnly: ratio(verifyOnly),
      ratioFirstSeen: ratio(verifyFirstSeen),
      firstSeenTickets: firstSeen.length,
      // Requests past the list reuse a ticket already verified in this run; the first-seen rate is exact when 0.
      firstSeenRepeats: Math.max(0, verifyFirstSeen.total - firstSeen.length),
      targetRatio: 0.5,
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
      // bench/experiments/*.sh run this from a patched tree and keep their result under another name.
      result: { type: 'string', default: 'verify-rate' },
    },
  });
  const result = await verifyRate(Number(values.seconds), Number(values.connections));
  console.log(JSON.stringify(result));
  writeResult(values.result, {
    command: `node --import tsx bench/verify-rate.ts --seconds ${values.seconds} --connections ${values.connections}${values.result === 'verify-rate' ? '' : ` --result ${values.result}`}`,
    ...result,
  });
}
