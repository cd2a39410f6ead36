// Input and output of fr_liveness.onnx, the single-frame presentation-attack score.
// A weak signal only (see /work/shared/notes/liveness.md): the multi-frame liveness module decides.
import type { FaceBox } from './detect.js';
import type { RgbImage } from './image.js';
import { Pyramid, rectToAffine, sampleAffine, toPlanar } from './sampling.js';

export const LIVE_SIZE = 128;
const CONTEXT_SCALE = 2.7; // the model was trained on the box enlarged 2.7x about its centre

/** The context crop: box scaled about its centre (at most 2.7x, at most the image), shifted inside. */
export function liveCropRect(
  box: FaceBox,
  image: { width: number; height: number },
): { x: number; y: number; w: number; h: number } {
  const scale = Math.min((image.height - 1) / box.h, (image.width - 1) / box.w, CONTEXT_SCALE);
  const w = box.w * scale;
  const h = box.h * scale;
  let x = box.x + box.w / 2 - w / 2;
  let y = box.y + box.h / 2 - h / 2;
  x = Math.min(Math.max(0, x), image.width - w);
  y = Math.min(Math.max(0, y), image.height - h);
  return { x, y, w, h };
}

/** [1,3,128,128] RGB, raw 0..255. */
export function liveInput(image: Pyramid | RgbImage, box: FaceBox): Float32Array {
  const r = liveCropRect(box, image instanceof Pyramid ? image.base : image);
  const rgb = sampleAffine(image, rectToAffine(r.x, r.y, r.w, r.h, LIVE_SIZE, LIVE_SIZE), LIVE_SIZE, LIVE_SIZE);
  return toPlanar(rgb, LIVE_SIZE, LIVE_SIZE, 0, 1);
}

/** Softmax over the 3 logits; index 0 is "live". */
export function liveProbability(logits: Float32Array): number {
  const max = Math.max(logits[0], logits[1], logits[2]);
  const e0 = Math.exp(logits[0] - max);
  const sum = e0 + Math.exp(logits[1] - max) + Math.exp(logits[2] - max);
  const p = e0 / sum;
  return Number.isFinite(p) ? p : 0;
}
