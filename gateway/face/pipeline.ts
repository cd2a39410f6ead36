// The on-device face pipeline: decode -> detect -> choose subject -> landmarks -> align -> embed
// (-> single-frame liveness score when asked). Sessions are opened once in load(); analyze() never
// writes an image anywhere: pixels live only in memory for the duration of the call.
import type * as ort from 'onnxruntime-node';
import { fail, ok, type Result } from '../../contracts/result.js';
import { alignFace } from './align.js';
import { DETECT_HEIGHT, DETECT_WIDTH, decodeDetections, type FaceBox, letterbox } from './detect.js';
import { decodeImage, type RgbImage } from './image.js';
import { fivePoints, LANDMARK_SIZE, landmarkInput, landmarksToImage } from './landmarks.js';
import { LIVE_SIZE, liveInput, liveProbability } from './live-score.js';
import type { LandmarkSource } from './liveness.js';
import {
  eyeCropRect,
  ibug68FromMesh,
  irisInput,
  irisToImage,
  MESH_MIN_FACE_SCORE,
  meshCropRect,
  meshInput,
  meshToImage,
  setEyeFromIris,
} from './mesh-landmarks.js';
import { loadMeshModel, type MeshModel } from './mesh-model.js';
import { infer, type ModelName, openSessions, releaseAll } from './models.js';
import {
  checkFace,
  checkFraming,
  chooseSubject,
  DEFAULT_QUALITY_LIMITS,
  estimatePose,
  type QualityLimits,
  type QualityMeasures,
  type QualityVerdict,
  sharpness,
} from './quality.js';
import { Pyramid, toPlanar } from './sampling.js';
import { l2Normalise } from './vectors.js';

export type { FaceBox } from './detect.js';
export { cosineSimilarity } from './vectors.js';

export interface FaceAnalysis {
  /** in pixels of the submitted image (frames over WORKING_MAX_SIDE are analysed shrunk, then mapped back) */
  box: FaceBox;
  /** 68 (x, y) pairs in pixels of the submitted image */
  landmarks: Float32Array;
  /** 512 values, L2-normalised */
  embedding: Float32Array;
  quality: QualityVerdict;
  /** the liveness model's live probability 0..1, when asked; one weak signal, never a guarantee */
  liveness?: number;
  /** pose and sharpness behind the quality verdict, for logs and tuning */
  measures: QualityMeasures;
  /** every face the detector found (the subject included), largest first */
  facesFound: number;
  timings: { decodeMs: number; detectMs: number; landmarkMs: number; embedMs: number; livenessMs?: number };
}

/** Why a frame gives no analysis. */
export type FaceRejection = 'face.retake' | 'image.invalid' | 'face.none';
export type FaceResult = Result<FaceAnalysis, FaceRejection>;
export type LandmarksResult = Result<{ box: FaceBox; landmarks: Float32Array }, FaceRejection>;

/** Thrown by load() when the models cannot be had; callers test the flag, not the message. */
export class FaceModelsUnavailableError extends Error {
  readonly unavailable = true;
}

export interface AnalyzeOptions {
  /** also run the single-frame liveness model */
  liveness?: boolean;
  /**
   * Evaluate quality but do not enforce it: always analyse the dominant face. For evaluation and
   * enrolment review; a lane must not use it to decide on a bad frame.
   */
  skipQuality?: boolean;
}

/**
 * Where the liveness burst's landmarks come from (`landmarksOnly`): the dense face mesh on a 192x192 crop, or
 * the 68-point model on 64x64. The mesh is the default: with its Iris eyes it reads the simulated shut eye as a
 * 1.5-2x deeper dip, with less noise on flat photos (docs/liveness.md, "Landmark sources"). The match (`analyze`) always aligns with the 68-point
 * model, because the similarity thresholds in models/thresholds.json were derived with that alignment.
 */
export const DEFAULT_LANDMARK_SOURCE: LandmarkSource = 'faceMesh';

export class FacePipeline {
  private livenessSession: Promise<ort.InferenceSession> | undefined;

