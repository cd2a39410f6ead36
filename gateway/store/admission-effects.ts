// The `effects` column of an event row: its admission effects as compact JSON with a fixed key order (the
// chain hashes the text), and the strict reading of it back, since the rebuild at boot reads what the file holds.
import type { AdmissionEffects } from './types.js';

/** Null when the event changes nothing (an exit with no subject to mark): its row keeps the column empty. */
export function encodeEffects(e: AdmissionEffects): string | null {
  const out: { t?: string; u?: number; s?: string; z?: string; i?: 0 | 1 } = {};
  if (e.tid !== undefined && e.uses !== undefined) {
    out.t = e.tid;
    out.u = e.uses;
  }
  if (e.presence) {
    out.s = e.presence.subject;
    out.z = e.presence.zone;
    out.i = e.presence.inside ? 1 : 0;
  }
  return out.t === undefined && out.s === undefined ? null : JSON.stringify(out);
}

/** Null for text that is not effects this gateway wrote (the caller counts it; the chain check names the event). */
export function decodeEffects(text: string): AdmissionEffects | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const e: AdmissionEffects = {};
  if (o.t !== undefined) {
    if (typeof o.t !== 'string' || (o.u !== 1 && o.u !== -1)) return null;
    e.tid = o.t;
    e.uses = o.u;
  }
  if (o.s !== undefined) {
    if (typeof o.s !== 'string' || typeof o.z !== 'string' || (o.i !== 0 && o.i !== 1)) return null;
    e.presence = { subject: o.s, zone: o.z, inside: o.i === 1 };
  }
  return e;
}
