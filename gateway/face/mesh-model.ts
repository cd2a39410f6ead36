// The dense face mesh (MediaPipe FaceMesh v1: 468 points and a face-presence score) and MediaPipe Iris (an eye
// crop: 71 eye-contour and 5 iris points) run with TensorFlow.js on its WebAssembly backend, one thread. The I/O edge of the mesh landmark source (mesh-landmarks.ts is the pure
// part). Why TFJS next to onnxruntime: no ONNX face mesh can be installed from the npm registry, while the
// TFJS graph ships in @vladmandic/human (docs/liveness.md, "Landmark sources"); tfjs-node is out because its
// install downloads libtensorflow, whereas the wasm backend's .wasm files are in its npm tarball.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { fail, ok, type Result } from '../../contracts/result.js';
import { checkModelFiles, MESH_MANIFEST_FILE } from './model-files.js';

export const MESH_MODEL_FILES = ['facemesh.json', 'facemesh.bin', 'iris.json', 'iris.bin'] as const;
export const MESH_INPUT_SIZE = 192;
export const MESH_POINTS = 468;
export const IRIS_INPUT_SIZE = 64;
/** 71 eye and brow contour points, then the iris centre and 4 iris boundary points. */
export const IRIS_POINTS = 76;

/** One face crop's mesh: 468 (x, y, z) in crop pixels, and the model's face-presence score 0..1. */
export interface MeshOutput {
  mesh: Float32Array;
  faceScore: number;
}

export interface MeshModel {
  /** `input`: [1,192,192,3] RGB 0..1, NHWC. Synchronous: the wasm backend runs on this thread. */
  run(input: Float32Array): MeshOutput;
  /** `input`: [1,64,64,3] RGB 0..1 of a right eye (a left eye mirrored); 76 (x, y, z) in crop pixels. */
  runIris(input: Float32Array): Float32Array;
  release(): void;
}

type Tf = typeof import('@tensorflow/tfjs-core');
let runtime: Promise<Tf> | undefined;

/**
 * Starts the wasm backend once per process, single-threaded (the gate box has 2 cores, shared with onnxruntime,
 * sharp and the event loop). Emscripten's Node glue adds process listeners that rethrow every unhandled
 * rejection and uncaught exception; they are removed again, because the daemon reports an unhandled rejection
 * as an alarm and stays up (cli/gateway.ts), which a rethrow from inside a listener would turn into an exit.
 */
function startRuntime(): Promise<Tf> {
  const starting = (runtime ??= (async () => {
    const before = {
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
      uncaughtException: new Set(process.listeners('uncaughtException')),
    };
    try {
      const tf = await import('@tensorflow/tfjs-core');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = fileURLToPath(new URL('.', import.meta.resolve('@tensorflow/tfjs-backend-wasm')));
      wasm.setWasmPaths(dist.endsWith('/') ? dist : `${dist}/`);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');
      await tf.ready();
      return tf;
    } finally {
      for (const l of process.listeners('unhandledRejection')) {
        if (!before.unhandledRejection.has(l)) process.off('unhandledRejection', l);
      }
      for (const l of process.listeners('uncaughtException')) {
        if (!before.uncaughtException.has(l)) process.off('uncaughtException', l);
      }
    }
  })());
  // A start that failed is forgotten, so the next load tries again instead of failing for the process's life.
  starting.catch(() => {
    if (runtime === starting) runtime = undefined;
  });
  return starting;
}

export type MeshModelResult = Result<MeshModel, 'models.unavailable'>;

/** Loads FaceMesh from `modelsDir` after checking both files against models/mesh-manifest.json. */
export async function loadMeshModel(modelsDir: string, manifestFile = MESH_MANIFEST_FILE): Promise<MeshModelResult> {
  const checked = await checkModelFiles(modelsDir, MESH_MODEL_FILES, manifestFile);
  if (!checked.ok) return fail('models.unavailable', checked.detail);
  try {
    return ok(await openMeshModel(modelsDir));
  } catch (error) {
    return fail('models.unavailable', `the face mesh could not be loaded: ${(error as Error).message}`);
  }
}

async function openMeshModel(modelsDir: string): Promise<MeshModel> {
  const tf = await startRuntime();
  const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
  // TFJS cannot read file:// URLs without tfjs-node, so each graph and its weights are handed over from memory.
  const load = async (name: 'facemesh' | 'iris'): Promise<GraphModel> => {
    const graph = JSON.parse(await readFile(join(modelsDir, `${name}.json`), 'utf8')) as {
      modelTopology: object;
      weightsManifest: Array<{ paths: string[]; weights: import('@tensorflow/tfjs-core').io.WeightsManifestEntry[] }>;
    };
    const bin = await readFile(join(modelsDir, `${name}.bin`));
    return loadGraphModel(
      tf.io.fromMemory({
        modelTopology: graph.modelTopology,
        weightSpecs: graph.weightsManifest.flatMap((g) => g.weights),
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
  };
  const model = await load('facemesh');
  let iris: GraphModel;
  try {
    iris = await load('iris');
  } catch (error) {
    model.dispose(); // its weights live in the wasm heap until disposed
    throw error;
  }
  const outputs = ['Identity_2:0', 'Identity_1:0']; // output_mesh, output_faceflag (the graph's signature)
  return {
    run(input) {
      const x = tf.tensor4d(input, [1, MESH_INPUT_SIZE, MESH_INPUT_SIZE, 3]);
      try {
        const [mesh, flag] = model.execute(x, outputs) as import('@tensorflow/tfjs-core').Tensor[];
        const result = { mesh: mesh.dataSync() as Float32Array, faceScore: flag.dataSync()[0] };
        mesh.dispose();
        flag.dispose();
        return result;
      } finally {
        x.dispose();
      }
    },
    runIris(input) {
      const x = tf.tensor4d(input, [1, IRIS_INPUT_SIZE, IRIS_INPUT_SIZE, 3]);
      try {
        const y = iris.execute(x) as import('@tensorflow/tfjs-core').Tensor;
        const points = y.dataSync() as Float32Array;
        y.dispose();
        return points;
      } finally {
        x.dispose();
      }
    },
    release: () => {
      model.dispose();
      iris.dispose();
    },
  };
}
