// Builders for valid telemetry payloads as the collector accepts them, so each test states only what it is about.

import type { IngestRecord } from '../../collector/validate.js';
import type { AcceptedPayload } from '../../contracts/topics.js';

export const byCredential = (ticket = 0) => ({
  ticket,
  'cccd-qr': 0,
  chip: 0,
  'free-passage': 0,
  manual: 0,
  forced: 0,
});

type LaneSpec = {
  lane: string;
  in: number;
  out: number;
  denied?: number;
  deniedByReason?: AcceptedPayload<'counts'>['lanes'][number]['deniedByReason'];
  byCategory?: NonNullable<AcceptedPayload<'counts'>['lanes'][number]['byCategory']>;
};

export function countsPayload(
  site: string,
  gate: string,
  windowStart: number,
  lanes: LaneSpec[],
  extra: Partial<AcceptedPayload<'counts'>> = {},
): AcceptedPayload<'counts'> {
  return {
    schema: 1,
    site,
    gate,
    bootId: 'boot-1',
    seq: 1,
    windowStart,
    windowEnd: windowStart + 60_000,
    zones: [],
    lanes: lanes.map((l) => ({
      lane: l.lane,
      in: l.in,
      out: l.out,
      denied: l.denied ?? 0,
      ...(l.deniedByReason ? { deniedByReason: l.deniedByReason } : {}),
      byCredential: byCredential(l.in + l.out),
      ...(l.byCategory ? { byCategory: l.byCategory } : {}),
    })),
    ...extra,
  };
}

export const countsRecord = (
  site: string,
  gate: string,
  windowStart: number,
  lanes: LaneSpec[],
  receivedAt = windowStart + 61_000,
  extra: Partial<AcceptedPayload<'counts'>> = {},
): IngestRecord => ({
  kind: 'counts',
  site,
  gate,
  receivedAt,
  payload: countsPayload(site, gate, windowStart, lanes, extra),
});

export const statusRecord = (
  site: string,
  gate: string,
  state: 'online' | 'offline',
  receivedAt: number,
): IngestRecord => ({
  kind: 'status',
  site,
  gate,
  receivedAt,
  payload: state === 'online' ? { state, bootId: 'boot-1', version: '0.1.0', ts: receivedAt } : { state },
});

export const healthRecord = (site: string, gate: string, depth: number, receivedAt: number): IngestRecord => ({
  kind: 'health',
  site,
  gate,
  receivedAt,
  payload: {
    ts: receivedAt,
    bootId: 'boot-1',
    uptimeS: 10,
    outbox: { depth, capacity: 100 },
    devices: [{ lane: 'L1', device: 'turnstile', state: 'down' }],
    lanes: [],
    dbBytes: 1,
    clock: { jumps: 0 },
  },
});

export const alarmRecord = (site: string, gate: string, id: string, ts: number): IngestRecord => ({
  kind: 'alarms',
  site,
  gate,
  receivedAt: ts + 10,
  payload: { id, kind: 'tailgating', lane: 'L1', ts },
});
