import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadThresholds, parseThresholds, similarityForTargetFmr } from '../../../gateway/face/thresholds.js';

t.test('the published thresholds load and rise as the target FMR gets stricter', async (t) => {
  const th = await loadThresholds();
  t.ok(th['1e-2'] > 0 && th['1e-2'] <= th['1e-3'] && th['1e-3'] <= th['1e-4'] && th['1e-4'] < 1);
});

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
