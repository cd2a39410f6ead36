// The time filters of the log routes: epoch milliseconds or ISO 8601 with an offset, and a range that runs
// forwards. Shared by GET /v1/events (query string) and the security search (JSON body).
import { z } from 'zod';

const TIME_HINT = 'epoch milliseconds, or an ISO 8601 time with an offset (2026-11-28T08:00:00+07:00)';
/** Below this an epoch value is far more likely seconds than milliseconds (it would be before March 1973). */
const SECONDS_NOT_MS = 1e11;

const epochMs = (n: number, ctx: z.RefinementCtx): void => {
  if (n > 0 && n < SECONDS_NOT_MS)
    ctx.addIssue({ code: 'custom', message: `${n} looks like epoch seconds; send ${TIME_HINT}` });
};
const isoTime = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));

/** A point in time in a query string (text). */
export const QueryTime = z
  .union(
    [
      z
        .string()
        .regex(/^\d{1,15}$/)
        .transform(Number),
      isoTime,
    ],
    { error: `must be ${TIME_HINT}` },
  )
  .superRefine(epochMs)
  .describe(TIME_HINT);

/** A point in time in a JSON body (a number or text). */
export const BodyTime = z
  .union([z.number().int().nonnegative(), isoTime], { error: `must be ${TIME_HINT}` })
  .superRefine(epochMs)
  .describe(TIME_HINT);

/** For an object with optional `from` and `to`: `from` must not be after `to`. */
export const forwardRange = (v: { from?: number; to?: number }, ctx: z.RefinementCtx): void => {
  if (v.from !== undefined && v.to !== undefined && v.from > v.to)
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'from is after to' });
};
