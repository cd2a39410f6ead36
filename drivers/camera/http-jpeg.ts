// One bounded HTTP GET of a JPEG: the snapshot camera's whole transport. Errors are values with a
// reason so the driver can count and report them; nothing here throws on what the camera sends.
import { looksLikeJpeg } from './jpeg.js';

export type FetchJpegResult =
  | { ok: true; jpeg: Buffer }
  | {
      ok: false;
      reason:
        | 'camera.unreachable'
        | 'camera.timeout'
        | 'camera.http-status'
        | 'camera.frame-too-large'
        | 'camera.not-jpeg';
      detail: string;
    };

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
      return { ok: false, reason: 'camera.http-status', detail: `HTTP ${res.status}` };
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      return {
        ok: false,
        reason: 'camera.frame-too-large',
        detail: `${declared} bytes over the ${opts.maxBytes} limit`,
      };
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > opts.maxBytes) {
          await res.body.cancel().catch(() => {});
          return { ok: false, reason: 'camera.frame-too-large', detail: `more than ${opts.maxBytes} bytes` };
        }
        chunks.push(chunk);
      }
    }
    const jpeg = Buffer.concat(chunks);
    return looksLikeJpeg(jpeg)
      ? { ok: true, jpeg }
      : { ok: false, reason: 'camera.not-jpeg', detail: `${jpeg.length} bytes without JPEG markers` };
  } catch (err) {
    if (timeout.aborted)
      return { ok: false, reason: 'camera.timeout', detail: `no complete frame within ${opts.timeoutMs} ms` };
    return { ok: false, reason: 'camera.unreachable', detail: describeFetchError(err) };
  }
}

/** undici hides the socket error under `cause`; the code (ECONNREFUSED ...) is what an operator needs. */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
