// The top self-time items of a V8 .cpuprofile (node --cpu-prof), grouped by function and by where the code
// lives (a package, a folder of this project, node's own, native): where a request's microseconds go.
// Run: node --import tsx bench/cpuprofile-top.ts FILE.cpuprofile [--top 30] [--requests N]
// With --requests, times are also given per request (the profile's total divided by N).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a folder of this project, node internals, or V8's own buckets. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  const own = /\/(gateway|contracts|drivers|collector|sim|cli|bench)\/((?:[^/]+\/)*)/.exec(url);
  if (own) return `${own[1]}/${own[2]}`.replace(/\/$/, '');
  return url.replace(/^.*\//, '');
}

/**
 * Time with each function anywhere on the stack (each sample counted once per function): what a step costs
 * with everything it calls, e.g. the body validation or the decision as a whole.
 */
export function inclusiveTimes(profile: CpuProfile): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (!url) continue;
      const key = `${functionName || '(anonymous)'} ${placeOf(url, functionName)}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.set(key, (out.get(key) ?? 0) + dt);
    }
  }
  return out;
}

export function selfTimes(profile: CpuProfile): {
  totalUs: number;
  byFunction: Map<string, number>;
  byPlace: Map<string, number>;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
  }
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const place = placeOf(url, functionName);
    const key = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  return { totalUs, byFunction, byPlace };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, requests: { type: 'string' } },
  });
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
  const { totalUs, byFunction, byPlace } = selfTimes(profile);
  const top = Number(values.top);
  const perRequest = values.requests ? Number(values.requests) : 0;
  const line = (label: string, us: number) =>
    `${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${perRequest ? `${(us / perRequest).toFixed(2).padStart(7)} µs/req  ` : ''}${label}`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`total ${(totalUs / 1e6).toFixed(2)} s sampled${perRequest ? ` over ${perRequest} requests` : ''}`);
  console.log('\nby place (self time)');
  for (const [k, us] of sorted(byPlace)) console.log(line(k, us));
  console.log('\nby function (self time)');
  for (const [k, us] of sorted(byFunction)) console.log(line(k, us));
  console.log('\nby function, with what it calls (JavaScript frames)');
  for (const [k, us] of sorted(inclusiveTimes(profile))) console.log(line(k, us));
}
