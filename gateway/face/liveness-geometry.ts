// Geometry over 68-point landmark sets (iBUG 300-W order, x/y interleaved in pixels) for the
// multi-frame liveness check: how much of the motion between two frames is rigid, and what is left over.
//
// Point indices (0-based): jaw 0-16, brows 17-26, nose 27-35, eyes 36-41 and 42-47, outer lips 48-59,
// inner lips 60-67.

export const LANDMARK_COUNT = 68;

const px = (l: Float32Array, i: number): number => l[2 * i];
const py = (l: Float32Array, i: number): number => l[2 * i + 1];
const dist = (l: Float32Array, i: number, j: number): number => Math.hypot(px(l, i) - px(l, j), py(l, i) - py(l, j));

export function isLandmarkSet(l: Float32Array): boolean {
  if (l.length !== 2 * LANDMARK_COUNT) return false;
  for (const v of l) if (!Number.isFinite(v)) return false;
  return true;
}

/** Distance between the two eye centres: the face-size unit every motion is divided by. */
export function interOcularDistance(l: Float32Array): number {
  let rx = 0,
    ry = 0,
    lx = 0,
    ly = 0;
  for (let i = 36; i < 42; i++) {
    rx += px(l, i);
    ry += py(l, i);
  }
  for (let i = 42; i < 48; i++) {
    lx += px(l, i);
    ly += py(l, i);
  }
  return Math.hypot(rx / 6 - lx / 6, ry / 6 - ly / 6);
}

/** Eye aspect ratio (Soukupová & Čech 2016), averaged over both eyes: drops towards 0 as the lids close. */
export function eyeAspectRatio(l: Float32Array): number {
  const one = (p1: number): number => {
    const [a, b, c, d, e, f] = [p1, p1 + 1, p1 + 2, p1 + 3, p1 + 4, p1 + 5];
    const width = dist(l, a, d);
    return width > 0 ? (dist(l, b, f) + dist(l, c, e)) / (2 * width) : 0;
  };
  return (one(36) + one(42)) / 2;
}

/** Mouth aspect ratio over the inner lips: about 0 closed, grows as the mouth opens. */
export function mouthAspectRatio(l: Float32Array): number {
  const width = dist(l, 60, 64);
  return width > 0 ? (dist(l, 61, 67) + dist(l, 62, 66) + dist(l, 63, 65)) / (2 * width) : 0;
}

export interface SimilarityTransform {
  /** Uniform scale. */
  scale: number;
  /** Rotation in radians. */
  rotation: number;
  tx: number;
  ty: number;
}

function centroid(l: Float32Array): [number, number] {
  let x = 0,
    y = 0;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    x += px(l, i);
    y += py(l, i);
  }
  return [x / LANDMARK_COUNT, y / LANDMARK_COUNT];
}

/**
 * Least-squares similarity transform taking `from` onto `to` (closed form, 2-D Procrustes):
 * with both sets centred, q ≈ [a −b; b a]·p where a = Σ p·q / Σ|p|², b = Σ p×q / Σ|p|².
 */
export function fitSimilarity(from: Float32Array, to: Float32Array): SimilarityTransform {
  const [fx, fy] = centroid(from);
  const [tx, ty] = centroid(to);
  let dot = 0,
    cross = 0,
    norm = 0;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const ax = px(from, i) - fx,
      ay = py(from, i) - fy;
    const bx = px(to, i) - tx,
      by = py(to, i) - ty;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  const a = norm > 0 ? dot / norm : 1;
  const b = norm > 0 ? cross / norm : 0;
  return {
    scale: Math.hypot(a, b),
    rotation: Math.atan2(b, a),
    tx: tx - (a * fx - b * fy),
    ty: ty - (b * fx + a * fy),
  };
}

/** RMS distance (pixels) between `to` and `from` mapped by the similarity transform. */
export function similarityResidual(
  from: Float32Array,
  to: Float32Array,
  t: SimilarityTransform = fitSimilarity(from, to),
): number {
  const a = t.scale * Math.cos(t.rotation),
    b = t.scale * Math.sin(t.rotation);
  let sum = 0;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const x = px(from, i),
      y = py(from, i);
    sum += (a * x - b * y + t.tx - px(to, i)) ** 2 + (b * x + a * y + t.ty - py(to, i)) ** 2;
  }
  return Math.sqrt(sum / LANDMARK_COUNT);
}

/**
 * RMS distance (pixels) left after the least-squares affine map from `from` to `to`. An affine map also
 * absorbs the shear and uneven scaling of a photo tilted in the hand (a plane seen at an angle is, to
 * first order, an affine map of itself), so what remains is motion no flat object can make.
 */
export function affineResidual(from: Float32Array, to: Float32Array): number {
  const [fx, fy] = centroid(from);
  const [tx, ty] = centroid(to);
  // Normal equations for centred points: [Sxx Sxy; Sxy Syy]·[m11 m21; m12 m22]ᵀ = [Σx·u Σx·v; Σy·u Σy·v].
  let sxx = 0,
    sxy = 0,
    syy = 0,
    sxu = 0,
    syu = 0,
    sxv = 0,
    syv = 0;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const x = px(from, i) - fx,
      y = py(from, i) - fy;
    const u = px(to, i) - tx,
      v = py(to, i) - ty;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sxu += x * u;
    syu += y * u;
    sxv += x * v;
    syv += y * v;
  }
  const det = sxx * syy - sxy * sxy;
  if (!(Math.abs(det) > 1e-9)) return similarityResidual(from, to);
  const m11 = (syy * sxu - sxy * syu) / det,
    m12 = (sxx * syu - sxy * sxu) / det;
  const m21 = (syy * sxv - sxy * syv) / det,
    m22 = (sxx * syv - sxy * sxv) / det;
  let sum = 0;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const x = px(from, i) - fx,
      y = py(from, i) - fy;
    const u = px(to, i) - tx,
      v = py(to, i) - ty;
    sum += (m11 * x + m12 * y - u) ** 2 + (m21 * x + m22 * y - v) ** 2;
  }
  return Math.sqrt(sum / LANDMARK_COUNT);
}
