// Verification error rates from genuine and impostor similarity scores. Pure.
// Decision rule everywhere: a pair matches when score >= threshold.

export interface ScoreSets {
  genuine: Float64Array;
  impostor: Float64Array;
}

/** Smallest threshold step above a score: keeps "score >= threshold" strict for that score. */
const EPSILON = 1e-6;

export const sortedDescending = (scores: ArrayLike<number>): Float64Array => Float64Array.from(scores).sort().reverse();

/** Fraction of `scores` at or above `threshold`. */
export function rateAtOrAbove(sortedDesc: Float64Array, threshold: number): number {
  if (sortedDesc.length === 0) return 0;
  let lo = 0;
  let hi = sortedDesc.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedDesc[mid] >= threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo / sortedDesc.length;
}

/** FMR and FNMR at one threshold. */
export function ratesAt(
  sets: { genuineDesc: Float64Array; impostorDesc: Float64Array },
  threshold: number,
): { fmr: number; fnmr: number } {
  return { fmr: rateAtOrAbove(sets.impostorDesc, threshold), fnmr: 1 - rateAtOrAbove(sets.genuineDesc, threshold) };
}

/** The lowest threshold whose empirical FMR is <= target: at most floor(target*N) impostors pass. */
export function thresholdAtFmr(impostorDesc: Float64Array, target: number): number {
  const allowed = Math.floor(target * impostorDesc.length + 1e-9);
  if (allowed >= impostorDesc.length) return -1;
  return impostorDesc[allowed] + EPSILON;
}

/** Wilson score upper bound (one-sided, z = 1.645 ~ 95 %) on a rate seen as k of n. */
export function wilsonUpper(k: number, n: number, z = 1.645): number {
  if (n === 0) return 1;
  const p = k / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * The lowest threshold at which the 95 % upper confidence bound of FMR is <= target. Leans safe
 * when impostor pairs are few; `supported` is false when even zero passing impostors cannot show
 * the target (n < ~2.7/target), and the threshold is then the highest impostor score + epsilon.
 */
export function conservativeThresholdAtFmr(
  impostorDesc: Float64Array,
  target: number,
): { threshold: number; supported: boolean; passingImpostors: number } {
  const n = impostorDesc.length;
  let k = -1;
  while (k + 1 < n && wilsonUpper(k + 1, n) <= target) k++;
  if (k < 0) return { threshold: (n ? impostorDesc[0] : 1) + EPSILON, supported: false, passingImpostors: 0 };
  return { threshold: impostorDesc[k] + EPSILON, supported: true, passingImpostors: k };
}

/** Equal error rate: min over thresholds of max(FMR, FNMR) (the crossing, read conservatively). */
export function equalErrorRate(
  genuineDesc: Float64Array,
  impostorDesc: Float64Array,
): { eer: number; threshold: number } {
  if (genuineDesc.length === 0 || impostorDesc.length === 0) return { eer: Number.NaN, threshold: Number.NaN };
  const candidates = new Float64Array(genuineDesc.length + impostorDesc.length + 1);
  candidates.set(genuineDesc);
  candidates.set(impostorDesc, genuineDesc.length);
  candidates[candidates.length - 1] = Number.POSITIVE_INFINITY;
  let best = { eer: 1, threshold: Number.POSITIVE_INFINITY };
  for (const t of candidates) {
    const { fmr, fnmr } = ratesAt({ genuineDesc, impostorDesc }, t);
    const worst = Math.max(fmr, fnmr);
    if (worst < best.eer) best = { eer: worst, threshold: t };
  }
  return best;
}

/** ROC points (FMR, TMR) at every distinct impostor score, for plotting. */
export function rocCurve(
  genuineDesc: Float64Array,
  impostorDesc: Float64Array,
  maxPoints = 400,
): Array<{ threshold: number; fmr: number; tmr: number }> {
  const points: Array<{ threshold: number; fmr: number; tmr: number }> = [];
  const step = Math.max(1, Math.floor(impostorDesc.length / maxPoints));
  for (let i = 0; i < impostorDesc.length; i += step) {
    const t = impostorDesc[i];
    const { fmr, fnmr } = ratesAt({ genuineDesc, impostorDesc }, t);
    points.push({ threshold: t, fmr, tmr: 1 - fnmr });
  }
  return points;
}

/** All-pairs scores between templates grouped by identity (i < j). */
export function pairScores(templates: Array<{ identity: string; embedding: Float32Array }>): ScoreSets {
  const genuine: number[] = [];
  const n = templates.length;
  const impostor = new Float64Array((n * (n - 1)) / 2);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = templates[i].embedding;
    for (let j = i + 1; j < n; j++) {
      const b = templates[j].embedding;
      let dot = 0;
      for (let d = 0; d < a.length; d++) dot += a[d] * b[d];
      if (templates[i].identity === templates[j].identity) genuine.push(dot);
      else impostor[m++] = dot;
    }
  }
  return { genuine: Float64Array.from(genuine), impostor: impostor.slice(0, m) };
}
