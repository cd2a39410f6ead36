// Folds a run of validated messages into the rows one transaction writes. Pure.
// Folding first matters for PostgreSQL (one ON CONFLICT statement may not touch a row twice) and makes a
// batch cheap: ten health messages from one gate become one row update.
import { CATEGORY_MIN_COUNT } from '../../contracts/small-cells.js';
import { type CategoryCells, discloseCategories } from '../analytics/disclosure.js';
import type { IngestRecord } from '../validate.js';

/** A lane window with its category cells as they may be stored (analytics/disclosure.ts). */
export interface LaneCountRow extends CategoryCells {
  site: string;
  gate: string;
  lane: string;
  windowStart: number;
  windowEnd: number;
  bootId: string;
  seq: number;
  in: number;
  out: number;
  denied: number;
  /**
   * Deny code → count, as the gate sent it; null from a gate that sends no reasons (its denials stay unexplained).
   * Stored beside the window and replaced with it, so a redelivery overwrites its reasons too.
   */
  deniedByReason: Record<string, number> | null;
  byCredential: string;
  receivedAt: number;
}
export interface ZoneCountRow {
  site: string;
  gate: string;
  zone: string;
  windowStart: number;
  in: number;
  out: number;
}
/** null fields leave the stored value as it is. */
export interface GateUpdate {
  site: string;
  gate: string;
  state: 'online' | 'offline' | null;
  bootId: string | null;
  version: string | null;
  statusAt: number | null;
  lastSeen: number | null;
  health: string | null;
  healthAt: number | null;
  outboxDepth: number | null;
  outboxCapacity: number | null;
}
export interface AlarmInsert {
  site: string;
  gate: string;
  id: string;
  kind: string;
  lane: string | null;
  ts: number;
  detail: string | null;
  receivedAt: number;
}
export interface StoreBatch {
  lanes: LaneCountRow[];
  zones: ZoneCountRow[];
  gates: GateUpdate[];
  alarms: AlarmInsert[];
}

export function foldBatch(records: readonly IngestRecord[], categoryMinCount: number = CATEGORY_MIN_COUNT): StoreBatch {
  const lanes = new Map<string, LaneCountRow>();
  const zones = new Map<string, ZoneCountRow>();
  const gates = new Map<string, GateUpdate>();
  const alarms = new Map<string, AlarmInsert>();
  const gateOf = (r: IngestRecord): GateUpdate => {
    const key = `${r.site}\u0000${r.gate}`;
    let g = gates.get(key);
    if (!g) {
      g = {
        site: r.site,
        gate: r.gate,
        state: null,
        bootId: null,
        version: null,
        statusAt: null,
        lastSeen: null,
        health: null,
        healthAt: null,
        outboxDepth: null,
        outboxCapacity: null,
      };
      gates.set(key, g);
    }
    return g;
  };
  const seen = (g: GateUpdate, at: number): void => {
    g.lastSeen = Math.max(g.lastSeen ?? 0, at);
  };

  for (const r of records) {
    const g = gateOf(r);
    switch (r.kind) {
      case 'counts': {
        const p = r.payload;
        for (const l of p.lanes) {
          // Later copies of the same window win: a redelivery overwrites, it never adds.
          lanes.set(`${r.site}\u0000${r.gate}\u0000${l.lane}\u0000${p.windowStart}`, {
            site: r.site,
            gate: r.gate,
            lane: l.lane,
            windowStart: p.windowStart,
            windowEnd: p.windowEnd,
            bootId: p.bootId,
            seq: p.seq,
            in: l.in,
            out: l.out,
            denied: l.denied,
            deniedByReason: l.deniedByReason
              ? Object.fromEntries(
                  Object.entries(l.deniedByReason).filter(([, n]) => (n ?? 0) > 0) as [string, number][],
                )
              : null,
            byCredential: JSON.stringify(l.byCredential),
            receivedAt: r.receivedAt,
            ...discloseCategories(l.byCategory, categoryMinCount),
          });
        }
        for (const z of p.zones) {
          zones.set(`${r.site}\u0000${r.gate}\u0000${z.zone}\u0000${p.windowStart}`, {
            site: r.site,
            gate: r.gate,
            zone: z.zone,
            windowStart: p.windowStart,
            in: z.in,
            out: z.out,
          });
        }
        seen(g, r.receivedAt);
        break;
      }
      case 'alarms': {
        const key = `${r.site}\u0000${r.gate}\u0000${r.payload.id}`;
        // The first copy of an alarm id is kept; repeats are duplicates, not new alarms.
        if (!alarms.has(key)) {
          alarms.set(key, {
            site: r.site,
            gate: r.gate,
            id: r.payload.id,
            kind: r.payload.kind,
            lane: r.payload.lane,
            ts: r.payload.ts,
            detail: r.payload.detail ? JSON.stringify(r.payload.detail) : null,
            receivedAt: r.receivedAt,
          });
        }
        seen(g, r.receivedAt);
        break;
      }
      case 'status': {
        g.state = r.payload.state;
        g.statusAt = r.receivedAt;
        if (r.payload.state === 'online') {
          g.bootId = r.payload.bootId ?? g.bootId;
          g.version = r.payload.version ?? g.version;
          seen(g, r.receivedAt);
        }
        // An offline status is normally the broker publishing the last will: the gate did not speak, so lastSeen stays.
        break;
      }
      case 'health': {
        g.health = JSON.stringify(r.payload);
        g.healthAt = r.receivedAt;
        g.outboxDepth = r.payload.outbox.depth;
        g.outboxCapacity = r.payload.outbox.capacity;
        seen(g, r.receivedAt);
        break;
      }
    }
  }
  return {
    lanes: [...lanes.values()],
    zones: [...zones.values()],
    gates: [...gates.values()],
    alarms: [...alarms.values()],
  };
}

/** Local-time bucket start: hours and days begin on the local clock (UTC+7 in Vietnam). */
export function bucketMs(bucket: 'minute' | 'hour' | 'day'): number {
  return bucket === 'minute' ? 60_000 : bucket === 'hour' ? 3_600_000 : 86_400_000;
}
