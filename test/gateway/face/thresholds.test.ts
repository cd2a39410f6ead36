import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  DEFAULT_THRESHOLDS_FILE,
  loadThresholds,
  parseThresholds,
  similarityForTargetFmr,
} from '../../../gateway/face/thresholds.js';

t.test('the published thresholds load and rise as the target FMR gets stricter', async (t) => {
  const th = await loadThresholds();
  t.ok(th['1e-2'] > 0 && th['1e-2'] <= th['1e-3'] && th['1e-3'] <= th['1e-4'] && th['1e-4'] < 1);
});

t.test(
  'the published file records, per group, that FMR 1e-3 holds on the held-out East/South-East Asian faces',
  async (t) => {
    const file = JSON.parse(await readFile(DEFAULT_THRESHOLDS_FILE, 'utf8'));
    const published = await loadThresholds();
    t.match(file.command, /derive-thresholds\.ts .*--groups/, 'the command that derived them');
    const heldOut = file.groups.find((g: { role: string }) => g.role.startsWith('group held-out'));
    t.ok(heldOut, 'a held-out part of the worst group was measured');
    const at1e3 = heldOut.at['FMR 1e-3'];
    t.equal(at1e3.threshold, published['1e-3'], 'measured at the threshold the daemon loads');
    t.ok(at1e3.fmr <= 1e-3, `held-out FMR ${at1e3.fmr} <= 1e-3`);
    for (const g of file.groups) t.type(g.at['FMR 1e-3'].fnmr, 'number', `${g.group}: the FNMR it costs is stated`);
  },
);

t.test('a malformed thresholds file is a clear error naming the file and the key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gate06-th-'));
  const file = join(dir, 'th.json');
  await writeFile(file, JSON.stringify({ schema: 1, similarity: { '1e-2': 0.3, '1e-3': 'high', '1e-4': 0.5 } }));
  await t.rejects(loadThresholds(file), /th\.json: similarity\.1e-3/);
  await writeFile(file, '{ not json');
  await t.rejects(loadThresholds(file), /cannot read face thresholds/);
  t.match(parseThresholds({ schema: 1, similarity: { '1e-2': 0.5, '1e-3': 0.4, '1e-4': 0.6 } }), {
    ok: false,
    reason: 'thresholds.invalid',
    detail: /must not fall/,
  });
});

t.test('a target FMR maps to the published threshold at least as strict', async (t) => {
  const th = { '1e-2': 0.3, '1e-3': 0.4, '1e-4': 0.5 };
  t.equal(similarityForTargetFmr(th, 1e-2), 0.3);
  t.equal(similarityForTargetFmr(th, 5e-3), 0.4);
  t.equal(similarityForTargetFmr(th, 1e-3), 0.4);
  t.equal(similarityForTargetFmr(th, 2e-4), 0.5);
  t.throws(() => similarityForTargetFmr(th, 1e-6), RangeError);
  t.throws(() => similarityForTargetFmr(th, 0), RangeError);
});
