// The quality gate: pure checks that ask for a retake instead of deciding on a bad frame.
//
// Subject choice follows DESIGN.md "Faces": the dominant face is the largest and most central;
// another face only blocks the frame when it is about as large (unclear who is presenting), so a
// passer-by in the background never blocks a lane.
import { fail, ok, type Result } from '../../contracts/result.js';
import { ALIGNED_SIZE, applySimilarity, type Similarity } from './align.js';
import type { FaceBox } from './detect.js';
import { fivePoints } from './landmarks.js';

export interface QualityLimits {
  /** smallest face box side in image pixels; below this the 112 px template is mostly upsampled */
  minFaceSidePx: number;
  /** a second face at least this fraction of the subject's side makes the frame ambiguous */
  rivalSideRatio: number;
  /** |nose offset from the eye midpoint| / eye distance, in the aligned frame */
  maxYaw: number;
  /** allowed band of (nose - eyes) / (mouth - eyes), vertical, in the aligned frame */
  pitchBand: readonly [number, number];
  /** eye-line angle in the image, degrees */
  maxRollDeg: number;
  /** normalised Laplacian energy of the aligned face (see sharpness()) */
  minSharpness: number;
}

// Set from the distributions on the development set (/work/shared/faces) and synthetic blur;
// see the "quality" block that `gate06 face eval` prints and gateway/face/README.md.
export const DEFAULT_QUALITY_LIMITS: QualityLimits = {
  minFaceSidePx: 64,
  rivalSideRatio: 0.8,
  maxYaw: 0.45,
  pitchBand: [0.2, 0.8],
  maxRollDeg: 30,
  minSharpness: 0.02,
};

export interface SubjectChoice {
  subject: FaceBox;
  /** other faces about as large as the subject */
  rivals: FaceBox[];
}

/** Largest-and-most-central: side weighted down by up to half for a face at the image corner. */
export function chooseSubject(
  faces: readonly FaceBox[],
  image: { width: number; height: number },
  limits = DEFAULT_QUALITY_LIMITS,
): SubjectChoice | undefined {
  if (faces.length === 0) return undefined;
  const halfDiagonal = Math.hypot(image.width, image.height) / 2;
  const weight = (f: FaceBox): number => {
    const d = Math.hypot(f.x + f.w / 2 - image.width / 2, f.y + f.h / 2 - image.height / 2) / halfDiagonal;
    return f.w * (1 - 0.5 * Math.min(1, d));
  };
  const subject = faces.reduce((best, f) => (weight(f) > weight(best) ? f : best));
  const rivals = faces.filter((f) => f !== subject && f.w >= limits.rivalSideRatio * subject.w);
  return { subject, rivals };
}

export type QualityVerdict = Result<void, 'face.retake'>;

/** The checks that need only the detector output: run before the landmark and embedding stages. */
export function checkFraming(choice: SubjectChoice, limits = DEFAULT_QUALITY_LIMITS): QualityVerdict {
  if (choice.rivals.length > 0) {
    return retake(`${choice.rivals.length + 1} faces of similar size: unclear who is presenting`);
  }
  if (choice.subject.w < limits.minFaceSidePx) {
    return retake(`face too small: ${Math.round(choice.subject.w)} px, need ${limits.minFaceSidePx} px; step closer`);
  }
  return ok(undefined);
}

export interface PoseEstimate {
  yaw: number;
  pitch: number;
  rollDeg: number;
}

/** Pose proxies from landmarks: cheap, frontal = (0, ~0.5, 0). */
export function estimatePose(landmarks: Float32Array, toAligned: Similarity): PoseEstimate {
  const [eyeL, eyeR, nose, mouthL, mouthR] = fivePoints(landmarks);
  const rollDeg = (Math.atan2(eyeR.y - eyeL.y, eyeR.x - eyeL.x) * 180) / Math.PI;
  const [l, r, n, ml, mr] = [eyeL, eyeR, nose, mouthL, mouthR].map((p) => applySimilarity(toAligned, p));
  const eyeDistance = Math.hypot(r.x - l.x, r.y - l.y) || 1;
  const eyeMidX = (l.x + r.x) / 2;
  const eyeY = (l.y + r.y) / 2;
  const mouthY = (ml.y + mr.y) / 2;
  const yaw = (n.x - eyeMidX) / eyeDistance;
  const pitch = mouthY - eyeY > 1e-6 ? (n.y - eyeY) / (mouthY - eyeY) : 0;
  return { yaw, pitch, rollDeg };
}

/**
 * Sharpness of the aligned face: mean squared 4-neighbour Laplacian over the central region,
 * divided by the region's intensity variance, so contrast and lighting do not count as focus.
 */
export function sharpness(alignedRgb: Float32Array): number {
  const size = ALIGNED_SIZE;
  const grey = new Float32Array(size * size);
  for (let i = 0; i < grey.length; i++)
    grey[i] = 0.299 * alignedRgb[i * 3] + 0.587 * alignedRgb[i * 3 + 1] + 0.114 * alignedRgb[i * 3 + 2];
  const lo = 24;
  const hi = size - 24;
  let lap2 = 0;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let y = lo; y < hi; y++) {
    for (let x = lo; x < hi; x++) {
      const c = grey[y * size + x];
      const l =
        4 * c - grey[y * size + x - 1] - grey[y * size + x + 1] - grey[(y - 1) * size + x] - grey[(y + 1) * size + x];
      lap2 += l * l;
      sum += c;
      sum2 += c * c;
      n++;
    }
  }
  const variance = sum2 / n - (sum / n) ** 2;
  return lap2 / n / (variance + 25); // +25 (a 5-level std): flat, dark frames do not divide by ~0
}

export interface QualityMeasures {
  pose: PoseEstimate;
  sharpness: number;
}

export function checkFace(m: QualityMeasures, limits = DEFAULT_QUALITY_LIMITS): QualityVerdict {
  if (Math.abs(m.pose.rollDeg) > limits.maxRollDeg)
    return retake(`head tilted ${Math.round(m.pose.rollDeg)}°: hold the head upright`);
  if (Math.abs(m.pose.yaw) > limits.maxYaw)
    return retake(`head turned (yaw ${m.pose.yaw.toFixed(2)}): look at the camera`);
  if (m.pose.pitch < limits.pitchBand[0] || m.pose.pitch > limits.pitchBand[1]) {
    return retake(`head tipped up or down (pitch ${m.pose.pitch.toFixed(2)}): look at the camera`);
  }
  if (m.sharpness < limits.minSharpness)
    return retake(`image blurred (sharpness ${m.sharpness.toFixed(3)}): hold still`);
  return ok(undefined);
}

const retake = (detail: string): QualityVerdict => fail('face.retake', detail);
