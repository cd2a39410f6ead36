import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chooseStorage, defaultCollectorConfig, loadCollectorConfig } from '../../collector/config.js';

const write = (text: string): string => {
  const p = join(mkdtempSync(join(tmpdir(), 'gate06-ccfg-')), 'c.yaml');
  writeFileSync(p, text);
  return p;
};

t.test('a bad config gives one line per problem, each naming its key', async (t) => {
  const r = loadCollectorConfig(
    write(
      'mqtt:\n  url: 5\nhttp:\n  port: 99999\n  apiToken: { demo: "0123456789abcdefgh" }\nsites:\n  - { id: a, kind: zoo }\n',
    ),
  );
  t.equal(r.ok, false);
  if (!r.ok) {
    t.ok(r.problems.some((e) => e.startsWith('mqtt.url:')));
    t.ok(r.problems.some((e) => e.startsWith('http.port:')));
    t.ok(r.problems.some((e) => e.startsWith('sites.0.kind:')));
  }
});

t.test('an API token from an unset environment variable is a config error naming http.apiToken', async (t) => {
  const r = loadCollectorConfig(write('http:\n  apiToken: { env: GATE06_TEST_UNSET_TOKEN_VAR }\n'));
  const line = 'http.apiToken: environment variable GATE06_TEST_UNSET_TOKEN_VAR is not set';
  t.same(r, { ok: false, reason: 'config.invalid', detail: line, problems: [line] });
});

t.test('the example config is valid', async (t) => {
  process.env.GATE06_IOC_TOKEN ??= 'example-token-for-the-test';
  const r = loadCollectorConfig(new URL('../../config/collector.example.yaml', import.meta.url).pathname);
  t.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
});

t.test('storage is SQLite by default and PostgreSQL when DATABASE_URL is set', async (t) => {
  const cfg = defaultCollectorConfig({ sqlitePath: '/tmp/x.db' });
  t.same(chooseStorage(cfg, {}), { kind: 'sqlite', path: '/tmp/x.db' });
  t.match(chooseStorage(cfg, { DATABASE_URL: 'postgres://h/db' }), { kind: 'postgres', url: 'postgres://h/db' });
});
