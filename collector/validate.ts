// Turns one raw MQTT message into a typed ingest record, or a rejection with a reason code.
// Pure: no I/O, no clock beyond the receivedAt it is given. Every reason is counted in /metrics.
//
// Nothing from the broker is trusted as such (issue #11, finding 5): a message must carry the signature of
// the gate its topic names (publication-signature.ts), and every value must fit what a lane can physically
// do and a sane clock, so neither a stranger on the broker nor a broken gate can move an IOC total.

import type { z } from 'zod';
import {
  type GateKeyRegistry,
  type SignatureRejection,
  verifyPublication,
} from '../contracts/publication-signature.js';
import { type AcceptedPayload, AcceptedTopics, isAcceptedTopic, parseTopic } from '../contracts/topics.js';
import { scrubAlarmDetail } from './alarm-detail.js';

/** The closed set of reasons a message is refused; shared by the log, the metric label and the tests. */
export const REJECT_REASONS = [
  'topic',
  'oversize',
  'unsigned',
  'bad-signature',
  'unknown-gate',
  'wrong-topic',
  'json',
  'schema',
  'identity-mismatch',
  'clock',
  'implausible',
  'status-replay',
] as const satisfies readonly (SignatureRejection | string)[];
export type RejectReason = (typeof REJECT_REASONS)[number];

interface Base {
  site: string;
  gate: string;
  receivedAt: number;
}
export type IngestRecord =
  | (Base & { kind: 'counts'; payload: AcceptedPayload<'counts'> })
  | (Base & { kind: 'alarms'; payload: AcceptedPayload<'alarms'> })
  | (Base & { kind: 'status'; payload: AcceptedPayload<'status'> })
  | (Base & { kind: 'health'; payload: AcceptedPayload<'health'> });
export type IngestKind = IngestRecord['kind'];

export type Validated =
  /** detailDropped: alarm detail entries cut before storing (alarm-detail.ts), counted as `detail-dropped` */
  | { ok: true; record: IngestRecord; detailDropped: number }
  | { ok: false; reason: RejectReason; detail: string; topic: string };

/** What a message is held against: the gates' keys and the physical and clock bounds (collector config `gates`). */
export interface IngestPolicy {
  maxPayloadBytes: number;
  keys: GateKeyRegistry;
  maxPersonsPerSecond: number;
  maxDenialsPerSecond: number;
  maxClockSkewMs: number;
  maxWindowAgeMs: number;
}

export function validateMessage(topic: string, payload: Buffer, receivedAt: number, policy: IngestPolicy): Validated {
  const t = parseTopic(topic);
  if (!t || !isAcceptedTopic(t.suffix))
    return { ok: false, reason: 'topic', detail: 'not a gate telemetry topic', topic };
  if (payload.length > policy.maxPayloadBytes) {
    return { ok: false, reason: 'oversize', detail: `${payload.length} bytes > ${policy.maxPayloadBytes}`, topic };
  }
  const signed = verifyPublication(topic, payload, policy.keys);
  if (!signed.ok) return { ok: false, reason: signed.reason, detail: signed.detail ?? signed.reason, topic };
  let json: unknown;
  try {
    json = JSON.parse(signed.value.payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'json', detail: 'payload is not JSON', topic };
  }
  const parsed = AcceptedTopics[t.suffix].safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'schema', detail: describeIssue(parsed.error.issues[0]), topic };
  const record = { site: t.site, gate: t.gate, receivedAt, kind: t.suffix, payload: parsed.data } as IngestRecord;
  // A gate may only speak for itself: a payload naming another site or gate is refused, not re-filed.
  if (record.kind === 'counts' && (record.payload.site !== t.site || record.payload.gate !== t.gate)) {
    return {
      ok: false,
      reason: 'identity-mismatch',
      detail: `payload ${record.payload.site}/${record.payload.gate} on topic ${t.site}/${t.gate}`,
      topic,
    };
  }
  const bounded = checkBounds(record, policy);
  if (bounded) return { ok: false, ...bounded, topic };
  // A signed alarm is still kept only for what its kind may say: no personal data reaches the IOC's store.
  if (record.kind === 'alarms') {
    const { detail, dropped } = scrubAlarmDetail(record.payload.kind, record.payload.detail);
    const { detail: _sent, ...rest } = record.payload;
    return { ok: true, record: { ...record, payload: detail ? { ...rest, detail } : rest }, detailDropped: dropped };
  }
  return { ok: true, record, detailDropped: 0 };
}

/** Longest part of an offending key quoted in a rejection: enough to recognise it, never a flood of log text. */
const QUOTED_KEY_MAX = 40;

