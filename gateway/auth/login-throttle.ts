// Backoff on failed logins, by source address: never a lock on the account. After a few free failures a source
// must wait before its next try, twice as long after each further failure, up to a ceiling. It is counted
// twice: per (address, account name), which slows guessing one password, and per address alone, which slows
// spraying many names. The right password from another address always gets through: with an account lock,
// anyone on the LAN could keep the operators out of their console (issue #11, finding 7).
// In memory on purpose: a restart clears it, which is acceptable for a box on a local network.
export interface BackoffLimits {
  /** Failures from one address for one account name before that pair must wait. */
  freeFailuresPerAccount: number;
  /** Failures from one address over all names before the address must wait. */
  freeFailuresPerSource: number;
  /** The first wait; each further failure doubles it. */
  firstDelayMs: number;
  /** The longest wait, however many failures. */
  maxDelayMs: number;
  /** A record with no failure for this long is forgotten (and the count starts again). */
  forgetAfterMs: number;
  /** Bound on remembered addresses and pairs, so a flood of invented names cannot grow memory. */
  maxTracked: number;
}
export const DEFAULT_BACKOFF: BackoffLimits = {
  freeFailuresPerAccount: 3,
  freeFailuresPerSource: 10,
  firstDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxTracked: 10_000,
};

interface Failures {
  count: number;
  lastAt: number;
}

export class LoginThrottle {
  private readonly records = new Map<string, Failures>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: BackoffLimits = DEFAULT_BACKOFF,
  ) {}

  /** Milliseconds until this address may try this name again; 0 when it may try now. */
  retryAfterMs(source: string, name: string): number {
    return Math.max(
      this.wait(sourceKey(source), this.limits.freeFailuresPerSource),
      this.wait(pairKey(source, name), this.limits.freeFailuresPerAccount),
    );
  }

  /**
   * Starts a login attempt: 0 when it may go on, already counted as a failure, or the milliseconds to wait.
   * The attempt is counted before the password is hashed, not after: the check and the count are one
   * synchronous step, so many attempts sent at once cannot all pass the check while the first hash runs.
   * A success gives its count back (`recordSuccess`).
   */
  beginAttempt(source: string, name: string): number {
    const wait = this.retryAfterMs(source, name);
    if (wait === 0) this.recordFailure(source, name);
    return wait;
  }

  recordFailure(source: string, name: string): void {
    this.bump(sourceKey(source));
    this.bump(pairKey(source, name));
  }

  /**
   * The right password clears that address's record for that name and takes back the count its attempt
   * added to the address; the address's earlier failures over all names stay.
   */
  recordSuccess(source: string, name: string): void {
    this.records.delete(pairKey(source, name));
    const key = sourceKey(source);
    const r = this.live(key);
    if (r && r.count > 1) r.count -= 1;
    else if (r) this.records.delete(key);
  }

  private wait(key: string, free: number): number {
    const r = this.live(key);
    if (!r || r.count < free) return 0;
    const delay = Math.min(this.limits.maxDelayMs, this.limits.firstDelayMs * 2 ** Math.min(30, r.count - free));
    return Math.max(0, r.lastAt + delay - this.now());
  }

  private bump(key: string): void {
    const count = (this.live(key)?.count ?? 0) + 1;
    // Re-inserted, so the Map's order is least recently failed first: the eviction below drops the stalest.
    this.records.delete(key);
    this.records.set(key, { count, lastAt: this.now() });
    if (this.records.size > this.limits.maxTracked) this.records.delete(this.records.keys().next().value!);
  }

  private live(key: string): Failures | undefined {
    const r = this.records.get(key);
    if (r && this.now() - r.lastAt >= this.limits.forgetAfterMs) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }
}

const sourceKey = (source: string): string => `s\u0000${source}`;
const pairKey = (source: string, name: string): string => `p\u0000${source}\u0000${name}`;
