// Landmarks from the dense face mesh (MediaPipe FaceMesh v1, 468 points) for the liveness burst, given in the
// 68-point iBUG layout that liveness-geometry.ts and the rest of the pipeline read. The crop is the
// detector's box enlarged 1.5x, sampled from the full frame at 192x192; each eye then gets its own 64x64 crop for
// the Iris model, 2.3x its width. An eye 11 px high in the frame is ~5 px high in the mesh crop, ~7 px in the Iris
// crop, and ~2.5 px in the 68-point model's 64x64 face crop (p1-img5 in test/fixtures/liveness).
import type { FaceBox } from './detect.js';
import { IRIS_INPUT_SIZE, IRIS_POINTS, MESH_INPUT_SIZE, MESH_POINTS } from './mesh-model.js';
import { type Pyramid, rectToAffine, sampleAffine } from './sampling.js';

/** FaceMesh was trained on faces with a margin round them (MediaPipe enlarges its detection box 1.5x). */
export const MESH_CROP_SCALE = 1.5;
/** Below this face-presence score the mesh is not a face (a hand, a blur): the frame gives no landmarks. */
export const MESH_MIN_FACE_SCORE = 0.5;

export interface CropRect {
  x: number;
  y: number;
  side: number;
}

export function meshCropRect(box: FaceBox): CropRect {
  const side = Math.max(box.w, box.h) * MESH_CROP_SCALE;
  return { x: box.x + box.w / 2 - side / 2, y: box.y + box.h / 2 - side / 2, side };
}

/** [1,192,192,3] RGB 0..1 from the full frame (edge pixels repeat where the crop leaves the image). */
export function meshInput(image: Pyramid, rect: CropRect): Float32Array {
  const rgb = sampleAffine(
    image,
    rectToAffine(rect.x, rect.y, rect.side, rect.side, MESH_INPUT_SIZE, MESH_INPUT_SIZE),
    MESH_INPUT_SIZE,
    MESH_INPUT_SIZE,
  );
  for (let i = 0; i < rgb.length; i++) rgb[i] /= 255;
  return rgb;
}

/** The model's 468 (x, y, z) in crop pixels to 468 (x, y) in image pixels. */
export function meshToImage(mesh: Float32Array, rect: CropRect): Float32Array {
  const s = rect.side / MESH_INPUT_SIZE;
  const points = new Float32Array(MESH_POINTS * 2);
  for (let i = 0; i < MESH_POINTS; i++) {
    points[i * 2] = rect.x + mesh[i * 3] * s;
    points[i * 2 + 1] = rect.y + mesh[i * 3 + 1] * s;
  }
  return points;
}

/**
 * The mesh point standing in for each iBUG 68 point, in iBUG order (MediaPipe's face_mesh_connections.py rings).
 * Eyes: 36-41 = 33,160,158,133,153,144 and 42-47 = 362,385,387,263,373,380, the corner / upper / lower-lid
 * points the eye aspect ratio is defined on; inner lips 60-67 follow the mesh's inner lip ring (78 ... 308).
 */
export const IBUG68_FROM_MESH: readonly number[] = [
  // jaw 0-16, image left to right via the chin (152)
  127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356,
  // brows 17-21, 22-26
  70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
  // nose bridge 27-30 (30 = tip), nostrils 31-35
  168, 6, 197, 1, 98, 97, 2, 326, 327,
  // eyes 36-41, 42-47
  33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
  // outer lips 48-59
  61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,
  // inner lips 60-67
  78, 81, 13, 311, 308, 402, 14, 178,
];

export function ibug68FromMesh(meshXY: Float32Array): Float32Array {
  const out = new Float32Array(136);
  IBUG68_FROM_MESH.forEach((m, i) => {
    out[i * 2] = meshXY[m * 2];
    out[i * 2 + 1] = meshXY[m * 2 + 1];
  });
  return out;
}

/** MediaPipe's iris pipeline crops each eye as a square 2.3x the corner-to-corner distance. */
export const IRIS_CROP_SCALE = 2.3;

/** The square eye crop about the midpoint of two eye corners (image pixels). */
export function eyeCropRect(ax: number, ay: number, bx: number, by: number): CropRect {
  const side = Math.hypot(ax - bx, ay - by) * IRIS_CROP_SCALE;
  return { x: (ax + bx) / 2 - side / 2, y: (ay + by) / 2 - side / 2, side };
}

/** [1,64,64,3] RGB 0..1 of the eye, mirrored for the subject's left eye: the Iris model expects a right eye. */
export function irisInput(image: Pyramid, rect: CropRect, mirror: boolean): Float32Array {
  const n = IRIS_INPUT_SIZE;
  const rgb = sampleAffine(image, rectToAffine(rect.x, rect.y, rect.side, rect.side, n, n), n, n);
  const out = new Float32Array(rgb.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const from = (y * n + (mirror ? n - 1 - x : x)) * 3;
      const to = (y * n + x) * 3;
      out[to] = rgb[from] / 255;
      out[to + 1] = rgb[from + 1] / 255;
      out[to + 2] = rgb[from + 2] / 255;
    }
  }
  return out;
}

/** The Iris model's 76 (x, y, z) in crop pixels to 76 (x, y) in image pixels, un-mirrored. */
export function irisToImage(points: Float32Array, rect: CropRect, mirror: boolean): Float32Array {
  const s = rect.side / IRIS_INPUT_SIZE;
  const out = new Float32Array(IRIS_POINTS * 2);
  for (let i = 0; i < IRIS_POINTS; i++) {
    const x = points[i * 3];
    out[i * 2] = rect.x + (mirror ? IRIS_INPUT_SIZE - x : x) * s;
    out[i * 2 + 1] = rect.y + points[i * 3 + 1] * s;
  }
  return out;
}

/**
 * Iris contour points standing in for iBUG 36-41 (the subject's right eye) and 42-47 (left, mirrored in the crop):
 * contour 0 and 8 are the corners, 9-15 the upper lid and 0-8 the lower lid (outer to inner), so 11/13 and 3/5
 * are the lid points over and under the EAR's p2/p3 and p6/p5 (the mesh's 160/158 and 144/153).
 */
export const IBUG_RIGHT_EYE_FROM_IRIS: readonly number[] = [0, 11, 13, 8, 5, 3];
export const IBUG_LEFT_EYE_FROM_IRIS: readonly number[] = [8, 13, 11, 0, 3, 5];

/** Writes one eye's six iBUG points (from `first`, 36 or 42) from the Iris model's points in image pixels. */
export function setEyeFromIris(ibug: Float32Array, first: 36 | 42, irisXY: Float32Array): void {
  const map = first === 36 ? IBUG_RIGHT_EYE_FROM_IRIS : IBUG_LEFT_EYE_FROM_IRIS;
  map.forEach((k, i) => {
    ibug[(first + i) * 2] = irisXY[k * 2];
    ibug[(first + i) * 2 + 1] = irisXY[k * 2 + 1];
  });
}
