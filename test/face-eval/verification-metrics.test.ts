import t from 'tap';
import {
  conservativeThresholdAtFmr,
  equalErrorRate,
  pairScores,
  ratesAt,
  sortedDescending,
  thresholdAtFmr,
  wilsonUpper,
} from '../../face-eval/verification-metrics.js';

t.test('perfectly separated scores have EER 0 and FNMR 0 at the FMR threshold', async (t) => {
  const genuineDesc = sortedDescending([0.9, 0.8, 0.7]);
  const impostorDesc = sortedDescending(Array.from({ length: 1000 }, (_, i) => i / 2000));
  t.equal(equalErrorRate(genuineDesc, impostorDesc).eer, 0);
  const th = thresholdAtFmr(impostorDesc, 1e-2);
  t.ok(ratesAt({ genuineDesc, impostorDesc }, th).fmr <= 1e-2);
  t.equal(ratesAt({ genuineDesc, impostorDesc }, th).fnmr, 0);
});

t.test('the FMR threshold lets through at most target x N impostors', async (t) => {
  const impostorDesc = sortedDescending(Array.from({ length: 1000 }, (_, i) => i));
  const th = thresholdAtFmr(impostorDesc, 1e-2);
  t.equal(impostorDesc.filter((s) => s >= th).length, 10);
});

t.test('overlapping scores give the crossing as EER', async (t) => {
  const genuineDesc = sortedDescending([0.9, 0.8, 0.4, 0.3]);
  const impostorDesc = sortedDescending([0.5, 0.35, 0.2, 0.1]);
  t.equal(equalErrorRate(genuineDesc, impostorDesc).eer, 0.25);
});

t.test('the conservative threshold is never below the empirical one and says when the data is too thin', async (t) => {
  const impostorDesc = sortedDescending(Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 0.3));
  const c = conservativeThresholdAtFmr(impostorDesc, 1e-2);
  t.ok(c.supported);
  t.ok(c.threshold >= thresholdAtFmr(impostorDesc, 1e-2));
  const thin = conservativeThresholdAtFmr(impostorDesc, 1e-4);
  t.notOk(thin.supported, '5000 pairs cannot show 1e-4');
  t.ok(thin.threshold > impostorDesc[0], 'falls back above every impostor');
  t.ok(wilsonUpper(0, 30000) < 1e-4 && wilsonUpper(0, 20000) > 1e-4);
});

t.test('all-pairs scoring splits genuine and impostor pairs by identity', async (t) => {
  const e = (x: number, y: number) => Float32Array.from([x, y]);
  const s = pairScores([
    { identity: 'a', embedding: e(1, 0) },
    { identity: 'a', embedding: e(1, 0) },
    { identity: 'b', embedding: e(0, 1) },
  ]);
  t.same([...s.genuine], [1]);
  t.same([...s.impostor], [0, 0]);
});
