// One bounded HTTP GET of a JPEG: the snapshot camera's whole transport. Errors are values with a
// reason so the driver can count and report them; nothing here throws on what the camera sends.
import { fail, ok, type Result } from '../../contracts/result.js';
import { looksLikeJpeg } from './jpeg.js';

export type FetchJpegRejection =
  | 'camera.unreachable'
  | 'camera.timeout'
  | 'camera.http-status'
  | 'camera.frame-too-large'
  | 'camera.not-jpeg';
export type FetchJpegResult = Result<Buffer, FetchJpegRejection>;

export interface FetchJpegOptions {
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export async function fetchJpeg(url: string, opts: FetchJpegOptions): Promise<FetchJpegResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { signal, headers: { accept: 'image/jpeg' }, redirect: 'error' });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return fail('camera.http-status', `HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      return fail('camera.frame-too-large', `${declared} bytes over the ${opts.maxBytes} limit`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > opts.maxBytes) {
          await res.body.cancel().catch(() => {});
          return fail('camera.frame-too-large', `more than ${opts.maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
    const jpeg = Buffer.concat(chunks);
    return looksLikeJpeg(jpeg) ? ok(jpeg) : fail('camera.not-jpeg', `${jpeg.length} bytes without JPEG markers`);
  } catch (err) {
    if (timeout.aborted) return fail('camera.timeout', `no complete frame within ${opts.timeoutMs} ms`);
    return fail('camera.unreachable', describeFetchError(err));
  }
}

/** undici hides the socket error under `cause`; the code (ECONNREFUSED ...) is what an operator needs. */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
