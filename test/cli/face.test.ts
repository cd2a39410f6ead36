// gate06 face eval --groups: FMR and FNMR per group at the published thresholds, on the real pipeline.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadThresholds } from '../../gateway/face/thresholds.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'gate06-face-eval-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// Two small datasets from the test fixtures (synthetic labels; the photos are the fixtures' own).
const fixtures = {
  faces: ['genuine-obama-1.jpg', 'genuine-obama-2.jpg', 'genuine-kit-harington-1.jpg', 'genuine-kit-harington-2.jpg'],
  liveness: ['p1-img5.jpg', 'p1-img11.jpg', 'p5-img16.jpg', 'p5-img17.jpg', 'p9-img12.jpg'],
};
const identity = (file: string) => file.replace(/(-\d|-img\d+)\.jpg$/, '');
for (const [name, files] of Object.entries(fixtures)) {
  mkdirSync(join(dir, name));
  const index: Record<string, string[]> = {};
  for (const f of files) {
    copyFileSync(join(ROOT, 'test/fixtures', name, f), join(dir, name, f));
    (index[identity(f)] ??= []).push(f);
  }
  writeFileSync(join(dir, name, 'index.json'), JSON.stringify(index));
}
const groups = join(dir, 'groups.json');
writeFileSync(groups, JSON.stringify({ 'genuine-obama': 'a', 'genuine-kit-harington': 'a', p1: 'b', p5: 'b' }));

const gate06 = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/gate06.mjs'), 'face', 'eval', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

t.test('datasets are pooled and each group is reported at the published thresholds', async (t) => {
  const r = await gate06(['--dataset', join(dir, 'faces'), '--dataset', join(dir, 'liveness'), '--groups', groups]);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.equal(report.images, 9);
  t.equal(report.identities, 5);
  const published = await loadThresholds();
  t.same(
    report.groups.map((g: { group: string; identities: number }) => [g.group, g.identities]),
    [
      ['(ungrouped)', 1],
      ['a', 2],
      ['b', 2],
    ],
    'p9, whom the file does not name, is reported on its own',
  );
  const a = report.groups[1];
  t.equal(a.genuinePairs, 2);
  t.equal(a.impostorPairs, 4, 'impostor pairs within the group only');
  t.equal(a.at['published 1e-3'].threshold, published['1e-3']);
  for (const key of ['fmr', 'fmrUpper95', 'fnmr', 'passingImpostors']) t.type(a.at['published 1e-3'][key], 'number');
});

t.test('a groups file that is not identity -> group name is refused with one line naming it', async (t) => {
  const bad = join(dir, 'bad-groups.json');
  writeFileSync(bad, JSON.stringify({ p1: ['b'] }));
  const r = await gate06(['--dataset', join(dir, 'faces'), '--groups', bad]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^face eval: .*bad-groups\.json: p1: /);
  t.equal(r.stderr.trim().split('\n').length, 1);
});
