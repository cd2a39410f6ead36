// Whether this gateway can decode a JPEG 2000 document photo. sharp 0.35.5's prebuilt libvips
// is built without OpenJPEG (sharp.format.jp2.input.buffer === false, checked 2026-11), so JP2
// photos are refused with a clear reason unless a build with JPEG 2000 support is installed.
let cached: Promise<boolean> | undefined;

export function canDecodeJpeg2000(): Promise<boolean> {
  cached ??= import('sharp').then((m) => Boolean(m.default.format.jp2?.input?.buffer)).catch(() => false);
  return cached;
}