  private constructor(
    private readonly modelsDir: string,
    private readonly sessions: Map<ModelName, ort.InferenceSession>,
    readonly limits: QualityLimits,
    private readonly mesh: MeshModel | undefined,
  ) {
    const live = sessions.get('liveness');
    if (live) this.livenessSession = Promise.resolve(live);
  }

  /** Opens the sessions once; refuses (FaceModelsUnavailableError) when a model file is missing or altered. */
  static async load(opts: {
    modelsDir: string;
    withLiveness?: boolean;
    limits?: QualityLimits;
    /** the liveness burst's landmark source (DEFAULT_LANDMARK_SOURCE when absent) */
    landmarks?: LandmarkSource;
  }): Promise<FacePipeline> {
    const names: ModelName[] = ['detect', 'landmark', 'feature'];
    if (opts.withLiveness) names.push('liveness');
    const opened = await openSessions(opts.modelsDir, names);
    if (!opened.ok) throw new FaceModelsUnavailableError(`face models unavailable: ${opened.detail}`);
    let mesh: MeshModel | undefined;
    if ((opts.landmarks ?? DEFAULT_LANDMARK_SOURCE) === 'faceMesh') {
      const loaded = await loadMeshModel(opts.modelsDir);
      if (!loaded.ok) {
        await releaseAll(opened.value.values());
        throw new FaceModelsUnavailableError(`face mesh model unavailable: ${loaded.detail}`);
      }
      mesh = loaded.value;
    }
    return new FacePipeline(opts.modelsDir, opened.value, opts.limits ?? DEFAULT_QUALITY_LIMITS, mesh);
  }

  /** Which landmarks `landmarksOnly` gives, so the liveness check applies the thresholds calibrated for them. */
  get landmarkSource(): LandmarkSource {
    return this.mesh ? 'faceMesh' : 'ibug68';
  }

  async analyze(image: Buffer | Uint8Array, opts: AnalyzeOptions = {}): Promise<FaceResult> {
    let t = performance.now();
    const decoded = await decodeImage(image);
    const decodeMs = lap();
    if (!decoded.ok) return decoded;
    const rgb = decoded.value;
    const pyramid = new Pyramid(rgb);

    const faces = await this.detect(pyramid);
    const detectMs = lap();
    const choice = chooseSubject(faces, rgb, this.limits);
    if (!choice) return fail('face.none', 'no face found');
    const framing = checkFraming(choice, this.limits);
    if (!framing.ok && !opts.skipQuality) return fail('face.retake', framing.detail);

    const landmarks = await this.landmarks(pyramid, choice.subject);
    const landmarkMs = lap();

    const aligned = alignFace(pyramid, fivePoints(landmarks));
    const measures: QualityMeasures = {
      pose: estimatePose(landmarks, aligned.transform),
      sharpness: sharpness(aligned.pixels),
    };
    const faceVerdict = framing.ok ? checkFace(measures, this.limits) : framing;
    if (!faceVerdict.ok && !opts.skipQuality) return fail('face.retake', faceVerdict.detail);
    const feature = await infer(
      this.session('feature'),
      toPlanar(aligned.pixels, 112, 112, 127, 128),
      [1, 3, 112, 112],
    );
    const embedding = l2Normalise(feature[this.session('feature').outputNames[0]]);
    const embedMs = lap();

    const analysis: FaceAnalysis = {
      box: toSourceBox(choice.subject, rgb.scaleToSource),
      landmarks: toSourcePoints(landmarks, rgb.scaleToSource),
      embedding,
      quality: faceVerdict,
      measures,
      facesFound: faces.length,
      timings: { decodeMs, detectMs, landmarkMs, embedMs },
    };
    if (opts.liveness) {
      analysis.liveness = await this.liveScore(pyramid, choice.subject);
      analysis.timings.livenessMs = lap();
    }
    return ok(analysis);

    function lap(): number {
      const now = performance.now();
      const ms = now - t;
      t = now;
      return ms;
    }
  }

