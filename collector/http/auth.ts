// Bearer-token check for /v1. Compares digests in constant time, so the comparison leaks neither content nor length.
import { createHash, timingSafeEqual } from 'node:crypto';

export function bearerChecker(token: Buffer): (header: string | undefined) => boolean {
  const want = createHash('sha256').update(token).digest();
  return (header) => {
    if (!header?.startsWith('Bearer ')) return false;
    const got = createHash('sha256').update(header.slice(7).trim(), 'utf8').digest();
    return timingSafeEqual(got, want);
  };
}
