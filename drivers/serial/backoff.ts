// Reconnect delays: exponential so a missing device costs little, capped so a replugged one comes back
// soon, and jittered so the readers of a gate box that lost power together do not retry in lockstep.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Delay before reconnect attempt `attempt` (0 for the first retry): half fixed, half random ("equal jitter"). */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, attempt), 30);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
