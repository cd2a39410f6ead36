// Resampling an RGB image through an affine map, for the landmark crop, the 112x112 alignment and
// the liveness crop. One routine, so every stage sees pixels prepared the same way.
import type { RgbImage } from './image.js';

/** Maps output pixel (u, v) to source point (a*u + b*v + c, d*u + e*v + f). */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/**
 * An image with lazily built half-size levels (2x2 box filter). Crops that shrink a lot read from
 * the level nearest their scale: averaging 64 taps per pixel at full size cost ~20 ms per crop on
 * large faces; a level costs a fraction of that once and serves every crop of the frame.
 */
export class Pyramid {
  private readonly levels: RgbImage[];

  constructor(base: RgbImage) {
    this.levels = [base];
  }

  get base(): RgbImage {
    return this.levels[0];
  }

  level(n: number): RgbImage {
    while (this.levels.length <= n) {
      const prev = this.levels[this.levels.length - 1];
      if (prev.width < 2 || prev.height < 2) return prev;
      this.levels.push(halve(prev));
    }
    return this.levels[n];
  }
}

function halve(src: RgbImage): RgbImage {
  const width = src.width >> 1;
  const height = src.height >> 1;
  const data = new Uint8Array(width * height * 3);
  const s = src.data;
  const rowStride = src.width * 3;
  for (let y = 0; y < height; y++) {
    const r0 = 2 * y * rowStride;
    const r1 = r0 + rowStride;
    for (let x = 0; x < width; x++) {
      const i = r0 + x * 6;
      const j = r1 + x * 6;
      const o = (y * width + x) * 3;
      data[o] = (s[i] + s[i + 3] + s[j] + s[j + 3] + 2) >> 2;
      data[o + 1] = (s[i + 1] + s[i + 4] + s[j + 1] + s[j + 4] + 2) >> 2;
      data[o + 2] = (s[i + 2] + s[i + 5] + s[j + 2] + s[j + 5] + 2) >> 2;
    }
  }
  return { width, height, data };
}

/**
 * Samples `outW`x`outH` RGB values (0..255, interleaved HWC floats) through `toSource` (in
 * base-image pixels). When the map shrinks, it reads the pyramid level that leaves a shrink below 2
 * and averages k x k bilinear taps (k <= 2) per pixel: plain bilinear would alias on a 400 px face
 * shrunk to 64 px. Points outside the image read the nearest edge pixel.
 */
export function sampleAffine(image: Pyramid | RgbImage, toSource: Affine, outW: number, outH: number): Float32Array {
  const pyramid = image instanceof Pyramid ? image : new Pyramid(image);
  const fullScale = Math.sqrt(Math.abs(toSource[0] * toSource[4] - toSource[1] * toSource[3]));
  const levelIndex = fullScale >= 2 ? Math.floor(Math.log2(fullScale)) : 0;
  const src = pyramid.level(levelIndex);
  const s = pyramid.base.width / src.width; // exact factor of the level actually built
  // pixel centres: base x maps to level (x + 0.5) / s - 0.5
  const a = toSource[0] / s;
  const b = toSource[1] / s;
  const c = (toSource[2] + 0.5) / s - 0.5;
  const d = toSource[3] / s;
  const e = toSource[4] / s;
  const f = (toSource[5] + 0.5) / s - 0.5;
  const scale = Math.sqrt(Math.abs(a * e - b * d));
  const k = Math.min(2, Math.max(1, Math.ceil(scale - 1e-9)));
  const out = new Float32Array(outW * outH * 3);
  const { width, height, data } = src;
  const maxX = width - 1;
  const maxY = height - 1;
  const inv = 1 / (k * k);
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let sy = 0; sy < k; sy++) {
        const vv = v + (sy + 0.5) / k - 0.5;
        for (let sx = 0; sx < k; sx++) {
          const uu = u + (sx + 0.5) / k - 0.5;
          const x = Math.min(maxX, Math.max(0, a * uu + b * vv + c));
          const y = Math.min(maxY, Math.max(0, d * uu + e * vv + f));
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const fx = x - x0;
          const fy = y - y0;
          const w00 = (1 - fx) * (1 - fy);
          const w10 = fx * (1 - fy);
          const w01 = (1 - fx) * fy;
          const w11 = fx * fy;
          const p00 = (y0 * width + x0) * 3;
          const p10 = (y0 * width + x1) * 3;
          const p01 = (y1 * width + x0) * 3;
          const p11 = (y1 * width + x1) * 3;
          r += w00 * data[p00] + w10 * data[p10] + w01 * data[p01] + w11 * data[p11];
          g += w00 * data[p00 + 1] + w10 * data[p10 + 1] + w01 * data[p01 + 1] + w11 * data[p11 + 1];
          bl += w00 * data[p00 + 2] + w10 * data[p10 + 2] + w01 * data[p01 + 2] + w11 * data[p11 + 2];
        }
      }
      const o = (v * outW + u) * 3;
      out[o] = r * inv;
      out[o + 1] = g * inv;
      out[o + 2] = bl * inv;
    }
  }
  return out;
}

/** The map that sends a `outW`x`outH` grid onto the axis-aligned source rectangle (x, y, w, h). */
export function rectToAffine(x: number, y: number, w: number, h: number, outW: number, outH: number): Affine {
  return [w / outW, 0, x + (w / outW) * 0.5 - 0.5, 0, h / outH, y + (h / outH) * 0.5 - 0.5];
}

/** Interleaved RGB floats to planar NCHW with (value - mean) / scale per element. */
export function toPlanar(hwc: Float32Array, width: number, height: number, mean: number, scale: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = (hwc[i * 3] - mean) / scale;
    out[plane + i] = (hwc[i * 3 + 1] - mean) / scale;
    out[2 * plane + i] = (hwc[i * 3 + 2] - mean) / scale;
  }
  return out;
}

/** ITU-R BT.601 luma, the usual grey conversion. */
export function toGrey(hwc: Float32Array): Float32Array {
  const n = hwc.length / 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.299 * hwc[i * 3] + 0.587 * hwc[i * 3 + 1] + 0.114 * hwc[i * 3 + 2];
  return out;
}
