// Face detection with fr_detect.onnx: letterbox to 320x240, run, threshold, NMS, square boxes.
// The model's `boxes` output is already decoded (normalised x1,y1,x2,y2 of the 320x240 input);
// the prior-box decoding in the upstream JS package is wrong and is not used.
import { type Pyramid, rectToAffine, sampleAffine } from './sampling.js';

export const DETECT_WIDTH = 320;
export const DETECT_HEIGHT = 240;
const PAD_VALUE = 127; // grey pad: (127 - 127) / 128 = 0, the network's neutral input
export const DETECT_SCORE_THRESHOLD = 0.65; // upstream default; lower lets hands and posters in
export const NMS_IOU = 0.4;

/** A square face box in pixels of the decoded image, plus detector confidence. */
export interface FaceBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

export interface Letterbox {
  tensor: Float32Array; // [1,3,240,320] RGB, (x - 127) / 128
  /** source pixels per detector pixel */
  scale: number;
}

/**
 * Keeps the aspect ratio and pads right and bottom, so detector pixels map back by one scale.
 * Sampled from the frame's pyramid in JS: a sharp round trip from raw pixels cost ~8 ms CPU on a
 * 1.2 MP frame, and the pyramid levels it builds are reused by the landmark and liveness crops.
 */
export function letterbox(pyramid: Pyramid): Letterbox {
  const { width, height } = pyramid.base;
  const scale = Math.max(width / DETECT_WIDTH, height / DETECT_HEIGHT);
  const innerW = Math.min(DETECT_WIDTH, Math.max(1, Math.round(width / scale)));
  const innerH = Math.min(DETECT_HEIGHT, Math.max(1, Math.round(height / scale)));
  const rgb = sampleAffine(pyramid, rectToAffine(0, 0, innerW * scale, innerH * scale, innerW, innerH), innerW, innerH);
  const plane = DETECT_WIDTH * DETECT_HEIGHT;
  const tensor = new Float32Array(plane * 3);
  tensor.fill((PAD_VALUE - 127) / 128);
  for (let y = 0; y < innerH; y++) {
    for (let x = 0; x < innerW; x++) {
      const i = (y * innerW + x) * 3;
      const o = y * DETECT_WIDTH + x;
      tensor[o] = (rgb[i] - 127) / 128;
      tensor[plane + o] = (rgb[i + 1] - 127) / 128;
      tensor[2 * plane + o] = (rgb[i + 2] - 127) / 128;
    }
  }
  return { tensor, scale };
}

interface RawBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/**
 * Turns the network outputs into square face boxes in image pixels, best first.
 * `scores` is [n,2] (face = index 1), `boxes` [n,4] normalised to the 320x240 input.
 */
export function decodeDetections(
  scores: Float32Array,
  boxes: Float32Array,
  scale: number,
  image: { width: number; height: number },
  threshold = DETECT_SCORE_THRESHOLD,
): FaceBox[] {
  const n = Math.min(scores.length / 2, boxes.length / 4);
  const candidates: RawBox[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores[i * 2 + 1];
    if (!(score >= threshold)) continue; // also drops NaN
    const x1 = boxes[i * 4] * DETECT_WIDTH * scale;
    const y1 = boxes[i * 4 + 1] * DETECT_HEIGHT * scale;
    const x2 = boxes[i * 4 + 2] * DETECT_WIDTH * scale;
    const y2 = boxes[i * 4 + 3] * DETECT_HEIGHT * scale;
    if (!(x2 > x1 && y2 > y1)) continue;
    candidates.push({ x1, y1, x2, y2, score });
  }
  return nonMaximumSuppression(candidates, NMS_IOU)
    .map(toSquare)
    .filter((b) => overlapsImage(b, image));
}

export function nonMaximumSuppression<T extends RawBox>(boxes: T[], iouLimit: number): T[] {
  const sorted = [...boxes].sort((p, q) => q.score - p.score);
  const kept: T[] = [];
  for (const box of sorted) {
    if (kept.every((k) => iou(k, box) <= iouLimit)) kept.push(box);
  }
  return kept;
}

function iou(p: RawBox, q: RawBox): number {
  const w = Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1);
  const h = Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((p.x2 - p.x1) * (p.y2 - p.y1) + (q.x2 - q.x1) * (q.y2 - q.y1) - inter);
}

/** Side = box height: the detector's boxes are taller than wide and the landmark net expects that. */
function toSquare(b: RawBox): FaceBox {
  const side = b.y2 - b.y1;
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  return { x: cx - side / 2, y: cy - side / 2, w: side, h: side, score: b.score };
}

const overlapsImage = (b: FaceBox, img: { width: number; height: number }): boolean =>
  b.x + b.w > 0 && b.y + b.h > 0 && b.x < img.width && b.y < img.height;
