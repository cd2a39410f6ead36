// What of an alarm's detail the IOC keeps (issue #11, finding 11). The signature only says which gate sent an
// alarm, not that the gate is sound: a buggy or compromised gate could put a visitor's name or ID number in the
// detail, and the IOC must not become a store of personal data (Decree 13/2023). So the detail is cut down to a
// closed allow-list of keys per alarm kind, each with the shape the gate actually sends (grep `alarms.raise(` in
// gateway/); every other entry is dropped and counted. Pure: no I/O.
import type { GatePayload } from '../contracts/topics.js';

type AlarmKind = GatePayload<'alarms'>['kind'];
type DetailValue = string | number | boolean;

/** The shape of one allowed detail value. */
type ValueShape =
  /** an event id of the gate's log (ULID): eventId, passageId */
  | 'ulid'
  /** a short machine word with no spaces: direction, device, side, problem, lane id, ... */
  | 'word'
  /** short free text the gate writes itself (an error message), still held to the digit-run rule */
  | 'text'
  /** a measurement: finite, and below nine digits like every value here */
  | 'number';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const WORD = /^[A-Za-z0-9_.:-]{1,40}$/;
/** The gate cuts device-offline reasons and daemon-fault errors at 100 characters (lane-controller.ts, cli/gateway.ts). */
const MAX_TEXT = 100;
/** A CCCD number has 12 digits, an old CMND 9: any run of 9 or more digits may be one (the gate's own rule). */
const ID_LIKE_DIGITS = /\d{9,}/;

/** Per kind, the keys the gate sends and their shapes; a kind missing a key here has that key dropped. */
export const ALARM_DETAIL_ALLOWED: Readonly<Record<AlarmKind, Readonly<Record<string, ValueShape>>>> = {
  'forced-passage': { direction: 'word', passageId: 'ulid' },
  tailgating: { direction: 'word', passageId: 'ulid' },
  'door-held': { direction: 'word' },
  'device-offline': { device: 'word', side: 'word', reason: 'text' },
  'turnstile-alarm': {},
  'fire-alarm': { source: 'word' },
  // The decision's event id only: who was on the list stays in the gate's own log.
  'watchlist-hit': { eventId: 'ulid' },
  'anti-passback': { eventId: 'ulid' },
  'outbox-filling': { percent: 'number', capacity: 'number' },
  'clock-jump': { stepMs: 'number' },
  'store-unavailable': { problem: 'word' },
  'disk-space-low': { freeMb: 'number', freePercent: 'number' },
  'store-checkpoint-failing': { failuresInARow: 'number', walMb: 'number' },
  'daemon-fault': { what: 'word', error: 'text' },
};

/**
 * Keys that name a person or a document, whatever their value; refused even if a later edit of the allow-list
 * admits one by mistake. Compared lower-case with separators removed, so `id_number` and `ID-Number` match too.
 */
const PERSONAL_KEY =
  /^(id|uid|cccd|cmnd|dob|sex|gender|age)$|name|idnumber|idno|birth|passport|document|phone|email|address|holder|person|face|photo|nationality/;

export function isPersonalKey(key: string): boolean {
  return PERSONAL_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

function fits(value: DetailValue, shape: ValueShape): boolean {
  if (typeof value === 'number') {
    // 9+ digits in a number are as ID-like as in a string; a measurement here is never that large
    // (a clock step over ~27 h loses its stepMs but the alarm itself still arrives).
    // Judged as it will be shown: 1.7715288404e-314 is small but prints ten digits in a row.
    return shape === 'number' && Number.isFinite(value) && Math.abs(value) < 1e8 && !ID_LIKE_DIGITS.test(String(value));
  }
  if (typeof value !== 'string' || ID_LIKE_DIGITS.test(value)) return false;
  switch (shape) {
    case 'ulid':
      return ULID.test(value);
    case 'word':
      return WORD.test(value);
    case 'text':
      // Printable text only: no control characters for a log or a dashboard to trip on.
      return value.length <= MAX_TEXT && !/[\u0000-\u001f\u007f]/.test(value);
    case 'number':
      return false;
  }
}

export interface ScrubbedDetail {
  /** undefined when the gate sent none; {} when it sent some and none of it was allowed */
  detail: Record<string, DetailValue> | undefined;
  /** how many entries were dropped (metric reason `detail-dropped`) */
  dropped: number;
}

/** Keeps the entries allowed for this kind in the shape allowed; drops and counts the rest. */
export function scrubAlarmDetail(kind: AlarmKind, detail: Record<string, DetailValue> | undefined): ScrubbedDetail {
  if (!detail) return { detail: undefined, dropped: 0 };
  const allowed = ALARM_DETAIL_ALLOWED[kind];
  const kept: Record<string, DetailValue> = {};
  let dropped = 0;
  for (const [key, value] of Object.entries(detail)) {
    const shape = Object.hasOwn(allowed, key) ? allowed[key] : undefined;
    if (shape && !isPersonalKey(key) && fits(value, shape)) kept[key] = value;
    else dropped++;
  }
  return { detail: kept, dropped };
}
