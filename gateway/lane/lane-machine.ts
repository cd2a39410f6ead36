// The lane's state machine as a pure function: inputs (a grant from an allow decision, sensor edges, ticks,
// fire and free-passage switches) in, effects out. No timers, no I/O: the controller executes the effects.
//
// A grant is one authorised passage. The turnstile is pulsed for the head grant of a direction; each
// passage consumes one grant and re-pulses for the next. A passage with no grant while the arm is still
// unlocked is tailgating; with the arm locked it is a forced passage. A grant nobody uses times out.
//
// Every time here (`now`, deadlines, unlockedUntil, sensorSince) is on a monotonic clock: the machine only
// measures durations, and a wall-clock step must neither end a grant early nor stretch a pulse that the board
// has already ended. Wall-clock timestamps for the log are the controller's business.
import type { CredentialKind, Direction } from '../config/schema.js';

export interface Grant {
  decisionId: string;
  direction: Direction;
  credential: CredentialKind | 'manual';
  /** On the machine's monotonic clock, never the wall clock. */
  deadline: number;
  /** Opaque to the machine: carried to the passage/timeout effect. */
  payload?: unknown;
}

export type PassageVia = CredentialKind | 'free-passage' | 'manual' | 'forced';

export type LaneEffect =
  | { t: 'unlock'; direction: Direction }
  | {
      t: 'passage';
      direction: Direction;
      grant: Grant | null;
      via: PassageVia;
      alarm?: 'tailgating' | 'forced-passage';
    }
  | { t: 'timeout'; grant: Grant }
  | { t: 'alarm'; kind: 'door-held'; direction: Direction }
  | { t: 'hold-open'; open: boolean };

export type LaneInput =
  | { t: 'grant'; grant: Grant }
  | { t: 'sensor'; direction: Direction; active: boolean }
  | { t: 'tick' }
  | { t: 'fire'; active: boolean }
  | { t: 'free-passage'; on: boolean };

export interface LaneTimings {
  /** How long the board holds the arm unlocked for one pulse. */
  unlockMs: number;
  doorHeldMs: number;
  /**
   * A passage with no grant this soon after an authorised one (or while the arm is unlocked) is someone
   * following through on another's unlock: tailgating. Later, with the arm locked, it is a forced passage.
   */
  tailgateWindowMs: number;
  /** Grants beyond this per direction time out at once: the lane is not a queue. */
  maxGrants: number;
}

export interface LaneMachineState {
  grants: Record<Direction, Grant[]>;
  unlockedUntil: Record<Direction, number>;
  sensorSince: Record<Direction, number | null>;
  heldAlarmed: Record<Direction, boolean>;
  lastAuthorizedAt: Record<Direction, number>;
  fire: boolean;
  operatorFree: boolean;
}

export const initialLaneState = (): LaneMachineState => ({
  grants: { in: [], out: [] },
  unlockedUntil: { in: 0, out: 0 },
  sensorSince: { in: null, out: null },
  heldAlarmed: { in: false, out: false },
  lastAuthorizedAt: { in: Number.NEGATIVE_INFINITY, out: Number.NEGATIVE_INFINITY },
  fire: false,
  operatorFree: false,
});

export const isHeldOpen = (s: LaneMachineState): boolean => s.fire || s.operatorFree;

export function phaseOf(s: LaneMachineState, now: number): 'free-passage' | 'unlocked' | 'granted' | 'idle' {
  if (isHeldOpen(s)) return 'free-passage';
  if (now < s.unlockedUntil.in || now < s.unlockedUntil.out) return 'unlocked';
  if (s.grants.in.length || s.grants.out.length) return 'granted';
  return 'idle';
}

/** Mutates `s` (the controller owns it) and returns the effects to execute, in order. */
export function step(s: LaneMachineState, input: LaneInput, now: number, timings: LaneTimings): LaneEffect[] {
  const fx: LaneEffect[] = [];
  const unlock = (direction: Direction): void => {
    s.unlockedUntil[direction] = now + timings.unlockMs;
    fx.push({ t: 'unlock', direction });
  };
  switch (input.t) {
    case 'grant': {
      const q = s.grants[input.grant.direction];
      q.push(input.grant);
      // A full lane times its oldest grant out; the grant behind it is the head now and gets its own pulse,
      // as after a head's timeout on a tick (the old head's pulse may be long over). While more than half of
      // the current pulse is left, the arm is open for the new head already: a burst of grants bumping one
      // another then makes one pulse, not one per grant on the board's line.
      const d = input.grant.direction;
      const bumpedHead = q.length > timings.maxGrants;
      if (bumpedHead) fx.push({ t: 'timeout', grant: q.shift()! });
      const pulseMostlyLeft = s.unlockedUntil[d] - now > timings.unlockMs / 2;
      // Only the head grant unlocks; later ones wait for the passage that consumes it.
      if ((q.length === 1 || (bumpedHead && !pulseMostlyLeft)) && !isHeldOpen(s)) unlock(d);
      break;
    }
    case 'sensor': {
      const d = input.direction;
      if (!input.active) {
        s.sensorSince[d] = null;
        s.heldAlarmed[d] = false;
        break;
      }
      if (s.sensorSince[d] !== null) break; // already active: not a new passage
      s.sensorSince[d] = now;
      const q = s.grants[d];
      if (isHeldOpen(s)) {
        const grant = q.shift() ?? null;
        fx.push({ t: 'passage', direction: d, grant, via: grant ? grant.credential : 'free-passage' });
      } else if (q.length > 0) {
        const grant = q.shift()!;
        s.lastAuthorizedAt[d] = now;
        fx.push({ t: 'passage', direction: d, grant, via: grant.credential });
        // The arm locks after a passage; the next waiting grant gets its own pulse.
        s.unlockedUntil[d] = 0;
        if (q.length > 0) unlock(d);
      } else if (now < s.unlockedUntil[d] || now - s.lastAuthorizedAt[d] <= timings.tailgateWindowMs) {
        fx.push({ t: 'passage', direction: d, grant: null, via: 'forced', alarm: 'tailgating' });
      } else {
        fx.push({ t: 'passage', direction: d, grant: null, via: 'forced', alarm: 'forced-passage' });
      }
      break;
    }
    case 'tick': {
      for (const d of ['in', 'out'] as const) {
        const q = s.grants[d];
        let expiredHead = false;
        while (q.length && q[0]!.deadline <= now) {
          fx.push({ t: 'timeout', grant: q.shift()! });
          expiredHead = true;
        }
        if (expiredHead && q.length && !isHeldOpen(s)) unlock(d);
        const since = s.sensorSince[d];
        if (since !== null && !s.heldAlarmed[d] && now - since >= timings.doorHeldMs) {
          s.heldAlarmed[d] = true;
          fx.push({ t: 'alarm', kind: 'door-held', direction: d });
        }
      }
      break;
    }
    case 'fire':
    case 'free-passage': {
      const before = isHeldOpen(s);
      if (input.t === 'fire') s.fire = input.active;
      else s.operatorFree = input.on;
      const after = isHeldOpen(s);
      if (before !== after) fx.push({ t: 'hold-open', open: after });
      // Held open, the lane let grants' holders walk through without a pulse; a grant still waiting when it
      // locks again gets its own pulse rather than timing out in front of its holder.
      if (before && !after) for (const d of ['in', 'out'] as const) if (s.grants[d].length) unlock(d);
      break;
    }
  }
  return fx;
}
