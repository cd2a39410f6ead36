// Errors as values at the edges: a parser of outside bytes returns a Result instead of throwing, so a bad
// frame, file or message is a reason code the caller logs and counts, never a crash. Each layer owns its
// reason codes (the gateway's closed set is gateway/reasons.ts; drivers and the collector name their own).

export type Result<T, R extends string = string> = { ok: true; value: T } | { ok: false; reason: R; detail?: string };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <R extends string>(reason: R, detail?: string): { ok: false; reason: R; detail?: string } =>
  detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
