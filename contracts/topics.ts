// The MQTT API of a gate: one map from topic suffix to payload schema, shared by the gateway (publisher),
// the collector (validation on ingest) and IOC integrators (JSON Schemas generated into docs/mqtt/).
// Topic root: gate06/v1/{site}/{gate}/. No payload carries personal data: counts, states and codes only.
import { z } from 'zod';

export const TOPIC_ROOT = 'gate06/v1';
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
const Ms = z.number().int().nonnegative();

export const StatusPayload = z
  .object({
    state: z.enum(['online', 'offline']),
    bootId: z.string().max(64).optional(),
    /**
     * The gate's start counter, kept in its own event log file and one higher at every start. A gate whose clock
     * came back behind after a reboot is still seen to be newer than its last boot, while a replayed status of
     * an earlier boot is older by both counter and clock.
     */
    bootSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    version: z.string().max(40).optional(),
    ts: Ms.optional(),
    /**
     * One MQTT connection of this boot (new on every reconnect). The last will carries the link it was set for,
     * so the collector honours an offline will only for the connection that is online now, never a replayed one.
     */
    link: z.string().max(32).optional(),
  })
  .strict();

/** The age bands a credential's birth date is counted in, and the sexes: the keys of CategoryCounts. */
export const AGE_BANDS = ['0-17', '18-39', '40-59', '60+'] as const;
export const SEXES = ['M', 'F'] as const;

