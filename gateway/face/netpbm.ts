// Binary PGM (P5) and PPM (P6) with maxval <= 255, to interleaved RGB. Pure and bounded:
// the ORL evaluation images are P5; anything unusual is refused with a reason.
import { fail, ok, type Result } from '../../contracts/result.js';
import type { RgbImage } from './image.js';

export type NetpbmResult = Result<RgbImage, 'image.invalid'>;

const MAX_SIDE = 20_000;

export function parseNetpbm(bytes: Uint8Array, maxPixels: number): NetpbmResult {
  if (bytes.length < 2 || bytes[0] !== 0x50 || (bytes[1] !== 0x35 && bytes[1] !== 0x36)) {
    return fail('image.invalid', 'not a binary PGM/PPM (P5/P6)');
  }
  const channels = bytes[1] === 0x35 ? 1 : 3;
  let pos = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    // whitespace and comments between header fields
    while (pos < bytes.length && (isSpace(bytes[pos]) || bytes[pos] === 0x23)) {
      if (bytes[pos] === 0x23) while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
      else pos++;
    }
    let value = 0;
    let digits = 0;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39 && digits < 7) {
      value = value * 10 + (bytes[pos] - 0x30);
      pos++;
      digits++;
    }
    if (digits === 0) return fail('image.invalid', 'PGM/PPM header is truncated or not numeric');
    if (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39)
      return fail('image.invalid', 'PGM/PPM header number too long');
    fields.push(value);
  }
  const [width, height, maxval] = fields;
  if (pos >= bytes.length || !isSpace(bytes[pos]))
    return fail('image.invalid', 'PGM/PPM header not followed by whitespace');
  pos++; // exactly one whitespace byte before the raster
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
    return fail('image.invalid', `PGM/PPM size ${width}x${height} out of range`);
  if (width * height > maxPixels)
    return fail('image.invalid', `PGM/PPM has ${width * height} pixels, limit ${maxPixels}`);
  if (maxval < 1 || maxval > 255) return fail('image.invalid', `PGM/PPM maxval ${maxval} unsupported (1..255)`);
  const needed = width * height * channels;
  if (bytes.length - pos < needed)
    return fail('image.invalid', `PGM/PPM raster truncated: ${bytes.length - pos} of ${needed} bytes`);
  const data = new Uint8Array(width * height * 3);
  const scale = 255 / maxval;
  for (let i = 0, o = 0; i < width * height; i++, o += 3) {
    if (channels === 1) {
      const v = Math.min(255, Math.round(bytes[pos + i] * scale));
      data[o] = v;
      data[o + 1] = v;
      data[o + 2] = v;
    } else {
      for (let c = 0; c < 3; c++) data[o + c] = Math.min(255, Math.round(bytes[pos + i * 3 + c] * scale));
    }
  }
  return ok({ width, height, data });
}

const isSpace = (b: number): boolean =>
  b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
