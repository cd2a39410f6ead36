// Multi-frame liveness: is the face at the lane a live face, or a flat picture of one?
//
// The single-frame PAD model catches some attacks and misses others (shared/notes/liveness.md §1), so
// it only ever vetoes here. The primary cue is non-rigid facial motion over a short burst: between
// any two frames, the landmark motion left over after the best affine (flat-object) map. A still
// photo leaves only landmark jitter; a photo moved, turned or tilted in the hand moves as one plane,
// which the affine map absorbs; blinks, lip motion, expression and head-turn parallax do not fit it.
// What this does not stop (video replay of the real person, masks) is in docs/liveness.md.
import {
  affineResidual,
  eyeAspectRatio,
  fitSimilarity,
  interOcularDistance,
  isLandmarkSet,
  mouthAspectRatio,
} from './liveness-geometry.js';

export type LivenessMode = 'off' | 'advisory' | 'required';
/** Where the burst's 68-point landmarks come from: the dense face mesh (192x192) or the 68-point model (64x64). */
export type LandmarkSource = 'faceMesh' | 'ibug68';
export type LivenessVerdict = 'live' | 'spoof' | 'uncertain';
/** What the lane does with the verdict: pass, pass but flag the event, or deny with face.liveness-failed. */
export type LivenessAction = 'pass' | 'flag' | 'deny';

export interface LivenessFrame {
  landmarks: Float32Array;
  box: { x: number; y: number; w: number; h: number };
}

export interface LivenessInput {
  frames: LivenessFrame[];
  /** Single-frame PAD model p(live) per frame, when the model is loaded; empty otherwise. */
  modelScores: number[];
}

export interface LivenessSignals {
  /** Largest per-frame median affine residual, in inter-ocular distances. */
  nonRigidMotion: number;
  /** Largest similarity motion from the first frame: shift/IOD + |ln scale| + |rotation rad|. */
  rigidMotion: number;
  /** Deepest eye-aspect-ratio dip below the burst's median, as a fraction of that median. */
  blink: number;
  /** Range of the inner-mouth aspect ratio over the burst. */
  mouth: number;
  /** Median model p(live), or null without a model. */
  model: number | null;
}

export interface LivenessAssessment {
  verdict: LivenessVerdict;
  /** 0..1; 0.5 is where the strongest motion cue reaches its live threshold. */
  score: number;
  signals: LivenessSignals;
  action: LivenessAction;
  reason?: string;
}

export interface LivenessThresholds {
  minFrames: number;
  nonRigidLive: number;
  /** Blink threshold for a burst with rigid motion of rigidSpoofMin or more (a moving head or photo). */
  blinkLive: number;
  /** Blink threshold for a steady burst (rigid motion below rigidSpoofMin), whose landmarks jitter less. */
  blinkLiveSteady: number;
  mouthLive: number;
  /** Rigid motion this large with no non-rigid motion is a flat object moved by hand. */
  rigidSpoofMin: number;
  /** Model p(live) below this vetoes (faceplugin fr_liveness: all full-frame spoofs scored ≤ 0.105). */
  modelVeto: number;
}

// The `ibug68` source's thresholds (and assessLiveness's default; the capture picks its pipeline source's).
// Calibrated in docs/liveness.md ("Calibration", 2026-12-06) with the faceplugin 68-point landmark model
// (64x64 input) on the simulated camera's scenes, 5 photos x 6 bursts per scene. Largest values seen on flat
// photos, 10-frame / 15-frame bursts: non-rigid 0.049 / 0.049 (a photo moved by hand); blink 0.029 (on a
// stand), 0.076 (held in a hand, rigid motion below 0.17), 0.200 (moved by hand, rigid 0.19 and more); mouth
// 0.073. Each live threshold sits above the flat-photo maximum of its regime. Rigid motion shakes the coarse
// landmarks, so the blink threshold depends on it: 0.30 while the face moves, 0.10 while it is steady, as a
// person asked to blink is. A closed eye moves the model's eye aspect ratio by only 8-21 % where a real
// blink moves it by 50-80 %: the model is coarse, which is why the thresholds are this close to the noise.
export const DEFAULT_THRESHOLDS: LivenessThresholds = {
  minFrames: 3,
  nonRigidLive: 0.055,
  blinkLive: 0.3,
  blinkLiveSteady: 0.1,
  mouthLive: 0.12,
  rigidSpoofMin: 0.17,
  modelVeto: 0.1,
};

// Calibrated in docs/liveness.md ("Landmark sources", 2026-12-06) with the dense face mesh (192x192 crop) and its
// eyes from the Iris model (64x64 crop per eye), on the same scenes. Largest values on flat photos, 10-frame / 15-frame
// bursts: non-rigid 0.038 / 0.039, blink 0.051 / 0.052 (moved by hand; 0.043 held, 0.038 on a stand), mouth 0.107 /
// 0.107. Each live threshold is about 1.5x the largest flat-photo value of any regime: the Iris eye contour reads a
// shut synthetic eye as a 12-33 % dip where the flat photos stay at or below 5.2 %, so one blink threshold serves moving and
// steady bursts alike. Live scenes: blink 0.10-0.36, asked blinks 0.12-0.33.
export const MESH_THRESHOLDS: LivenessThresholds = {
  minFrames: 3,
  nonRigidLive: 0.055,
  blinkLive: 0.08,
  blinkLiveSteady: 0.08,
  mouthLive: 0.15,
  rigidSpoofMin: 0.17,
  modelVeto: 0.1,
};