/** Counts by category, where the credential tells it (never the ID itself). */
export const CategoryCounts = z
  .object({
    domestic: z.number().int().nonnegative().default(0),
    foreign: z.number().int().nonnegative().default(0),
    unknown: z.number().int().nonnegative().default(0),
    /** age band ('0-17', '18-39', '40-59', '60+') → count */
    ageBand: z.partialRecord(z.enum(AGE_BANDS), z.number().int().nonnegative()).default({}),
    sex: z.partialRecord(z.enum(SEXES), z.number().int().nonnegative()).default({}),
    /**
     * Passages whose nationality, age band or sex is not shown because a cell of that breakdown, in this lane
     * and window, held fewer people than mqtt.categoryMinCount: a cell of one beside a lane and a minute
     * would single a person out. The breakdown's other cells are withheld with it, so none can be derived.
     * The rule: contracts/small-cells.ts.
     */
    withheld: z
      .object({
        nationality: z.number().int().nonnegative(),
        ageBand: z.number().int().nonnegative(),
        sex: z.number().int().nonnegative(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Why a decision denied, as counts: the deny codes of the gateway's closed set (gateway/reasons.ts, every code but
 * ok and ok.*; gateway/telemetry/counts.ts fails to compile when the two lists differ). Codes only, no person.
 */
export const DENIAL_REASONS = [
  'ticket.malformed',
  'ticket.bad-signature',
  'ticket.unknown-key',
  'ticket.bad-claims',
  'ticket.expired',
  'ticket.not-yet-valid',
  'ticket.wrong-site',
  'ticket.uses-exhausted',
  'qr.malformed',
  'qr.bad-id',
  'qr.bad-old-id',
  'qr.bad-date',
  'qr.bad-sex',
  'qr.bad-name',
  'qr.expired',
  'chip.malformed',
  'chip.read-failed',
  'chip.bad-signature',
  'chip.untrusted-signer',
  'chip.dg-mismatch',
  'chip.expired',
  'chip.id-mismatch',
  'chip.access-denied',
  'chip.sm-error',
  'chip.clone-suspected',
  'chip.clone-not-excluded',
  'chip.timeout',
  'face.missing',
  'face.retake',
  'face.no-match',
  'face.not-enrolled',
  'face.liveness-failed',
  'face.unavailable',
  'policy.credential-not-accepted',
  'policy.anti-passback',
  'policy.binding-mismatch',
  'policy.binding-unverified',
  'policy.watchlist',
  'policy.lane-out-of-service',
  'policy.unknown-lane',
  'store.unavailable',
] as const;
export const DenialReason = z.enum(DENIAL_REASONS);
export type DenialReason = z.infer<typeof DenialReason>;

/**
 * The form every deny code has, today's and those a later gate release may add: lower-case dotted words
 * (`policy.watchlist`, `face.no-match`). A collector takes any code of this form, so a gate upgraded before it
 * does not cost the IOC the window that names a new code; anything else (markup, a stray key) is refused.
 */
export const DENY_CODE_MAX_LENGTH = 64;
export const DenyCode = z
  .string()
  .max(DENY_CODE_MAX_LENGTH, `deny code longer than ${DENY_CODE_MAX_LENGTH} characters`)
  .regex(
    /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*)+$/,
    'not a deny code (lower-case dotted words)',
  );
/**
 * Deny codes one lane window may name. A window lists only the codes that occurred; today's set holds 41, so
 * twice as many leaves room for releases to come while a flood of invented keys is refused.
 */
export const DENY_CODES_PER_LANE_MAX = 128;

const Count = z.number().int().nonnegative();

/** What a gate of this release sends: its own deny codes only (gateway/telemetry/counts.ts checks they match). */
const SentDenials = z.partialRecord(DenialReason, Count);
/** What a collector accepts: any well-formed code, a bounded number of them. */
const AcceptedDenials = z
  .partialRecord(DenyCode, Count)
  .refine((byCode) => Object.keys(byCode).length <= DENY_CODES_PER_LANE_MAX, {
    message: `more than ${DENY_CODES_PER_LANE_MAX} deny codes`,
  })
  .meta({
    maxProperties: DENY_CODES_PER_LANE_MAX,
    description:
      `Deny code → denials with that reason. Codes a gate of this release sends: ${DENIAL_REASONS.join(', ')}. ` +
      'A later gate release may send other codes of the same form: keep them as they are.',
  });

/**
 * The lane and window shapes are written once, over the deny-code record that tells what a gate sends from
 * what a collector accepts.
 */
function laneCountsWith<Denials extends z.ZodType<Partial<Record<string, number>>>>(denials: Denials) {
  return z
    .object({
      lane: Id,
      in: Count,
      out: Count,
      denied: Count,
      /** credential kind → passages it authorised in this window */
      byCredential: z.partialRecord(z.enum(['ticket', 'cccd-qr', 'chip', 'free-passage', 'manual', 'forced']), Count),
      byCategory: CategoryCounts.optional(),
      /**
       * Deny code → denials with that reason in this window; adds up to `denied`. Optional: gates from before it
       * send none, and their denials show as reason not reported. Exact counts, like `denied`.
       */
      deniedByReason: denials.optional(),
    })
    .strict();
}

function countsPayloadWith<Denials extends z.ZodType<Partial<Record<string, number>>>>(denials: Denials) {
  return z
    .object({
      schema: z.literal(1),
      site: Id,
      gate: Id,
      bootId: z.string().max(64),
      /** Per-gate, monotonic across restarts (persisted), so the collector can spot gaps. */
      seq: Count,
      windowStart: Ms,
      windowEnd: Ms,
      /** Zone occupancy delta this window: in − out per zone. */
      zones: z.array(z.object({ zone: Id, in: Count, out: Count }).strict()).default([]),
      lanes: z.array(laneCountsWith(denials)).max(64),
    })
    .strict()
    .refine((p) => p.windowEnd > p.windowStart, {
      message: 'windowEnd must be after windowStart',
      path: ['windowEnd'],
    });
}

export const LaneCounts = laneCountsWith(SentDenials);
/** A counts window as a gate of this release publishes it. */
export const CountsPayload = countsPayloadWith(SentDenials);
/** A counts window as a collector takes it: from this release's gates and from any later one's. */
export const AcceptedCountsPayload = countsPayloadWith(AcceptedDenials);

export const AlarmPayload = z
  .object({
    id: z.string().max(64),
    kind: z.enum([
      'forced-passage',
      'tailgating',
      'door-held',
      'device-offline',
      'turnstile-alarm',
      'fire-alarm',
      'watchlist-hit',
      'anti-passback',
      'outbox-filling',
      'clock-jump',
      'store-unavailable',
      'disk-space-low',
      'store-checkpoint-failing',
      'daemon-fault',
    ]),
    lane: Id.nullable(),
    ts: Ms,
    detail: z.record(z.string().max(40), z.union([z.string().max(120), z.number(), z.boolean()])).optional(),
  })
  .strict();

export const HealthPayload = z
  .object({
    ts: Ms,
    bootId: z.string().max(64),
    uptimeS: z.number().nonnegative(),
    outbox: z.object({ depth: z.number().int().nonnegative(), capacity: z.number().int().positive() }).strict(),
    devices: z.array(
      z
        .object({
          lane: Id,
          device: z.enum(['qr-scanner', 'chip-reader', 'turnstile', 'camera']),
          /** Entry (in) or exit (out) reader; absent for the lane's turnstile. */
          side: z.enum(['in', 'out']).optional(),
          state: z.enum(['up', 'down']),
        })
        .strict(),
    ),
    lanes: z.array(z.object({ lane: Id, degraded: z.boolean(), freePassage: z.boolean() }).strict()).default([]),
    diskFreeBytes: z.number().nonnegative().optional(),
    dbBytes: z.number().nonnegative(),
    clock: z.object({ synced: z.boolean().optional(), jumps: z.number().int().nonnegative() }).strict(),
    /**
     * How the gate treats IOC commands: `signed` (the default once a signer JWKS is configured), `disabled`
     * (no signer: every command refused) or `insecure-unsigned` (explicitly opted in; the IOC should chase it).
     */
    commandSigning: z.enum(['signed', 'disabled', 'insecure-unsigned']).optional(),
  })
  .strict();

/** Every inbound command carries an id (dedup) and an expiry: an expired or repeated command does nothing. */
const CommandBase = { id: z.string().min(8).max(64), expiresAt: Ms, issuedAt: Ms.optional() };
export const FreePassageCommand = z
  .object({ ...CommandBase, lane: Id, on: z.boolean(), reason: z.string().max(200) })
  .strict();
export const ResendCommand = z.object({ ...CommandBase, since: Ms }).strict();
export const WatchlistCommand = z
  .object({
    ...CommandBase,
    /** A signed watchlist document (compact JWS, Ed25519, from the IOC); verified before use. */
    jws: z.string().max(4 * 1024 * 1024),
  })
  .strict();

/** topic suffix (after gate06/v1/{site}/{gate}/) → payload schema */
export const GateTopics = {
  status: StatusPayload,
  counts: CountsPayload,
  alarms: AlarmPayload,
  health: HealthPayload,
  'cmd/free-passage': FreePassageCommand,
  'cmd/resend': ResendCommand,
  'cmd/watchlist': WatchlistCommand,
} as const;
export type GateTopic = keyof typeof GateTopics;
export type GatePayload<T extends GateTopic> = z.infer<(typeof GateTopics)[T]>;
export type CommandTopic = Extract<GateTopic, `cmd/${string}`>;

/**
 * What a collector (or any IOC consumer) accepts on each telemetry topic. Gates are upgraded one at a time over
 * weeks, so a collector must take what a later gate sends; where that is wider than what a gate of this
 * release sends, the accepted schema is the wider one (counts: any well-formed deny code).
 */
export const AcceptedTopics = {
  status: StatusPayload,
  counts: AcceptedCountsPayload,
  alarms: AlarmPayload,
  health: HealthPayload,
} as const;
export type AcceptedTopic = keyof typeof AcceptedTopics;
export type AcceptedPayload<T extends AcceptedTopic> = z.infer<(typeof AcceptedTopics)[T]>;
export const isAcceptedTopic = (suffix: string): suffix is AcceptedTopic => Object.hasOwn(AcceptedTopics, suffix);

export const topicFor = (site: string, gate: string, suffix: GateTopic): string =>
  `${TOPIC_ROOT}/${site}/${gate}/${suffix}`;

/** Parses gate06/v1/{site}/{gate}/{suffix}; null for anything else. */
export function parseTopic(topic: string): { site: string; gate: string; suffix: GateTopic } | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const suffix = parts.slice(4).join('/');
  if (!(suffix in GateTopics)) return null;
  if (!Id.safeParse(parts[2]).success || !Id.safeParse(parts[3]).success) return null;
  return { site: parts[2]!, gate: parts[3]!, suffix: suffix as GateTopic };
}

/** What the collector subscribes to; $share lets several collectors split the load (MQTT 5). */
export const COLLECTOR_SHARE_GROUP = 'collector';
export const collectorSubscriptions = (shared: boolean): string[] =>
  (['counts', 'alarms', 'status', 'health'] as const).map((s) =>
    shared ? `$share/${COLLECTOR_SHARE_GROUP}/${TOPIC_ROOT}/+/+/${s}` : `${TOPIC_ROOT}/+/+/${s}`,
  );
