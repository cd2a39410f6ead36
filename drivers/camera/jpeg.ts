// The cheapest check that a camera sent a JPEG: start-of-image marker first, end-of-image marker last.
// Decoding is the pipeline's job; this only keeps obvious garbage (HTML error pages, truncated frames) out.
const SOI = [0xff, 0xd8];
const EOI = [0xff, 0xd9];

export function looksLikeJpeg(b: Uint8Array): boolean {
  return (
    b.length >= 4 && b[0] === SOI[0] && b[1] === SOI[1] && b[b.length - 2] === EOI[0] && b[b.length - 1] === EOI[1]
  );
}

/** Index just past the last end-of-image marker in `b[from..to)`, or -1. */
export function lastEndOfImage(b: Uint8Array, from: number, to: number): number {
  for (let i = to - 2; i >= from; i--) if (b[i] === EOI[0] && b[i + 1] === EOI[1]) return i + 2;
  return -1;
}

/** Index of the first start-of-image marker in `b[from..to)`, or -1. */
export function firstStartOfImage(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (b[i] === SOI[0] && b[i + 1] === SOI[1]) return i;
  return -1;
}
