// The turnstile (a Modbus RTU relay/IO board) as the rest of the gateway sees it.
import type { EventEmitter } from 'node:events';
import type { Direction } from '../../contracts/direction.js';
import type { Device, LinkState } from '../device.js';

export interface TurnstileEvents {
  /** Passage sensor for a direction changed (rising edge = someone is in the arm's sweep). */
  passage: [direction: Direction, active: boolean, at: number];
  /** The turnstile's own alarm contact (forced arm, tamper). */
  alarm: [active: boolean, at: number];
  /** Fire-panel input: active means every lane must be in free passage. */
  fireAlarm: [active: boolean, at: number];
  link: [state: LinkState, reason?: string];
}

export interface Turnstile extends Device, EventEmitter<TurnstileEvents> {
  /**
   * Unlock one direction for `ms`. The board times the pulse itself (a pulse register), so a crash
   * or a lost link after this call still re-locks the gate. Resolves when the board acknowledged.
   */
  pulseUnlock(direction: Direction, ms: number): Promise<void>;
  /** Hold both directions open (fire alarm, operator free passage) or release them. */
  setFreePassage(open: boolean): Promise<void>;
}
