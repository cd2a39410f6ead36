// How many IOC commands of one verb a gate carries out per minute: a token bucket per verb.
//
// The IOC sends a handful of commands a day; a flood of validly signed ones means a leaked key or a runaway
// script, and each free-passage command writes an event and flips a lane. The bucket holds `perMinute`
// tokens (so an evacuation can switch every lane at once) and refills continuously at perMinute per minute.
// It runs on the monotonic clock: a wall-clock step on a gate box must neither refill nor freeze it.

export class CommandBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    private readonly mono: () => number,
  ) {
    if (!(Number.isInteger(perMinute) && perMinute >= 1)) throw new TypeError(`perMinute must be a positive integer`);
    this.tokens = perMinute;
    this.last = mono();
  }

  /** Takes one token; false when the budget is spent (nothing is taken then). */
  take(): boolean {
    const t = this.mono();
    // max(0, …): a monotonic clock does not go back, but a test double or a bad platform timer might.
    this.tokens = Math.min(this.perMinute, this.tokens + (Math.max(0, t - this.last) * this.perMinute) / 60_000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
