// The two cookie operations the console needs, written out because they are small and the session token
// is always base64url: no encoding questions, nothing else in the jar matters.
// (@fastify/cookie's static helpers only work after the plugin registered itself, which would make the
// session resolver depend on plugin order.)

/** The value of one cookie in a Cookie header, or null. Ignores malformed pairs instead of throwing. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header || header.length > 8192) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === name) {
      const v = pair.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{0,100}$/.test(v) ? v : null;
    }
  }
  return null;
}

export interface SessionCookieOptions {
  maxAgeS: number;
  secure: boolean;
}

/** HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Secure over TLS. */
export function sessionCookie(name: string, value: string, o: SessionCookieOptions): string {
  const attrs = [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (o.secure) attrs.push('Secure');
  return attrs.join('; ');
}
