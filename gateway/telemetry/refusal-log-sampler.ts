// Which refusal log lines are written. A forged-command flood wrote one warn line per message (2000 lines in
// 1.5 s, issue #11 review, finding 12): enough to fill an SD card's log partition and bury everything else.
// Per reason, the first refusal is logged, then at most one line per interval carrying how many were not
// logged in between. The counters stay exact; only the log is sampled.

export const REFUSAL_LOG_INTERVAL_MS = 60_000;

export type SamplingVerdict = { log: false } | { log: true; notLogged: number };

export class RefusalLogSampler<Reason extends string> {
  private readonly byReason = new Map<Reason, { lastLoggedAt: number; notLogged: number }>();

  constructor(
    /** Monotonic ms: a wall-clock step must neither silence the log nor open it to a flood. */
    private readonly mono: () => number,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** Whether this refusal gets a line, and how many of its reason went unlogged since the last line. */
  next(reason: Reason): SamplingVerdict {
    const t = this.mono();
    const seen = this.byReason.get(reason);
    if (seen && t - seen.lastLoggedAt < this.intervalMs) {
      seen.notLogged += 1;
      return { log: false };
    }
    const notLogged = seen?.notLogged ?? 0;
    this.byReason.set(reason, { lastLoggedAt: t, notLogged: 0 });
    return { log: true, notLogged };
  }
}
