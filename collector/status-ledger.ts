// Which status messages may change a gate's online/offline state. Signatures (validate.ts) prove a status
// came from the gate, but not that it is current: a gate's last will is signed once, at connect time, and
// anyone who saw an old signed status on the broker can publish it again. So:
// - an online status counts only if it is not older (by the gate's own ts) than the online status in force,
//   or comes from a later start of the gate (a higher bootSeq: a box whose clock came back behind after a
//   reboot, before NTP set it, is still let online), and never for a link (one MQTT connection, topics.ts)
//   that has already gone offline;
// - an offline status (a graceful stop or the last will) counts only for the bootId and link online now.
// Held in memory, seeded from the stored gate rows at start (bootId only: links are not stored); the broker
// hands a restarted collector every gate's retained status first, which is the latest one.

import { fail, ok, type Result } from '../contracts/result.js';
import type { GatePayload } from '../contracts/topics.js';
import type { GateRow } from './storage/types.js';

interface InForce {
  state: 'online' | 'offline' | 'unknown';
  bootId: string | null;
  link: string | null;
  /** the gate's ts of the online status in force */
  ts: number;
  /** the gate's start counter of the status in force, when the gate sends one */
  bootSeq: number | null;
}

export class StatusLedger {
  private readonly gates = new Map<string, InForce>();

  seed(rows: readonly GateRow[]): void {
    for (const r of rows)
      this.gates.set(key(r.site, r.gate), { state: r.state, bootId: r.bootId, link: null, ts: 0, bootSeq: null });
  }

  /** Accepts (and records) or refuses one verified status message. */
  judge(site: string, gate: string, p: GatePayload<'status'>): Result<void, 'status-replay'> {
    const k = key(site, gate);
    const now = this.gates.get(k);
    if (p.state === 'online') {
      if (p.bootId === undefined || p.ts === undefined)
        return fail('status-replay', 'an online status must carry bootId and ts');
      if (now && p.ts < now.ts && !laterStart(p, now))
        return fail('status-replay', 'older than the online status in force');
      if (now?.state === 'offline' && p.link !== undefined && p.link === now.link && p.bootId === now.bootId)
        return fail('status-replay', 'this link already went offline');
      this.gates.set(k, {
        state: 'online',
        bootId: p.bootId,
        link: p.link ?? null,
        ts: p.ts,
        bootSeq: p.bootSeq ?? null,
      });
      return ok(undefined);
    }
    if (p.bootId === undefined) return fail('status-replay', 'an offline status must name its bootId');
    if (now && now.state !== 'unknown') {
      if (p.bootId !== now.bootId) return fail('status-replay', 'offline for a boot that is not the one in force');
      if (now.link !== null && p.link !== now.link) return fail('status-replay', 'offline for an earlier connection');
    }
    this.gates.set(k, {
      state: 'offline',
      bootId: p.bootId,
      link: p.link ?? now?.link ?? null,
      ts: now?.ts ?? 0,
      bootSeq: now?.bootSeq ?? null,
    });
    return ok(undefined);
  }
}

const key = (site: string, gate: string): string => `${site}/${gate}`;

/** Another boot of the gate, started after the one in force (both statuses carry the gate's start counter). */
const laterStart = (p: GatePayload<'status'>, now: InForce): boolean =>
  p.bootId !== now.bootId && p.bootSeq !== undefined && now.bootSeq !== null && p.bootSeq > now.bootSeq;
