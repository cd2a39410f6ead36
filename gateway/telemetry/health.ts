// What the retained `health` topic says about a gate, built from plain inputs (pure), plus the two small
// trackers that feed it: device links and lane states from the event bus, and wall-clock jumps.

import type { GatePayload } from '../../contracts/topics.js';
import type { GatewayEvents } from '../events.js';

export type HealthPayload = GatePayload<'health'>;

/** Latest link state per (lane, device) and latest state per lane, as the bus reported them. */
export class LinkBoard {
  private readonly devices = new Map<string, HealthPayload['devices'][number]>();
  private readonly lanes = new Map<string, { lane: string; degraded: boolean; freePassage: boolean }>();

  onDeviceLink(ev: GatewayEvents['device.link']): void {
    const { lane, device, side, state } = ev;
    this.devices.set(`${lane}\u0000${device}\u0000${side ?? ''}`, { lane, device, ...(side ? { side } : {}), state });
  }

  onLaneState(ev: GatewayEvents['lane.state']): void {
    this.lanes.set(ev.lane, { lane: ev.lane, degraded: ev.degraded, freePassage: ev.freePassage });
  }

  deviceList(): HealthPayload['devices'] {
    const key = (d: HealthPayload['devices'][number]) => `${d.lane}\u0000${d.device}\u0000${d.side ?? ''}`;
    return [...this.devices.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  }

  laneList(): HealthPayload['lanes'] {
    return [...this.lanes.values()].sort((a, b) => (a.lane < b.lane ? -1 : 1));
  }
}

/**
 * Counts steps of the wall clock against the monotonic clock. Gate boxes without an RTC battery boot in 1970
 * or 2000 and step when NTP arrives; the IOC should see that, since window times follow the wall clock.
 */
export class ClockWatch {
  jumps = 0;
  private last: { wall: number; mono: number } | null = null;

  /** 2 s: far above timer jitter (both clocks advance while the event loop is blocked), far below a real step. */
  constructor(private readonly thresholdMs = 2000) {}

  /** Returns the step in ms (positive: forward) when one happened since the last observation, else null. */
  observe(wallMs: number, monoMs: number): number | null {
    const prev = this.last;
    this.last = { wall: wallMs, mono: monoMs };
    if (!prev) return null;
    const step = wallMs - prev.wall - (monoMs - prev.mono);
    if (Math.abs(step) < this.thresholdMs) return null;
    this.jumps += 1;
    return Math.round(step);
  }
}

export interface HealthInputs {
  ts: number;
  bootId: string;
  uptimeS: number;
  outboxDepth: number;
  outboxCapacity: number;
  board: LinkBoard;
  diskFreeBytes: number | undefined;
  dbBytes: number;
  clockJumps: number;
  commandSigning?: HealthPayload['commandSigning'];
}

export function buildHealth(i: HealthInputs): HealthPayload {
  return {
    ts: i.ts,
    bootId: i.bootId,
    uptimeS: Math.round(i.uptimeS),
    outbox: { depth: i.outboxDepth, capacity: i.outboxCapacity },
    devices: i.board.deviceList(),
    lanes: i.board.laneList(),
    ...(i.diskFreeBytes === undefined ? {} : { diskFreeBytes: i.diskFreeBytes }),
    dbBytes: i.dbBytes,
    clock: { jumps: i.clockJumps },
    ...(i.commandSigning ? { commandSigning: i.commandSigning } : {}),
  };
}
