// Framing for MJPEG over HTTP (multipart/x-mixed-replace, RFC 2046 §5.1.1): bytes in, JPEG frames out.
// Pure and incremental: push() takes whatever chunk the socket gave and returns what it completed.
// Bad bytes never throw: a broken part is reported as a rejected frame and the parser resyncs on the
// next boundary, because one corrupt frame must not cost the lane its camera.
import { firstStartOfImage, lastEndOfImage, looksLikeJpeg } from './jpeg.js';

export type FrameRejection = 'camera.frame-too-large' | 'camera.not-jpeg' | 'camera.bad-part-headers';

export type FramingEvent =
  | { kind: 'frame'; jpeg: Buffer }
  | { kind: 'rejected'; reason: FrameRejection; detail: string }
  /** The closing delimiter (`--boundary--`): the camera ended the stream on purpose. */
  | { kind: 'end' };

export interface FramingOptions {
  boundary: string;
  /** A part larger than this is dropped; it bounds the parser's memory to about this plus one header block. */
  maxFrameBytes: number;
  maxHeaderBytes?: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

/**
 * The boundary from a Content-Type header, or null. Cameras disagree on whether the declared boundary
 * carries the leading "--" (RFC 2046 says it does not); leading dashes are stripped here and the
 * parser searches for "--" + token, which matches both habits.
 */
export function boundaryFromContentType(contentType: string | null | undefined): string | null {
  if (!contentType || contentType.length > 1024) return null;
  const [type, ...params] = contentType.split(';');
  if (!/^\s*multipart\/x-mixed-replace\s*$/i.test(type)) return null;
  for (const p of params) {
    const m = /^\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;]*))\s*$/i.exec(p);
    if (!m) continue;
    const token = (m[1] ?? m[2] ?? '').replace(/^-+/, '');
    return token.length >= 1 && token.length <= 70 ? token : null;
  }
  return null;
}

type State = { at: 'boundary' } | { at: 'headers' } | { at: 'body'; contentLength: number | null };

export class MjpegFramer {
  private readonly delimiter: Buffer;
  private readonly maxFrameBytes: number;
  private readonly maxHeaderBytes: number;
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { at: 'boundary' };
  private ended = false;
  /** How far readBody has already searched the buffer for the next delimiter. */
  private bodyScanned = 0;

  constructor(opts: FramingOptions) {
    const token = opts.boundary.replace(/^-+/, '');
    if (!token || token.length > 70) throw new TypeError('boundary must be 1..70 characters');
    if (!(Number.isInteger(opts.maxFrameBytes) && opts.maxFrameBytes > 0))
      throw new TypeError('maxFrameBytes must be a positive integer');
    this.delimiter = Buffer.from(`--${token}`, 'latin1');
    this.maxFrameBytes = opts.maxFrameBytes;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 4096;
  }

