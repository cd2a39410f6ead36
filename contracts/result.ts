// Errors as values at the edges: a parser of outside bytes returns a Result instead of throwing, so a bad
// frame, file or message is a reason code the caller logs and counts, never a crash. Each layer owns its
// reason codes (the gateway's closed set is gateway/reasons.ts; drivers and the collector name their own).
//
// The one convention, for every function that can fail as a value (issue #12):
// - success is `{ ok: true, value }`: whatever the function gives back sits under `value`, nowhere else;
// - failure is `{ ok: false, reason, detail? }`: `reason` is a code from a closed set the module names in
//   its type (`'models.unavailable'`, `'watchlist.not-newer'`), for callers to branch on, count and map;
//   `detail` is text for a person (a log line, a CLI message, an HTTP error's detail), never parsed;
// - a failure that must carry more for its caller (a config file's list of problems, the photos an
//   enrollment refused, the counts of a partial load) adds named fields beside `reason` with
//   `Failure<R, Extra>` / `Result<T, R, Extra>`, and still says it all in `detail` for a generic logger;
//   no `error`, `errors`, `why` or `problem` fields, no second result shape.
// Make them with `ok()` and `fail()`.

export type Failure<R extends string = string, Extra extends object = object> = {
  ok: false;
  reason: R;
  detail?: string;
} & Extra;

export type Result<T, R extends string = string, Extra extends object = object> =
  | { ok: true; value: T }
  | Failure<R, Extra>;

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <R extends string>(reason: R, detail?: string): { ok: false; reason: R; detail?: string } =>
  detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