/**
 * Where and why a payload is refused, for the log and the metric's detail. A refused record key is the gate's
 * own text (markup, a megabyte of it): it is quoted JSON-escaped and cut, and the key's own fault is named
 * instead of zod's "Invalid key in record".
 */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return '(root): invalid';
  const segment = (p: PropertyKey): string => {
    const text = String(p);
    const cut = text.length > QUOTED_KEY_MAX ? `${text.slice(0, QUOTED_KEY_MAX)}…(${text.length} chars)` : text;
    return /^[A-Za-z0-9_-]*$/.test(text) ? cut : JSON.stringify(cut);
  };
  const where = issue.path.length ? issue.path.map(segment).join('.') : '(root)';
  const why = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${where}: ${why}`;
}

type BoundsRejection = { reason: 'clock' | 'implausible'; detail: string };

/** People a lane may count in a window beyond its length × the rate (see checkBounds). */
export const SHORT_WINDOW_ALLOWANCE = 6;

/** null when every value is one a real gate could send at receivedAt. */
export function checkBounds(r: IngestRecord, policy: IngestPolicy): BoundsRejection | null {
  const latest = r.receivedAt + policy.maxClockSkewMs;
  const earliest = r.receivedAt - policy.maxWindowAgeMs;
  const when = (at: number, what: string): BoundsRejection | null =>
    at > latest
      ? { reason: 'clock', detail: `${what} ${at} is ${Math.round((at - r.receivedAt) / 1000)} s in the future` }
      : at < earliest
        ? { reason: 'clock', detail: `${what} ${at} is older than the backlog taken` }
        : null;
  switch (r.kind) {
    case 'counts': {
      const p = r.payload;
      // windowEnd bounds the start as well (end > start), and a window still open cannot have been sent.
      const late = when(p.windowStart, 'windowStart') ?? when(p.windowEnd, 'windowEnd');
      if (late) return late;
      // A folded window (outbox.ts) spans several minutes and may carry their people: the bound scales with it.
      // A window cut short by a stop, and the one after a restart (count-windows.ts), can last under a second
      // and still hold the people of its moment: a few are allowed on top of the rate, whatever the length.
      const lengthMs = p.windowEnd - p.windowStart;
      const perLane = Math.floor((policy.maxPersonsPerSecond * lengthMs) / 1000) + SHORT_WINDOW_ALLOWANCE;
      // Denials are presentations, not people through the turnstile: someone scanning again, several readers
      // and handhelds on one lane. Held to the people's rate they made a window with a busy reader implausible,
      // and the whole window (every lane's passages) was refused.
      const deniedPerLane = Math.floor((policy.maxDenialsPerSecond * lengthMs) / 1000) + SHORT_WINDOW_ALLOWANCE;
      const over = (n: number, what: string, cap = perLane): BoundsRejection | null =>
        n > cap ? { reason: 'implausible', detail: `${what} ${n} > ${cap} for this window length` } : null;
      for (const l of p.lanes) {
        const bad =
          over(l.in + l.out, `lane ${l.lane} in+out`) ??
          over(l.denied, `lane ${l.lane} denied`, deniedPerLane) ??
          firstOver(Object.values(l.byCredential), (n) => over(n, `lane ${l.lane} byCredential`)) ??
          reasonsOver(l.deniedByReason, l.denied, l.lane) ??
          (l.byCategory ? firstOver(categoryNumbers(l.byCategory), (n) => over(n, `lane ${l.lane} byCategory`)) : null);
        if (bad) return bad;
      }
      const perZone = perLane * Math.max(1, p.lanes.length);
      for (const z of p.zones) {
        if (z.in + z.out > perZone)
          return { reason: 'implausible', detail: `zone ${z.zone} in+out ${z.in + z.out} > ${perZone} for its lanes` };
      }
      return null;
    }
    case 'alarms':
      return when(r.payload.ts, 'ts');
    case 'status':
      // A retained online status may be days old (the gate has been up since): only the future is refused.
      return r.payload.ts !== undefined && r.payload.ts > latest ? when(r.payload.ts, 'ts') : null;
    case 'health': {
      const p = r.payload;
      if (p.ts > latest) return when(p.ts, 'ts');
      if (p.outbox.depth > p.outbox.capacity)
        return { reason: 'implausible', detail: `outbox depth ${p.outbox.depth} > capacity ${p.outbox.capacity}` };
      return null;
    }
  }
}

/** Denials by reason are a split of `denied`: more of them than denials is not something a gate counts. */
function reasonsOver(
  byReason: Partial<Record<string, number>> | undefined,
  denied: number,
  lane: string,
): BoundsRejection | null {
  const sum = Object.values(byReason ?? {}).reduce<number>((a, n) => a + (n ?? 0), 0);
  return sum > denied
    ? { reason: 'implausible', detail: `lane ${lane} deniedByReason adds up to ${sum} > denied ${denied}` }
    : null;
}

function firstOver(values: readonly (number | undefined)[], check: (n: number) => BoundsRejection | null) {
  for (const v of values) {
    const bad = v === undefined ? null : check(v);
    if (bad) return bad;
  }
  return null;
}

function categoryNumbers(
  c: NonNullable<AcceptedPayload<'counts'>['lanes'][number]['byCategory']>,
): (number | undefined)[] {
  return [
    c.domestic,
    c.foreign,
    c.unknown,
    ...Object.values(c.ageBand),
    ...Object.values(c.sex),
    ...Object.values(c.withheld ?? {}),
  ];
}
