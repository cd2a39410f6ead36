// Runs the pipeline over an evaluation dataset and reduces it to verification metrics.
//
// How quality applies here (DESIGN.md "Faces"): every image is analysed with skipQuality, so the
// dominant face is always used and a "retake" verdict never becomes a failed detection. The
// verdicts are counted (qualityRetakes) to show how often a lane would have asked for a retake.
// An image counts as failed only when no face is found or it cannot be decoded; pairs that
// involve a failed image are left out and the failures are reported.
import { readFile } from 'node:fs/promises';
import type { FacePipeline } from '../gateway/face/pipeline.js';
import type { DatasetImage } from './dataset.js';
import {
  equalErrorRate,
  pairScores,
  ratesAt,
  rocCurve,
  type ScoreSets,
  sortedDescending,
  thresholdAtFmr,
} from './verification-metrics.js';

export interface ImageOutcome {
  identity: string;
  file: string;
  embedding?: Float32Array;
  failure?: string;
  retake?: string;
  ms: number;
}

export async function analyseDataset(
  pipeline: FacePipeline,
  images: readonly DatasetImage[],
  onProgress?: (done: number, total: number) => void,
): Promise<ImageOutcome[]> {
  const outcomes: ImageOutcome[] = [];
  for (const image of images) {
    const bytes = await readFile(image.absolutePath);
    const start = performance.now();
    const result = await pipeline.analyze(bytes, { skipQuality: true });
    const ms = performance.now() - start;
    if (result.ok) {
      const retake = result.value.quality.ok ? undefined : result.value.quality.detail;
      outcomes.push({ identity: image.identity, file: image.file, embedding: result.value.embedding, retake, ms });
    } else {
      outcomes.push({ identity: image.identity, file: image.file, failure: `${result.reason}: ${result.detail}`, ms });
    }
    onProgress?.(outcomes.length, images.length);
  }
  return outcomes;
}

export interface EvaluationSummary {
  images: number;
  identities: number;
  failedDetections: number;
  genuinePairs: number;
  impostorPairs: number;
  eer: number;
  fnmrAtFmr1e2: number;
  fnmrAtFmr1e3: number;
  thresholdAtFmr1e2: number;
  thresholdAtFmr1e3: number;
  thresholdAtFmr1e4: number;
  qualityRetakes: number;
  msPerImageMedian: number;
}

export function scoresOf(outcomes: readonly ImageOutcome[]): ScoreSets {
  return pairScores(
    outcomes
      .filter((o): o is ImageOutcome & { embedding: Float32Array } => o.embedding !== undefined)
      .map((o) => ({ identity: o.identity, embedding: o.embedding })),
  );
}

export function summarise(
  outcomes: readonly ImageOutcome[],
  identities: number,
): { summary: EvaluationSummary; genuineDesc: Float64Array; impostorDesc: Float64Array } {
  const scores = scoresOf(outcomes);
  const genuineDesc = sortedDescending(scores.genuine);
  const impostorDesc = sortedDescending(scores.impostor);
  const t2 = thresholdAtFmr(impostorDesc, 1e-2);
  const t3 = thresholdAtFmr(impostorDesc, 1e-3);
  const t4 = thresholdAtFmr(impostorDesc, 1e-4);
  const summary: EvaluationSummary = {
    images: outcomes.length,
    identities,
    failedDetections: outcomes.filter((o) => o.failure).length,
    genuinePairs: genuineDesc.length,
    impostorPairs: impostorDesc.length,
    eer: round(equalErrorRate(genuineDesc, impostorDesc).eer),
    fnmrAtFmr1e2: round(ratesAt({ genuineDesc, impostorDesc }, t2).fnmr),
    fnmrAtFmr1e3: round(ratesAt({ genuineDesc, impostorDesc }, t3).fnmr),
    thresholdAtFmr1e2: round(t2),
    thresholdAtFmr1e3: round(t3),
    thresholdAtFmr1e4: round(t4),
    qualityRetakes: outcomes.filter((o) => o.retake).length,
    msPerImageMedian: round(median(outcomes.map((o) => o.ms)), 1),
  };
  return { summary, genuineDesc, impostorDesc };
}

export { rocCurve };

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
