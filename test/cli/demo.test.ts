// `gate06 demo` from the command line, as a newcomer runs it: READY first, decisions, SUMMARY, exit 0;
// then its databases, WAL files and logs are scanned for personal data.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/harness.js';
import { topLevelKeys } from '../helpers/json-keys.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gate06-demo-test-'));
const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
  const child = spawn(
    process.execPath,
    // --vpcd-slot off: vpcd's slots belong to the PC/SC tests that tap runs alongside this one.
    [
      join(ROOT, 'bin/gate06.mjs'),
      'demo',
      '--duration',
      '15',
      '--rate',
      '120',
      '--data-dir',
      dataDir,
      '--vpcd-slot',
      'off',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, GATE06_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.on('exit', (code) => resolve({ code, stdout, stderr }));
});
const lines = run.stdout.trim().split('\n');

t.test('the demo prints READY first, decision lines, SUMMARY last, and exits 0', async (t) => {
  t.equal(run.code, 0, run.stderr.slice(-2000));
  t.match(lines[0], /^READY \{/);
  const ready = JSON.parse(lines[0]!.slice(6)) as Record<string, unknown>;
  for (const k of ['gatewayUrl', 'deviceToken', 'staffToken', 'lanes', 'tryTicket', 'collectorUrl'])
    t.ok(ready[k], `READY has ${k}`);
  t.match(run.stdout, /curl -s -X POST .*\/v1\/verify/);
  t.ok(
    lines.some((l) => / (ALLOW|DENY) /.test(l)),
    'one line per decision',
  );
  const last = lines.at(-1)!;
  t.match(last, /^SUMMARY \{/);
  const summary = JSON.parse(last.slice(8)) as {
    decisions: number;
    allowed: number;
    denied: Record<string, number>;
    passages: number;
    alarms: unknown;
    collector: { lanes: Record<string, { in: number }> };
  };
  t.ok(summary.allowed > 0, 'some people were allowed');
  t.ok(Object.keys(summary.denied).length > 0, 'some were denied, each with its reason');
  t.ok(summary.passages > 0);
  t.ok(summary.alarms);
  const collectedIn = Object.values(summary.collector.lanes).reduce((n, l) => n + l.in, 0);
  t.ok(collectedIn > 0, 'the collector received counts');
});

t.test('no raw ID number or name in the databases, WAL files or logs of a demo run', async (t) => {
  const files = readdirSync(dataDir).filter((f) => /\.(db|db-wal|db-shm)$/.test(f));
  t.ok(files.includes('gateway.db') && files.includes('collector.db'), files.join(','));
  // Synthetic IDs: province 035 (Hà Nam) or 001 then 9 digits, not inside a hex hash; synthetic names carry these words.
  const id = /(?<![0-9a-f])0(?:35|01)\d{9}(?![0-9a-f])/;
  const name = /Thử|Mẫu|Giả/;
  for (const f of files) {
    const text = readFileSync(join(dataDir, f)).toString('latin1');
    const utf8 = readFileSync(join(dataDir, f)).toString('utf8');
    t.notMatch(text, id, `${f}: no ID number`);
    t.notMatch(utf8, name, `${f}: no name`);
  }
  t.notMatch(run.stderr, id, 'logs: no ID number');
  t.notMatch(run.stderr, name, 'logs: no name');
  t.ok(existsSync(join(dataDir, 'gateway.db')));
});

t.test('every JSON log line of a demo run names each key once (a log shipper keeps only one of two)', async (t) => {
  const jsonLines = run.stderr.split('\n').filter((l) => l.startsWith('{'));
  t.ok(jsonLines.length > 0, 'the demo logged JSON lines');
  for (const line of jsonLines) {
    const keys = topLevelKeys(line);
    t.equal(new Set(keys).size, keys.length, `no repeated key in ${line.slice(0, 160)}`);
  }
  t.same(topLevelKeys('{"a":1,"b":{"a":2},"c":"x\\"y","a":3}'), ['a', 'b', 'c', 'a'], 'the check itself sees repeats');
});
