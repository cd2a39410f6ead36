// ONNX sessions for the face models, created once per process with the settings measured to be
// fastest on the 2-core gate box.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { fail, ok, type Result } from '../../contracts/result.js';
import { checkModelFiles } from './model-files.js';

export const MODEL_FILES = {
  detect: 'fr_detect.onnx',
  landmark: 'fr_landmark.onnx',
  feature: 'fr_feature.onnx',
  liveness: 'fr_liveness.onnx',
} as const;
export type ModelName = keyof typeof MODEL_FILES;

// 1 intra-op and 1 inter-op thread: 4-5x faster than onnxruntime's defaults on 2-core boxes
// (the default thread pool spins on both cores and fights sharp and the event loop); bench/face.ts.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

export type SessionsResult = Result<Map<ModelName, ort.InferenceSession>, 'models.unavailable'>;

/**
 * Opens one session per model after checking each file against its pinned sha256. A missing or altered file
 * is a refusal naming `npm ci` (which installs them): the daemon never fetches (a gate box may have no registry access, and
 * a start must not hang for minutes on `npm pack`).
 */
export async function openSessions(modelsDir: string, names: readonly ModelName[]): Promise<SessionsResult> {
  const checked = await checkModelFiles(
    modelsDir,
    names.map((n) => MODEL_FILES[n]),
  );
  if (!checked.ok) return fail('models.unavailable', checked.detail);
  const sessions = new Map<ModelName, ort.InferenceSession>();
  try {
    for (const name of names) {
      sessions.set(name, await ort.InferenceSession.create(join(modelsDir, MODEL_FILES[name]), SESSION_OPTIONS));
    }
  } catch (error) {
    // A session that fails to open (out of memory, a runtime fault) must not leave the ones before it holding
    // their native memory: a daemon retrying the load would leak a model's worth at every try.
    await releaseAll(sessions.values());
    return fail('models.unavailable', `onnxruntime could not open a model: ${(error as Error).message}`);
  }
  return ok(sessions);
}

/** Releases every session, going on past one that fails (a release is best effort; the rest must still go). */
export async function releaseAll(sessions: Iterable<ort.InferenceSession>): Promise<void> {
  for (const s of sessions) await s.release().catch(() => {});
}

/** Runs a single-input model and returns its named float outputs. */
export async function infer(
  session: ort.InferenceSession,
  input: Float32Array,
  dims: readonly number[],
): Promise<Record<string, Float32Array>> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, dims) };
  const results = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const name of session.outputNames) out[name] = results[name].data as Float32Array;
  return out;
}
