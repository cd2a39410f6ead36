// One line per key and period for a log that a fault can repeat at the rate of the traffic: a store outage
// at rush hour denies every presentation, a flood of connections from one source is refused one by one. Each
// would log a line per event, filling the disk that may be the very fault, and burying the first line, the one
// that says what went wrong. The line that gets through says how many were held back since the last.

export interface LogThrottleOptions {
  everyMs: number;
  /** Keys remembered; past this, keys whose period is over are forgotten first, then the oldest. */
  maxKeys?: number;
  /**
   * Monotonic ms (performance.now() by default): the period is a duration. On the wall clock a step back of
   * 10 min would silence a store outage's lines for 10 min.
   */
  monotonicNow?: () => number;
}

export class LogThrottle {
  private readonly last = new Map<string, { since: number; held: number }>();
  private readonly maxKeys: number;
  private readonly monotonicNow: () => number;

  constructor(private readonly opts: LogThrottleOptions) {
    this.maxKeys = opts.maxKeys ?? 1024;
    this.monotonicNow = opts.monotonicNow ?? (() => performance.now());
  }

  /** Null when this key's line is held back; otherwise how many of its lines were held back before this one. */
  pass(key: string): number | null {
    const now = this.monotonicNow();
    const last = this.last.get(key);
    if (last && now - last.since < this.opts.everyMs) {
      last.held++;
      return null;
    }
    if (!last && this.last.size >= this.maxKeys) {
      for (const [k, r] of this.last) if (now - r.since >= this.opts.everyMs) this.last.delete(k);
      if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    }
    this.last.set(key, { since: now, held: 0 });
    return last?.held ?? 0;
  }
}
