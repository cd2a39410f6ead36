// 68-point landmarks with fr_landmark.onnx: grey 64x64 crop of the square box, value/256.
import type { FaceBox } from './detect.js';
import type { RgbImage } from './image.js';
import { type Pyramid, rectToAffine, sampleAffine, toGrey } from './sampling.js';

export const LANDMARK_SIZE = 64;

export function landmarkInput(image: Pyramid | RgbImage, box: FaceBox): Float32Array {
  const rgb = sampleAffine(
    image,
    rectToAffine(box.x, box.y, box.w, box.h, LANDMARK_SIZE, LANDMARK_SIZE),
    LANDMARK_SIZE,
    LANDMARK_SIZE,
  );
  const grey = toGrey(rgb);
  for (let i = 0; i < grey.length; i++) grey[i] /= 256;
  return grey;
}

/** Model output (68 x,y relative to the box) to image pixel coordinates. */
export function landmarksToImage(output: Float32Array, box: FaceBox): Float32Array {
  const points = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    points[i * 2] = box.x + output[i * 2] * box.w;
    points[i * 2 + 1] = box.y + output[i * 2 + 1] * box.h;
  }
  return points;
}

export interface Point {
  x: number;
  y: number;
}

const mean = (pts: Float32Array, indices: number[]): Point => {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += pts[i * 2];
    y += pts[i * 2 + 1];
  }
  return { x: x / indices.length, y: y / indices.length };
};

/**
 * The five ArcFace alignment points from the 68-point (iBUG) layout, in image order:
 * eye on the image left (points 36-41), eye on the image right (42-47), nose tip (30),
 * mouth corners as the mean of outer and inner lip corner (48/60, 54/64).
 */
export function fivePoints(pts: Float32Array): Point[] {
  return [
    mean(pts, [36, 37, 38, 39, 40, 41]),
    mean(pts, [42, 43, 44, 45, 46, 47]),
    mean(pts, [30]),
    mean(pts, [48, 60]),
    mean(pts, [54, 64]),
  ];
}