  /** Bytes held while waiting for the rest of a part; stays within maxFrameBytes plus a header block. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): FramingEvent[] {
    const out: FramingEvent[] = [];
    if (this.ended || chunk.length === 0) return out;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    for (;;) {
      const before = this.buf.length;
      const state = this.state;
      if (state.at === 'boundary') this.seekBoundary(out);
      else if (state.at === 'headers') this.readHeaders(out);
      else this.readBody(state.contentLength, out);
      if (this.ended) return out;
      if (this.state === state && this.buf.length === before) return out; // needs more bytes
    }
  }

  private seekBoundary(out: FramingEvent[]): void {
    const at = this.buf.indexOf(this.delimiter);
    if (at < 0) {
      // Keep only what could be the start of a delimiter split across chunks.
      const keep = Math.min(this.buf.length, this.delimiter.length - 1);
      if (this.buf.length > keep) this.buf = this.buf.subarray(this.buf.length - keep);
      return;
    }
    const after = at + this.delimiter.length;
    if (this.buf.length < after + 2) {
      if (at > 0) this.buf = this.buf.subarray(at);
      return;
    }
    if (this.buf[after] === 0x2d && this.buf[after + 1] === 0x2d) {
      this.ended = true;
      this.buf = Buffer.alloc(0);
      out.push({ kind: 'end' });
      return;
    }
    // Headers start on the line after the delimiter; the rest of the delimiter line (transport padding) is ignored.
    this.buf = this.buf.subarray(after);
    this.state = { at: 'headers' };
  }

  private readHeaders(out: FramingEvent[]): void {
    const crlf = this.buf.indexOf(CRLF2);
    const lf = this.buf.indexOf(LF2);
    const end = crlf >= 0 && (lf < 0 || crlf <= lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : null;
    // A part with no headers at all has its blank line right after the delimiter line.
    const bare =
      this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a
        ? 2
        : this.buf.length >= 1 && this.buf[0] === 0x0a
          ? 1
          : 0;
    if (!end) {
      if (this.buf.length > this.maxHeaderBytes)
        this.reject(out, 'camera.bad-part-headers', `no end of part headers within ${this.maxHeaderBytes} bytes`);
      return;
    }
    if (end.at > this.maxHeaderBytes) {
      this.reject(out, 'camera.bad-part-headers', `part headers longer than ${this.maxHeaderBytes} bytes`);
      return;
    }
    const text = this.buf.subarray(bare, end.at).toString('latin1');
    let contentLength: number | null = null;
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*content-length\s*:\s*(.*?)\s*$/i.exec(line);
      if (!m) continue;
      if (!/^\d{1,12}$/.test(m[1])) {
        this.reject(out, 'camera.bad-part-headers', 'Content-Length is not a number');
        return;
      }
      contentLength = Number(m[1]);
    }
    if (contentLength !== null && contentLength > this.maxFrameBytes) {
      this.reject(out, 'camera.frame-too-large', `part of ${contentLength} bytes over the ${this.maxFrameBytes} limit`);
      return;
    }
    this.buf = this.buf.subarray(end.at + end.len);
    this.state = { at: 'body', contentLength };
  }

  private readBody(contentLength: number | null, out: FramingEvent[]): void {
    if (contentLength !== null) {
      if (this.buf.length < contentLength) return;
      this.emitFrame(this.buf.subarray(0, contentLength), out);
      this.buf = this.buf.subarray(contentLength);
      this.state = { at: 'boundary' };
      return;
    }
    // No Content-Length: the part ends at the next delimiter; the JPEG inside runs from its first SOI
    // to its last EOI (an EXIF thumbnail carries its own EOI, so the first one is not the end).
    const next = this.buf.indexOf(this.delimiter, this.bodyScanned);
    if (next < 0) {
      // Resume the search where this one stopped, less a delimiter split across chunks.
      this.bodyScanned = Math.max(0, this.buf.length - this.delimiter.length + 1);
      if (this.buf.length > this.maxFrameBytes + this.delimiter.length + 4) {
        this.reject(out, 'camera.frame-too-large', `part over the ${this.maxFrameBytes} byte limit`);
      }
      return;
    }
    const start = firstStartOfImage(this.buf, 0, next);
    const end = start < 0 ? -1 : lastEndOfImage(this.buf, start, next);
    if (start < 0 || end < 0)
      out.push({ kind: 'rejected', reason: 'camera.not-jpeg', detail: 'part holds no complete JPEG' });
    else if (end - start > this.maxFrameBytes)
      out.push({
        kind: 'rejected',
        reason: 'camera.frame-too-large',
        detail: `part over the ${this.maxFrameBytes} byte limit`,
      });
    else this.emitFrame(this.buf.subarray(start, end), out);
    this.bodyScanned = 0;
    this.buf = this.buf.subarray(next);
    this.state = { at: 'boundary' };
  }

  private emitFrame(bytes: Buffer, out: FramingEvent[]): void {
    if (!looksLikeJpeg(bytes)) {
      out.push({
        kind: 'rejected',
        reason: 'camera.not-jpeg',
        detail: 'part is not a complete JPEG (SOI/EOI markers)',
      });
      return;
    }
    // Copy out of the shared buffer, so a kept frame does not pin the whole stream buffer.
    out.push({ kind: 'frame', jpeg: Buffer.from(bytes) });
  }

  /** Drop the current part and look for the next delimiter. */
  private reject(out: FramingEvent[], reason: FrameRejection, detail: string): void {
    out.push({ kind: 'rejected', reason, detail });
    this.bodyScanned = 0;
    // Skip past the current position by one byte so the same delimiter is not found again.
    this.buf = this.buf.subarray(Math.min(1, this.buf.length));
    this.state = { at: 'boundary' };
  }
}
