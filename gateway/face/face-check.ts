// The face step of a decision: who is at the lane (the lane camera's burst, or a still sent with the
// request), liveness per lane policy, then 1:1 against the chip photo or an enrolled template, or 1:N over
// the enrolled people. Thresholds come from a target FMR (models/thresholds.json). Images never leave memory.
import type { Camera } from '../../drivers/camera/index.js';
import type { Direction } from '../config/schema.js';
import type { FacePromptStep } from '../events.js';
import type { FaceCheck } from '../lane/ports.js';
import type { EnrollmentStore } from './enrollment.js';
import type { FaceEvidence } from './face-evidence.js';
import { actionFor, livenessFacts } from './liveness.js';
import { BurstTimeout, captureAndAssess } from './liveness-capture.js';
import { afterBurst, retryFacts } from './liveness-retry.js';
import { cosineSimilarity, type FaceAnalysis, type FacePipeline } from './pipeline.js';
import type { Thresholds } from './thresholds.js';

type Facts = Record<string, string | number | boolean>;
const round = (x: number) => Math.round(x * 1000) / 1000;

export interface FaceCheckDeps {
  pipeline: FacePipeline;
  thresholds: Thresholds;
  cameras: Map<string, Camera>;
  enrollment?: EnrollmentStore;
  /** Frames in a liveness burst and their spacing (docs/liveness.md); 15 frames 100 ms apart by default. */
  burst?: { frames: number; intervalMs: number };
  /**
   * Tells the person at the lane what to do (the console's live view shows it: no lane has a display the
   * gateway drives): `blink` before the one retry burst of a `required` lane, `done` once it is taken.
   */
  prompt?: (p: { lane: string; direction: Direction; step: FacePromptStep }) => void;
  /**
   * How long the retry burst's frames may take beyond the burst itself before the lane gives up and denies
   * (the gate stays locked all along: nothing is granted before the decision).
   */
  retrySlackMs?: number;
  /** Where the frame and the reference photo of each match wait, in memory, for a security review. */
  evidence?: FaceEvidence;
}

const DEFAULT_BURST = { frames: 15, intervalMs: 100 };
// A frame period of MJPEG jitter per frame is already allowed by the driver; this covers a camera that
// stalls outright, so a person is never kept at the gate for more than about 1.5 s + 3 s after the prompt.
const DEFAULT_RETRY_SLACK_MS = 3000;

export const cameraKey = (lane: string, direction: Direction): string => `${lane}:${direction}`;

export class PipelineFaceCheck implements FaceCheck {
  constructor(private readonly deps: FaceCheckDeps) {}

  async check(req: Parameters<FaceCheck['check']>[0]): ReturnType<FaceCheck['check']> {
    const facts: Facts = {};
    const probe = await this.capture(req, facts);
    if (!probe.ok) return { ok: false, reason: probe.reason, facts };
    const threshold = this.deps.thresholds[req.policy.targetFmr];
    facts.faceThreshold = round(threshold);
    const { photo, personRef } = req.reference;
    if (this.deps.evidence && probe.image)
      facts.faceEvidence = this.deps.evidence.keep({ live: probe.image, ...(photo ? { reference: photo } : {}) });
    let score: number;
    if (photo) {
      // The chip photo is an ICAO portrait taken for the purpose: decided on its dominant face without the retake gate.
      const ref = await this.deps.pipeline.analyze(photo, { skipQuality: true });
      if (!ref.ok) return { ok: false, reason: 'face.no-match', facts: { ...facts, referencePhoto: ref.reason } };
      score = cosineSimilarity(probe.value.embedding, ref.value.embedding);
      facts.faceMatch = 'document-photo';
    } else if (personRef && this.deps.enrollment && !req.policy.identifyEnrolled) {
      const v = this.deps.enrollment.verify(personRef, probe.value.embedding);
      if (!v.ok) return { ok: false, reason: 'face.not-enrolled', facts };
      score = v.value;
      facts.faceMatch = 'enrolled';
    } else if (req.policy.identifyEnrolled && this.deps.enrollment) {
      const hit = this.deps.enrollment.identify(probe.value.embedding, threshold);
      const best = this.deps.enrollment.index.search(probe.value.embedding, 1)[0];
      facts.faceMatch = 'identify';
      if (best) facts.faceScore = round(best.score);
      if (!hit || (personRef && hit.personRef !== personRef))
        return { ok: false, reason: hit ? 'face.no-match' : 'face.not-enrolled', facts };
      score = hit.score;
    } else {
      return {
        ok: false,
        reason: 'face.unavailable',
        facts: { ...facts, detail: 'no reference photo or enrollment for this credential' },
      };
    }
    facts.faceScore = round(score);
    if (score < threshold) return { ok: false, reason: 'face.no-match', facts };
    return { ok: true, facts };
  }

