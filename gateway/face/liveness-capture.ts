// The I/O shell around assessLiveness: grab a short burst from the lane camera, find landmarks in every
// frame, judge liveness, and hand back the best frame's full analysis for the match. Frames live only
// in memory for the duration of the call: nothing is written anywhere.
import { fail } from '../../contracts/result.js';
import type { Camera } from '../../drivers/camera/index.js';
import {
  assessLiveness,
  type LandmarkSource,
  LIVENESS_THRESHOLDS,
  type LivenessAssessment,
  type LivenessFrame,
  type LivenessMode,
  type LivenessThresholds,
} from './liveness.js';
import { eyeAspectRatio } from './liveness-geometry.js';
import type { FaceResult, LandmarksResult } from './pipeline.js';

/** What the capture needs from the face pipeline (FacePipeline satisfies it). */
export interface LandmarkPipeline {
  landmarksOnly(image: Buffer): Promise<LandmarksResult>;
  analyze(image: Buffer, opts?: { liveness?: boolean; skipQuality?: boolean }): Promise<FaceResult>;
  /** Which landmarks landmarksOnly gives: the thresholds follow it (68-point model when absent). */
  readonly landmarkSource?: LandmarkSource;
}

export interface CaptureOptions {
  mode: LivenessMode;
  /** About 1.5 s at 10 fps: long enough for mouth or head motion, too short to wait for a blink (docs/liveness.md). */
  frames?: number;
  intervalMs?: number;
  /** Also run the single-frame presentation-attack model on the best frame (a veto only). */
  useModel?: boolean;
  /** Default: the ones calibrated for the pipeline's landmark source. */
  thresholds?: LivenessThresholds;
  /** The camera's frames must all be in by then, or the capture fails with BurstTimeout (analysis not counted). */
  burstDeadlineMs?: number;
}

/** The burst's frames did not arrive before CaptureOptions.burstDeadlineMs. */
export class BurstTimeout extends Error {
  readonly timedOut = true;
}

export interface CaptureResult {
  liveness: LivenessAssessment;
  /** The full analysis of the best frame (eyes open, largest face), or why there is none. */
  best: FaceResult;
  /** The camera frame `best` was analysed from, for a reviewer (face-evidence.ts); none without a face. */
  bestImage?: Buffer;
  framesWithFace: number;
}

export async function captureAndAssess(
  camera: Camera,
  pipeline: LandmarkPipeline,
  opts: CaptureOptions,
): Promise<CaptureResult> {
  const count = opts.mode === 'off' ? 1 : (opts.frames ?? 15);
  const frames = camera.burst(count, opts.intervalMs ?? 100);
  const images = await (opts.burstDeadlineMs === undefined ? frames : withDeadline(frames, opts.burstDeadlineMs));
  const found: Array<{ image: Buffer; frame: LivenessFrame }> = [];
  for (const image of images) {
    const r = await pipeline.landmarksOnly(image);
    if (r.ok) found.push({ image, frame: r.value });
  }
  const pick = bestFrame(found);
  const best: FaceResult = pick
    ? await pipeline.analyze(pick.image, { liveness: opts.useModel === true && opts.mode !== 'off' })
    : fail('face.none', `no face in ${images.length} frames`);
  const modelScores = best.ok && best.value.liveness !== undefined ? [best.value.liveness] : [];
  const liveness = assessLiveness(
    { frames: found.map((f) => f.frame), modelScores },
    opts.mode,
    opts.thresholds ?? LIVENESS_THRESHOLDS[pipeline.landmarkSource ?? 'ibug68'],
  );
  return { liveness, best, ...(pick ? { bestImage: pick.image } : {}), framesWithFace: found.length };
}

/** For matching, a frame with open eyes and the largest face: blink frames make poor templates. */
function bestFrame<T extends { frame: LivenessFrame }>(found: T[]): T | null {
  if (found.length === 0) return null;
  const ears = found.map((f) => eyeAspectRatio(f.frame.landmarks));
  const sorted = [...ears].sort((a, b) => a - b);
  const medianEar = sorted[sorted.length >> 1];
  let best: T | null = null;
  for (let i = 0; i < found.length; i++) {
    if (ears[i] < medianEar) continue;
    const area = found[i].frame.box.w * found[i].frame.box.h;
    if (!best || area > best.frame.box.w * best.frame.box.h) best = found[i];
  }
  return best ?? found[0];
}

/** `work`, or a BurstTimeout after `ms`; work that ends later is dropped, a late failure with it. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BurstTimeout(`camera burst not complete within ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
