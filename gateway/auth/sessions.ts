// Console sessions: a random token in an HttpOnly cookie, stored only as its SHA-256 (a copied database holds
// no live session), with an idle and an absolute lifetime, and a per-session CSRF token (synchronizer pattern).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthRepository } from '../store/auth-repo.js';
import type { UserRole } from './users.js';

export interface SessionLimits {
  /** A console left alone this long logs out; the live stream keeps an open console alive. */
  idleMs: number;
  /** No session outlives a long shift. */
  absoluteMs: number;
}
export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 };

export interface Session {
  userName: string;
  role: UserRole;
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time equality of two strings of any length (the length itself is not secret). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  constructor(
    private readonly repo: AuthRepository,
    private readonly now: () => number = Date.now,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** Returns the cookie value; only its hash is stored. */
  create(userName: string, role: UserRole): { token: string; session: Session } {
    const token = newToken();
    const now = this.now();
    const session: Session = {
      userName,
      role,
      csrf: newToken(),
      createdAt: now,
      expiresAt: now + this.limits.absoluteMs,
    };
    this.purgeExpired();
    this.repo.addSession({
      id_hash: hashToken(token),
      user_name: userName,
      role,
      csrf: session.csrf,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
    });
    return { token, session };
  }

  /** The live session for a cookie value, or null when unknown, idle too long or past its absolute lifetime. */
  find(token: string): Session | null {
    if (!token || token.length > 100) return null;
    const r = this.repo.session(hashToken(token));
    if (!r) return null;
    const now = this.now();
    if (now >= r.expires_at || now - r.last_seen_at >= this.limits.idleMs) {
      this.repo.deleteSession(r.id_hash);
      return null;
    }
    return {
      userName: r.user_name,
      role: r.role as UserRole,
      csrf: r.csrf,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    };
  }

  /** Marks activity; written at most once a minute (or a quarter of the idle limit) so a busy console does not write on every request. */
  touch(token: string): void {
    const now = this.now();
    const every = Math.min(60_000, this.limits.idleMs / 4);
    this.repo.touchSession(hashToken(token), now, now - every);
  }

  destroy(token: string): void {
    this.repo.deleteSession(hashToken(token));
  }

  purgeExpired(): number {
    const now = this.now();
    return this.repo.purgeSessions(now, now - this.limits.idleMs);
  }
}
