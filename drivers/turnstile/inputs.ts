// The board's discrete inputs → the turnstile's state, and state changes → edges.
// One FC02 read covers every configured input, so a poll is a single short transaction.
import type { Direction } from '../../contracts/direction.js';
import type { TurnstileConfig } from './config.js';
import { MAX_READ_BITS } from './rtu.js';

export type InputMap = TurnstileConfig['inputs'];

export interface InputSnapshot {
  passageIn: boolean;
  passageOut: boolean;
  alarm: boolean;
  fireAlarm: boolean;
}

export type InputEdge =
  | { kind: 'passage'; direction: Direction; active: boolean }
  | { kind: 'alarm'; active: boolean }
  | { kind: 'fireAlarm'; active: boolean };

export const ALL_INACTIVE: InputSnapshot = Object.freeze({
  passageIn: false,
  passageOut: false,
  alarm: false,
  fireAlarm: false,
});

export interface InputWindow {
  start: number;
  count: number;
}

/** The smallest FC02 range covering every configured input; throws on a config one request cannot cover. */
export function inputWindow(inputs: InputMap): InputWindow {
  const addresses = [inputs.passageIn, inputs.passageOut, inputs.alarm, inputs.fireAlarm].filter(
    (a): a is number => a !== undefined,
  );
  const start = Math.min(...addresses);
  const count = Math.max(...addresses) - start + 1;
  if (count > MAX_READ_BITS) {
    throw new RangeError(`turnstile inputs span ${count} addresses; one FC02 read covers at most ${MAX_READ_BITS}`);
  }
  return { start, count };
}

export function snapshotFromBits(inputs: InputMap, window: InputWindow, bits: readonly boolean[]): InputSnapshot {
  const at = (address: number | undefined): boolean =>
    address === undefined ? false : bits[address - window.start] === true;
  return {
    passageIn: at(inputs.passageIn),
    passageOut: at(inputs.passageOut),
    alarm: at(inputs.alarm),
    fireAlarm: at(inputs.fireAlarm),
  };
}

export function inputEdges(previous: InputSnapshot, next: InputSnapshot): InputEdge[] {
  const edges: InputEdge[] = [];
  // Fire first: when it arrives together with a passage, the lane must already be in free passage.
  if (previous.fireAlarm !== next.fireAlarm) edges.push({ kind: 'fireAlarm', active: next.fireAlarm });
  if (previous.alarm !== next.alarm) edges.push({ kind: 'alarm', active: next.alarm });
  if (previous.passageIn !== next.passageIn) edges.push({ kind: 'passage', direction: 'in', active: next.passageIn });
  if (previous.passageOut !== next.passageOut)
    edges.push({ kind: 'passage', direction: 'out', active: next.passageOut });
  return edges;
}
