// The closed set of outcomes of one ICAO 9303 chip session, in the contract layer's Result shape.
import type { Result } from '../../../contracts/result.js';

export const CHIP_SESSION_REASONS = {
  'chip.access-denied': 'the CAN or MRZ key is wrong: PACE or BAC mutual authentication failed',
  'chip.removed': 'the card left the field (or the reader went away) during the session',
  'chip.sm-error': 'secure messaging broke: a bad MAC, a missing MAC, or an SM status word from the card',
  'chip.clone-suspected': 'the chip could not prove it holds the Chip or Active Authentication key of its data',
  'chip.malformed': 'EF.CardAccess, a data group or a card response could not be parsed',
} as const;

export type ChipSessionReason = keyof typeof CHIP_SESSION_REASONS;

export type SessionResult<T> = Result<T, ChipSessionReason>;

/**
 * Thrown inside the session's own code to unwind to its single boundary, where it becomes a
 * `{ ok: false, reason }` value. Never escapes `readChip`.
 */
export class ChipSessionAbort extends Error {
  override readonly name = 'ChipSessionAbort';
  constructor(
    readonly reason: ChipSessionReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export const abort = (reason: ChipSessionReason, detail: string): never => {
  throw new ChipSessionAbort(reason, detail);
};