  /** Decode, detect and landmarks only (no embedding, no quality gate): for multi-frame liveness. */
  async landmarksOnly(image: Buffer | Uint8Array): Promise<LandmarksResult> {
    const decoded = await decodeImage(image);
    if (!decoded.ok) return decoded;
    const pyramid = new Pyramid(decoded.value);
    const choice = chooseSubject(await this.detect(pyramid), decoded.value, this.limits);
    if (!choice) return fail('face.none', 'no face found');
    let landmarks: Float32Array;
    if (this.mesh) {
      const rect = meshCropRect(choice.subject);
      const out = this.mesh.run(meshInput(pyramid, rect));
      if (!(out.faceScore >= MESH_MIN_FACE_SCORE)) {
        return fail('face.none', `the face mesh sees no face in the box (score ${out.faceScore.toFixed(2)})`);
      }
      const meshXY = meshToImage(out.mesh, rect);
      landmarks = ibug68FromMesh(meshXY);
      // The eyes from the Iris model, each on its own crop of the full frame between the mesh's eye corners: the
      // mesh's own lid points hardly close on a shut eye (docs/liveness.md, "Landmark sources").
      for (const [outer, inner, first, mirror] of [
        [33, 133, 36, false],
        [263, 362, 42, true],
      ] as const) {
        const eye = eyeCropRect(meshXY[outer * 2], meshXY[outer * 2 + 1], meshXY[inner * 2], meshXY[inner * 2 + 1]);
        setEyeFromIris(landmarks, first, irisToImage(this.mesh.runIris(irisInput(pyramid, eye, mirror)), eye, mirror));
      }
    } else {
      landmarks = await this.landmarks(pyramid, choice.subject);
    }
    return ok({
      box: toSourceBox(choice.subject, decoded.value.scaleToSource),
      landmarks: toSourcePoints(landmarks, decoded.value.scaleToSource),
    });
  }

  /** All faces in a decoded frame, best score first. */
  async detect(frame: Pyramid | RgbImage): Promise<FaceBox[]> {
    const pyramid = frame instanceof Pyramid ? frame : new Pyramid(frame);
    const lb = letterbox(pyramid);
    const out = await infer(this.session('detect'), lb.tensor, [1, 3, DETECT_HEIGHT, DETECT_WIDTH]);
    return decodeDetections(out.scores, out.boxes, lb.scale, pyramid.base);
  }

  async landmarks(rgb: Pyramid | RgbImage, box: FaceBox): Promise<Float32Array> {
    const session = this.session('landmark');
    const out = await infer(session, landmarkInput(rgb, box), [1, 1, LANDMARK_SIZE, LANDMARK_SIZE]);
    return landmarksToImage(out[session.outputNames[0]], box);
  }

  async liveScore(rgb: Pyramid | RgbImage, box: FaceBox): Promise<number> {
    // loaded lazily when load() was not asked for it: most lanes never need it
    const opening = (this.livenessSession ??= openSessions(this.modelsDir, ['liveness']).then((r) => {
      if (!r.ok) throw new FaceModelsUnavailableError(`liveness model unavailable: ${r.detail}`);
      return r.value.get('liveness') as ort.InferenceSession;
    }));
    // A failed open is not kept: the next burst tries again, so a model file put back is used without a restart.
    const session = await opening.catch((error: unknown) => {
      if (this.livenessSession === opening) this.livenessSession = undefined;
      throw error;
    });
    const out = await infer(session, liveInput(rgb, box), [1, 3, LIVE_SIZE, LIVE_SIZE]);
    return liveProbability(out[session.outputNames[0]]);
  }

  async release(): Promise<void> {
    await releaseAll(this.sessions.values());
    this.mesh?.release();
    if (this.livenessSession && !this.sessions.has('liveness'))
      await (await this.livenessSession.catch(() => undefined))?.release();
  }

  private session(name: ModelName): ort.InferenceSession {
    const s = this.sessions.get(name);
    if (!s) throw new Error(`face model ${name} not loaded`);
    return s;
  }
}

const toSourceBox = (b: FaceBox, scale: number): FaceBox =>
  scale === 1 ? b : { x: b.x * scale, y: b.y * scale, w: b.w * scale, h: b.h * scale, score: b.score };

function toSourcePoints(points: Float32Array, scale: number): Float32Array {
  if (scale === 1) return points;
  return points.map((v) => v * scale);
}
