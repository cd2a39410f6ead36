// Turns one raw MQTT message into a typed ingest record, or a rejection with a reason code.
// Pure: no I/O, no clock beyond the receivedAt it is given. Every reason is counted in /metrics.
import { type GatePayload, GateTopics, parseTopic } from '../gateway/telemetry/topics.js';

/** The closed set of reasons a message is refused; shared by the log, the metric label and the tests. */
export const REJECT_REASONS = ['topic', 'oversize', 'json', 'schema', 'identity-mismatch'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

interface Base {
  site: string;
  gate: string;
  receivedAt: number;
}
export type IngestRecord =
  | (Base & { kind: 'counts'; payload: GatePayload<'counts'> })
  | (Base & { kind: 'alarms'; payload: GatePayload<'alarms'> })
  | (Base & { kind: 'status'; payload: GatePayload<'status'> })
  | (Base & { kind: 'health'; payload: GatePayload<'health'> });
export type IngestKind = IngestRecord['kind'];

export type Validated =
  | { ok: true; record: IngestRecord }
  | { ok: false; reason: RejectReason; detail: string; topic: string };

const INGEST_KINDS = new Set<string>(['counts', 'alarms', 'status', 'health']);

export function validateMessage(
  topic: string,
  payload: Buffer,
  receivedAt: number,
  maxPayloadBytes: number,
): Validated {
  const t = parseTopic(topic);
  if (!t || !INGEST_KINDS.has(t.suffix))
    return { ok: false, reason: 'topic', detail: 'not a gate telemetry topic', topic };
  if (payload.length > maxPayloadBytes) {
    return { ok: false, reason: 'oversize', detail: `${payload.length} bytes > ${maxPayloadBytes}`, topic };
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'json', detail: 'payload is not JSON', topic };
  }
  const parsed = GateTopics[t.suffix].safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? first.path.join('.') : '(root)';
    return { ok: false, reason: 'schema', detail: `${where}: ${first?.message ?? 'invalid'}`, topic };
  }
  const base = { site: t.site, gate: t.gate, receivedAt };
  const data = parsed.data as Record<string, unknown>;
  // A gate may only speak for itself: a payload naming another site or gate is refused, not re-filed.
  if (t.suffix === 'counts' && (data.site !== t.site || data.gate !== t.gate)) {
    return {
      ok: false,
      reason: 'identity-mismatch',
      detail: `payload ${data.site}/${data.gate} on topic ${t.site}/${t.gate}`,
      topic,
    };
  }
  return { ok: true, record: { ...base, kind: t.suffix, payload: parsed.data } as IngestRecord };
}
