// A token bucket on the monotonic clock: holds up to `capacity` tokens and refills continuously at `capacity`
// per `periodMs`. Used where something outside the box can ask for work at the rate it likes: IOC commands per
// verb, presentations per reader. A wall-clock step on a gate box must neither refill nor freeze it.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    private readonly mono: () => number,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new TypeError('capacity must be a positive integer');
    if (!(periodMs > 0)) throw new TypeError('periodMs must be positive');
    this.tokens = capacity;
    this.last = mono();
  }

  /** Takes one token; false when the bucket is empty (nothing is taken then). */
  take(): boolean {
    const t = this.mono();
    // max(0, …): a monotonic clock does not go back, but a test double or a bad platform timer might.
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, t - this.last) * this.capacity) / this.periodMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
