import t from 'tap';
import { type Harness, startHarness } from './harness.js';

// The console is an ES module graph: if the server does not hand out one module of it with a JavaScript type,
// the browser refuses the whole graph and the console is a blank page. This walks the graph the way a browser
// does, from the page's module script through every relative import.
let h: Harness;
t.before(async () => {
  h = await startHarness();
});
t.teardown(() => h.stop());

const moduleScripts = (html: string): string[] =>
  [...html.matchAll(/<script\s+type="module"\s+src="([^"]+)"/g)].map((m) => m[1]);
const relativeImports = (source: string): string[] =>
  [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.\/[^']+)'/gm)].map((m) => m[1]);

t.test('every module of the console is served as JavaScript, from the page script down', async (t) => {
  const page = await fetch(`${h.url}/console/`);
  t.equal(page.status, 200);
  const queue = moduleScripts(await page.text()).map((src) => new URL(src, `${h.url}/console/`).href);
  t.ok(queue.length > 0, 'the page loads a module script');
  const seen = new Set<string>();
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const res = await fetch(url);
    t.equal(res.status, 200, url);
    t.match(res.headers.get('content-type') ?? '', /javascript/, `${url} is JavaScript`);
    for (const spec of relativeImports(await res.text())) queue.push(new URL(spec, url).href);
  }
  // The entry, the API client, and the views' modules at least: a graph this small means the walk is broken.
  t.ok(seen.size >= 8, `walked ${seen.size} modules`);
  for (const name of ['console.js', 'api.js', 'session.js', 'lanes.js', 'live.js', 'search.js', 'audit.js'])
    t.ok(
      [...seen].some((u) => u.endsWith(`/console/${name}`)),
      name,
    );
});

t.test('type declarations beside the modules are not served', async (t) => {
  for (const name of ['words.d.ts', 'api-types.d.ts']) t.equal((await fetch(`${h.url}/console/${name}`)).status, 404);
});

t.test('the stylesheet is still served', async (t) => {
  const res = await fetch(`${h.url}/console/console.css`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /text\/css/);
});