  /** The probe face, after the liveness check where the lane asks for one. */
  private async capture(
    req: Parameters<FaceCheck['check']>[0],
    facts: Facts,
  ): Promise<
    | { ok: true; value: FaceAnalysis; image?: Buffer }
    | { ok: false; reason: 'face.missing' | 'face.retake' | 'face.liveness-failed' }
  > {
    const mode = req.policy.liveness;
    const camera = this.deps.cameras.get(cameraKey(req.lane, req.direction));
    if (req.probe) {
      // A single still (a handheld) cannot show motion: it passes liveness only where liveness is advisory or off.
      const r = await this.deps.pipeline.analyze(req.probe);
      if (!r.ok) {
        facts.faceDetail = r.reason;
        return { ok: false, reason: 'face.retake' };
      }
      if (mode !== 'off') {
        const action = actionFor('uncertain', mode);
        facts.liveness = 'single-frame';
        if (action === 'deny') return { ok: false, reason: 'face.liveness-failed' };
      }
      return { ok: true, value: r.value, image: req.probe };
    }
    if (!camera) return { ok: false, reason: 'face.missing' };
    if (mode === 'off') {
      const image = await camera.snapshot();
      const r = await this.deps.pipeline.analyze(image);
      if (!r.ok) {
        facts.faceDetail = r.reason;
        return { ok: false, reason: 'face.retake' };
      }
      return { ok: true, value: r.value, image };
    }
    const burst = this.deps.burst ?? DEFAULT_BURST;
    const assess = (burstDeadlineMs?: number) =>
      captureAndAssess(camera, this.deps.pipeline, {
        mode,
        frames: burst.frames,
        intervalMs: burst.intervalMs,
        useModel: false,
        ...(burstDeadlineMs === undefined ? {} : { burstDeadlineMs }),
      });
    let captured = await assess();
    let next = afterBurst(captured.liveness.verdict, mode, 1);
    if (next.t === 'ask-blink') {
      const first = captured.liveness;
      const where = { lane: req.lane, direction: req.direction };
      this.deps.prompt?.({ ...where, step: 'blink' });
      try {
        captured = await assess(burst.frames * burst.intervalMs + (this.deps.retrySlackMs ?? DEFAULT_RETRY_SLACK_MS));
        next = afterBurst(captured.liveness.verdict, mode, 2);
        Object.assign(facts, retryFacts(first, captured.liveness.verdict));
      } catch (err) {
        // A camera or model fault is not a verdict: it goes up like one on the first burst (the decision denies
        // face.unavailable and logs it). Only a second burst that did not come in time is a liveness denial.
        if (!(err instanceof BurstTimeout)) throw err;
        Object.assign(facts, livenessFacts(first), retryFacts(first, 'timeout'));
        return { ok: false, reason: 'face.liveness-failed' };
      } finally {
        this.deps.prompt?.({ ...where, step: 'done' });
      }
    }
    Object.assign(facts, livenessFacts(captured.liveness));
    if (next.t === 'act' && next.action === 'deny') {
      // A reviewer looks hardest at these: a photo held up, or an honest person who kept still.
      if (this.deps.evidence && captured.bestImage) {
        const { photo } = req.reference;
        facts.faceEvidence = this.deps.evidence.keep({
          live: captured.bestImage,
          ...(photo ? { reference: photo } : {}),
        });
      }
      return { ok: false, reason: 'face.liveness-failed' };
    }
    if (!captured.best.ok) {
      facts.faceDetail = captured.best.reason;
      return { ok: false, reason: 'face.retake' };
    }
    return { ok: true, value: captured.best.value, image: captured.bestImage };
  }
}
