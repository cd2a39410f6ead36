// Failed logins per account name: after `maxFailures` within `windowMs` the name is refused until the window
// passes, whatever the source address (per-address limits are @fastify/rate-limit's job on the route).
// In memory on purpose: a restart clears it, which is acceptable for a box on a local network.
export interface ThrottleLimits {
  maxFailures: number;
  windowMs: number;
  /** Bound on remembered names, so a flood of invented names cannot grow memory. */
  maxTracked: number;
}
export const DEFAULT_THROTTLE: ThrottleLimits = { maxFailures: 5, windowMs: 15 * 60_000, maxTracked: 10_000 };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {}

  /** Milliseconds until this name may try again; 0 when it may try now. */
  retryAfterMs(name: string): number {
    const recent = this.recent(name);
    if (recent.length < this.limits.maxFailures) return 0;
    return Math.max(0, recent[0]! + this.limits.windowMs - this.now());
  }

  recordFailure(name: string): void {
    const recent = this.recent(name);
    recent.push(this.now());
    this.failures.delete(name);
    this.failures.set(name, recent.slice(-this.limits.maxFailures));
    if (this.failures.size > this.limits.maxTracked) this.failures.delete(this.failures.keys().next().value!);
  }

  recordSuccess(name: string): void {
    this.failures.delete(name);
  }

  private recent(name: string): number[] {
    const cutoff = this.now() - this.limits.windowMs;
    return (this.failures.get(name) ?? []).filter((t) => t > cutoff);
  }
}
