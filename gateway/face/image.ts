// Bounded decoding of outside image bytes into interleaved RGB, as errors-as-values.
//
// Only JPEG and PNG reach sharp (sniffed by magic bytes, so SVG, TIFF, GIF and friends never hit
// libvips); binary PGM/PPM is parsed here because the ORL evaluation set is PGM and libvips in
// sharp's prebuilt binaries has no netpbm loader.
import sharp from 'sharp';
import { fail, ok, type Result } from '../../contracts/result.js';
import { parseNetpbm } from './netpbm.js';

// One libvips worker: inference is single-threaded too, and on 2-core gate boxes extra threads
// only contend (measured with bench/face.ts, see packages notes).
sharp.concurrency(1);
sharp.cache(false); // frames are never repeated; the cache would only hold passers-by's pixels

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** ~25 MP: far above any gate camera, low enough that a decompression bomb cannot exhaust memory. */
export const MAX_IMAGE_PIXELS = 25_000_000;

/**
 * Frames larger than this on their long side are shrunk while decoding (JPEG shrink-on-load makes
 * that cheaper than a full decode): gate cameras deliver <= 1280x720, and a face filling a 25 MP
 * enrolment photo still has far more than the 112 px the embedding uses.
 */
export const WORKING_MAX_SIDE = 1600;

/** Interleaved 8-bit RGB, row-major, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A decoded frame; `scaleToSource`: source-image pixels per working pixel (1 unless the frame was shrunk). */
export type DecodedImage = RgbImage & { scaleToSource: number };
export type DecodeResult = Result<DecodedImage, 'image.invalid'>;

type Format = 'jpeg' | 'png' | 'netpbm';

export function sniffFormat(bytes: Uint8Array): Format | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 2 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36)) return 'netpbm';
  return undefined;
}

export async function decodeImage(bytes: Uint8Array, maxSide = WORKING_MAX_SIDE): Promise<DecodeResult> {
  if (bytes.length === 0) return invalid('empty image');
  if (bytes.length > MAX_IMAGE_BYTES) return invalid(`image is ${bytes.length} bytes, limit ${MAX_IMAGE_BYTES}`);
  const format = sniffFormat(bytes);
  if (!format) return invalid('not a JPEG, PNG or binary PGM/PPM image');
  if (format === 'netpbm') {
    const parsed = parseNetpbm(bytes, MAX_IMAGE_PIXELS);
    return parsed.ok ? ok({ ...parsed.value, scaleToSource: 1 }) : parsed;
  }
  try {
    const input = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' });
    const meta = await input.metadata();
    const sourceLongSide = Math.max(meta.width ?? 0, meta.height ?? 0);
    const { data, info } = await input
      .rotate() // honour EXIF orientation: phones and some IP cameras store frames sideways
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) return invalid(`decoded to ${info.channels} channels, expected 3`);
    const scaleToSource = sourceLongSide > 0 ? sourceLongSide / Math.max(info.width, info.height) : 1;
    return ok({
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      scaleToSource,
    });
  } catch (err) {
    return invalid(
      `${format} could not be decoded: ${String((err as Error).message ?? err)
        .split('\n')[0]
        .slice(0, 200)}`,
    );
  }
}

const invalid = (detail: string): DecodeResult => fail('image.invalid', detail);