/** The thresholds calibrated for each landmark source (FacePipeline.landmarkSource says which a pipeline gives). */
export const LIVENESS_THRESHOLDS: Record<LandmarkSource, LivenessThresholds> = {
  ibug68: DEFAULT_THRESHOLDS,
  faceMesh: MESH_THRESHOLDS,
};

const ZERO_SIGNALS: LivenessSignals = { nonRigidMotion: 0, rigidMotion: 0, blink: 0, mouth: 0, model: null };

export function actionFor(verdict: LivenessVerdict, mode: LivenessMode): LivenessAction {
  if (mode === 'off' || verdict === 'live') return 'pass';
  return mode === 'advisory' ? 'flag' : 'deny';
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The motion signals of a burst whose frames all hold a valid 68-point set. */
export function motionSignals(landmarks: Float32Array[]): Omit<LivenessSignals, 'model'> {
  const iod = median(landmarks.map(interOcularDistance));
  if (!(iod > 0)) return { nonRigidMotion: 0, rigidMotion: 0, blink: 0, mouth: 0 };
  // Each frame's deviation is its median residual against every other frame: one blinking frame stands
  // out against all the others, while a single noisy pair does not lift any frame's median.
  let nonRigid = 0;
  for (let i = 0; i < landmarks.length; i++) {
    const residuals: number[] = [];
    for (let j = 0; j < landmarks.length; j++) if (j !== i) residuals.push(affineResidual(landmarks[j], landmarks[i]));
    nonRigid = Math.max(nonRigid, median(residuals) / iod);
  }
  let rigid = 0;
  for (let i = 1; i < landmarks.length; i++) {
    const t = fitSimilarity(landmarks[0], landmarks[i]);
    const [cx0, cy0] = centre(landmarks[0]);
    const [cx, cy] = centre(landmarks[i]);
    rigid = Math.max(rigid, Math.hypot(cx - cx0, cy - cy0) / iod + Math.abs(Math.log(t.scale)) + Math.abs(t.rotation));
  }
  const ears = landmarks.map(eyeAspectRatio);
  const earBase = median(ears);
  const blink = earBase > 0 ? Math.max(0, (earBase - Math.min(...ears)) / earBase) : 0;
  const mars = landmarks.map(mouthAspectRatio);
  const mouth = Math.max(...mars) - Math.min(...mars);
  return { nonRigidMotion: nonRigid, rigidMotion: rigid, blink, mouth };
}

function centre(l: Float32Array): [number, number] {
  let x = 0,
    y = 0;
  for (let i = 0; i < l.length; i += 2) {
    x += l[i];
    y += l[i + 1];
  }
  return [(2 * x) / l.length, (2 * y) / l.length];
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

export function assessLiveness(
  input: LivenessInput,
  mode: LivenessMode,
  thresholds: LivenessThresholds = DEFAULT_THRESHOLDS,
): LivenessAssessment {
  const done = (
    verdict: LivenessVerdict,
    score: number,
    signals: LivenessSignals,
    reason?: string,
  ): LivenessAssessment => ({
    verdict,
    score,
    signals,
    action: actionFor(verdict, mode),
    ...(reason === undefined ? {} : { reason }),
  });
  if (mode === 'off') return done('uncertain', 0, ZERO_SIGNALS, 'liveness check off for this lane');

  const scores = input.modelScores.filter((s) => Number.isFinite(s));
  const model = scores.length ? median(scores) : null;
  const landmarks = input.frames.map((f) => f.landmarks).filter(isLandmarkSet);
  if (landmarks.length < thresholds.minFrames) {
    return done(
      'uncertain',
      0,
      { ...ZERO_SIGNALS, model },
      `only ${landmarks.length} usable frames, need ${thresholds.minFrames}`,
    );
  }
  const signals: LivenessSignals = { ...motionSignals(landmarks), model };
  const blinkLive = signals.rigidMotion < thresholds.rigidSpoofMin ? thresholds.blinkLiveSteady : thresholds.blinkLive;
  const motionScore = clamp01(
    0.5 *
      Math.max(
        signals.nonRigidMotion / thresholds.nonRigidLive,
        signals.blink / blinkLive,
        signals.mouth / thresholds.mouthLive,
      ),
  );

  if (model !== null && model < thresholds.modelVeto) {
    return done(
      'spoof',
      Math.min(motionScore, model),
      signals,
      `presentation-attack model p(live) ${model.toFixed(3)} below ${thresholds.modelVeto}`,
    );
  }
  if (motionScore >= 0.5) return done('live', motionScore, signals);
  if (signals.rigidMotion >= thresholds.rigidSpoofMin) {
    return done('spoof', motionScore, signals, 'the face moved as one flat object with no facial motion of its own');
  }
  // A live person standing perfectly still for the whole burst looks like this too: not a spoof, not live.
  return done(
    'uncertain',
    motionScore,
    signals,
    'no facial motion seen: a still face or a photo; ask the person to blink',
  );
}

/** The non-personal facts an event carries about the check (DecisionRecord.facts). */
export function livenessFacts(a: LivenessAssessment): Record<string, string | number | boolean> {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const facts: Record<string, string | number | boolean> = {
    liveness: a.verdict,
    livenessScore: round(a.score),
    livenessNonRigid: round(a.signals.nonRigidMotion),
    // The other signals, so a reviewer sees why: a blink or a mouth movement makes a face live, rigid
    // motion without either makes it a photo moved by hand (docs/liveness.md).
    livenessBlink: round(a.signals.blink),
    livenessMouth: round(a.signals.mouth),
    livenessRigid: round(a.signals.rigidMotion),
    livenessFlagged: a.action === 'flag',
  };
  if (a.signals.model !== null) facts.livenessModel = round(a.signals.model);
  return facts;
}
