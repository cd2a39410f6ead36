import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CATEGORY_MIN_COUNT } from '../../../contracts/small-cells.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { ROOT } from '../../helpers/harness.js';

t.test('the example and demo configs are valid', async (t) => {
  for (const v of ['GATE06_SITE_ID_KEY', 'GATE06_DEVICE_TOKEN', 'GATE06_INTEGRATION_TOKEN', 'GATE06_MQTT_PASSWORD'])
    process.env[v] = 'set-for-this-test';
  for (const f of ['config/gateway.example.yaml', 'seeds/demo/gateway.yaml']) {
    const r = loadConfig(join(ROOT, f));
    t.ok(r.ok, `${f}: ${r.ok ? '' : r.problems.join('; ')}`);
  }
});

t.test('a gate that does not set mqtt.categoryMinCount uses the shared small-cell default', async (t) => {
  // The demo config has an mqtt section without categoryMinCount.
  const r = loadConfig(join(ROOT, 'seeds/demo/gateway.yaml'));
  t.ok(r.ok);
  if (r.ok) t.equal(r.value.mqtt?.categoryMinCount, CATEGORY_MIN_COUNT);
});

t.test('each problem is one line naming its key', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    `site: { id: "Bad Site", kind: museum, zones: [{ id: main }], idHashKey: { demo: "0123456789abcdef" } }
gate:
  id: g1
  lanes:
    - id: L1
      zone: nowhere
      entry: { accepts: [ticket, passport] }
      turnstile: { port: { path: /dev/x }, address: 300, unlockCoil: { in: 0, out: 1 }, inputs: { passageIn: 0, passageOut: 1 } }
tickets: { jwksFile: j.json }
`,
  );
  const r = loadConfig(file);
  t.equal(r.ok, false);
  if (r.ok) return;
  const keys = r.problems.map((e) => e.split(':')[0]);
  t.ok(keys.includes('site.id'), r.problems.join('\n'));
  t.ok(keys.includes('site.kind'));
  t.ok(keys.includes('gate.lanes.0.entry.accepts.1'));
  t.ok(keys.includes('gate.lanes.0.turnstile.address'));
});

t.test('an unknown key is an error, not silently ignored', async (t) => {
  const file = join(t.testdir(), 'c.yaml');
  writeFileSync(
    file,
    'site: { id: s, kind: tourist, zones: [{ id: z }], idHashKey: { demo: "0123456789abcdef" } }\ngate: { id: g, lanes: [] }\ntickets: { jwksFile: j }\nlanes: 3\n',
  );
  const r = loadConfig(file);
  t.equal(r.ok, false);
  if (!r.ok)
    t.ok(
      r.problems.some((e) => e.startsWith('(root)') && /lanes/.test(e)),
      r.problems.join('\n'),
    );
});

t.test('a secret from a missing environment variable names its key', async (t) => {
  const file = join(t.testdir(), 'c.yaml');
  writeFileSync(
    file,
    'site: { id: s, kind: tourist, zones: [{ id: z }], idHashKey: { env: GATE06_TEST_UNSET_KEY } }\ngate: { id: g, lanes: [{ id: L1, zone: z, entry: {}, turnstile: { port: { path: /dev/x }, unlockCoil: { in: 0, out: 1 }, inputs: { passageIn: 0, passageOut: 1 } } }] }\ntickets: { jwksFile: j }\n',
  );
  const r = loadConfig(file);
  t.same(r.ok ? [] : r.problems, ['site.idHashKey: environment variable GATE06_TEST_UNSET_KEY is not set']);
});

t.test('broken YAML and a missing file are clear errors', async (t) => {
  const file = join(t.testdir(), 'c.yaml');
  writeFileSync(file, 'site: [unclosed\n');
  const r = loadConfig(file);
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.problems[0], /^\(yaml\) line/);
  const missing = loadConfig(join(t.testdir(), 'nope.yaml'));
  t.equal(missing.ok, false);
});

t.test('insecureUnsignedCommands together with a command signer is one error naming the flag', async (t) => {
  const demo = readFileSync(join(ROOT, 'seeds/demo/gateway.yaml'), 'utf8');
  t.match(demo, /commandSignerJwksFile:/, 'the demo trusts a command signer');
  const dir = t.testdir();
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    demo
      .replace('commandSignerJwksFile:', 'insecureUnsignedCommands: true\n  commandSignerJwksFile:')
      .replaceAll('../', `${join(ROOT, 'seeds')}/`),
  );
  const r = loadConfig(file);
  t.equal(r.ok, false);
  if (r.ok) return;
  t.equal(r.problems.length, 1, r.problems.join('\n'));
  t.match(r.problems[0], /^mqtt\.insecureUnsignedCommands: /);
});
