import fc from 'fast-check';
import t from 'tap';
import type { ImageOutcome } from '../../face-eval/evaluate.js';
import { isHeldOut, measureGroup, parseGroups, splitByGroup, UNGROUPED } from '../../face-eval/groups.js';

// Unit vectors at a chosen cosine to the x axis, so every pair score is known.
const at = (identity: string, angle: number): ImageOutcome => ({
  identity,
  file: `${identity}/${angle}.jpg`,
  embedding: Float32Array.from([Math.cos(angle), Math.sin(angle)]),
  ms: 1,
});

t.test('a groups file maps identities to group names; anything else is refused naming the key', async (t) => {
  const good = parseGroups({ anna: 'g1', binh: 'g2' });
  t.ok(good.ok);
  if (good.ok)
    t.same(
      [...good.value],
      [
        ['anna', 'g1'],
        ['binh', 'g2'],
      ],
    );
  t.match(parseGroups({ anna: 3 }, 'groups.json'), {
    ok: false,
    reason: 'groups.invalid',
    detail: /groups\.json: anna:/,
  });
  t.match(parseGroups(['anna'], 'groups.json'), { ok: false, reason: 'groups.invalid', detail: /\(root\)/ });
});

t.test('parsing any JSON value never throws and accepts only string -> string objects', async () => {
  fc.assert(
    fc.property(fc.jsonValue(), (raw) => {
      const result = parseGroups(raw);
      const stringMap =
        typeof raw === 'object' &&
        raw !== null &&
        !Array.isArray(raw) &&
        Object.entries(raw).every(([k, v]) => k.length > 0 && typeof v === 'string' && v.length > 0 && v.length <= 64);
      return result.ok === stringMap;
    }),
  );
});

t.test('identities the file does not name are reported as their own group, not dropped', async (t) => {
  const groups = splitByGroup([at('anna', 0), at('chi', 1), at('binh', 2)], new Map([['anna', 'g1']]));
  t.same(
    groups.map(([g, o]) => [g, o.map((x) => x.identity)]),
    [
      [UNGROUPED, ['chi', 'binh']],
      ['g1', ['anna']],
    ],
  );
});

t.test('a group is measured on its own pairs: FMR among its impostors, FNMR of its genuine pairs', async (t) => {
  // anna twice (cos 0.8 between her photos), binh close to anna (cos 0.6), chi far (cos 0)
  const a = Math.acos(0.8);
  const outcomes = [at('anna', 0), at('anna', a), at('binh', -Math.acos(0.6)), at('chi', Math.PI / 2)];
  const report = measureGroup('g', outcomes, { strict: 0.7, loose: 0.5 });
  t.equal(report.genuinePairs, 1);
  t.equal(report.impostorPairs, 5);
  t.equal(report.identities, 3);
  t.equal(report.at.strict.fnmr, 0, 'the genuine pair (0.8) matches at 0.7');
  t.equal(report.at.strict.passingImpostors, 0);
  // impostor scores: anna1-binh 0.6, anna2-binh cos(a + acos 0.6) = 0.8*0.6 - 0.6*0.8 = 0, anna-chi 0 and 0.6, binh-chi -0.8
  t.equal(report.at.loose.passingImpostors, 2, 'the two pairs at 0.6 pass at 0.5');
  t.equal(report.at.loose.fmr, 0.4);
  t.ok(report.at.loose.fmrUpper95 > report.at.loose.fmr, 'the upper bound sits above the measured rate');
  t.equal(measureGroup('g', outcomes, { above: 0.85 }).at.above.fnmr, 1, 'above the genuine score it does not match');
});

t.test('a failed detection counts as failed and is left out of the pairs', async (t) => {
  const report = measureGroup(
    'g',
    [at('anna', 0), at('binh', 1), { identity: 'chi', file: 'c.jpg', failure: 'x', ms: 1 }],
    {
      t: 0.5,
    },
  );
  t.equal(report.failedDetections, 1);
  t.equal(report.impostorPairs, 1);
});

t.test('the held-out split is fixed by the name and holds out about the asked share', async (t) => {
  const names = Array.from({ length: 2000 }, (_, i) => `Person_${i}`);
  const held = names.filter((n) => isHeldOut(n, 0.5)).length;
  t.ok(held > 900 && held < 1100, `${held} of 2000 held out at share 0.5`);
  t.same(
    names.map((n) => isHeldOut(n)),
    names.map((n) => isHeldOut(n)),
    'the same name lands on the same side every time',
  );
  t.notOk(
    names.some((n) => isHeldOut(n, 0)),
    'share 0 holds out nobody',
  );
  t.ok(
    names.every((n) => isHeldOut(n, 1)),
    'share 1 holds out everybody',
  );
  t.ok(
    names.filter((n) => isHeldOut(n, 0.3)).every((n) => isHeldOut(n, 0.5)),
    'a larger share keeps everyone a smaller share held out',
  );
});
