// The pure core of counts aggregation: which window an event falls in, how a committed event changes a
// window's tallies, and how a closed window becomes the `counts` payload. No I/O here: the SQLite side is
// count-windows.ts, so these rules can be tested exhaustively and reasoned about on their own.

import { type CategoryCounts, withholdSmallCells } from '../../contracts/small-cells.js';
import { AGE_BANDS, DENIAL_REASONS, type DenialReason, type GatePayload, SEXES } from '../../contracts/topics.js';
import type { ReasonCode } from '../reasons.js';
import type { StoredEvent } from '../store/types.js';

export type CountsPayload = GatePayload<'counts'>;
export type Via = 'ticket' | 'cccd-qr' | 'chip' | 'free-passage' | 'manual' | 'forced';
export type AgeBand = (typeof AGE_BANDS)[number];
const VIA_LIST: readonly Via[] = ['ticket', 'cccd-qr', 'chip', 'free-passage', 'manual', 'forced'];
const VIAS: ReadonlySet<string> = new Set<string>(VIA_LIST);
const DENIALS: ReadonlySet<string> = new Set<string>(DENIAL_REASONS);

/**
 * The payload's deny codes are the gateway's codes other than ok and ok.*: both directions checked at compile
 * time, so a code added to gateway/reasons.ts fails here until contracts/topics.ts lists it (a gate must never
 * publish a reason the collector would refuse the whole window for).
 */
type DenyCode = Exclude<ReasonCode, 'ok' | `ok.${string}`>;
const sameDenialCodes: [DenyCode] extends [DenialReason] ? ([DenialReason] extends [DenyCode] ? true : false) : false =
  true;
void sameDenialCodes;
const KNOWN_AGE_BANDS: ReadonlySet<string> = new Set<string>(AGE_BANDS);

export interface CategoryTally {
  domestic: number;
  foreign: number;
  unknown: number;
  ageBand: Partial<Record<AgeBand, number>>;
  sex: Partial<Record<'M' | 'F', number>>;
  /** Only in a tally read back from a published window (tallyOfPayload): what it had already withheld. */
  withheld?: Withheld;
}

export interface LaneTally {
  in: number;
  out: number;
  denied: number;
  /** Absent in an open window written by a gate from before reasons were counted (read back from tel_window). */
  deniedByReason?: Partial<Record<DenialReason, number>>;
  byCredential: Partial<Record<Via, number>>;
  byCategory: CategoryTally;
}

/** The running state of one window: lanes and zones that saw anything, keyed by id. */
export interface WindowTally {
  lanes: Record<string, LaneTally>;
  zones: Record<string, { in: number; out: number }>;
}

export const emptyTally = (): WindowTally => ({ lanes: {}, zones: {} });

export const isEmptyTally = (t: WindowTally): boolean =>
  Object.keys(t.lanes).length === 0 && Object.keys(t.zones).length === 0;

/** Windows are aligned to wall-clock multiples of their length (epoch based), so gates' windows line up at the IOC. */
export function windowStartFor(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

const emptyLane = (): LaneTally => ({
  in: 0,
  out: 0,
  denied: 0,
  byCredential: {},
  byCategory: { domestic: 0, foreign: 0, unknown: 0, ageBand: {}, sex: {} },
});

const bump = <K extends string>(rec: Partial<Record<K, number>>, key: K, by = 1): void => {
  rec[key] = (rec[key] ?? 0) + by;
};

/** Which credential let this passage through: the lead's `facts.via`, else the event's credential kind. */
function viaOf(ev: StoredEvent): Via | null {
  const via = ev.facts.via;
  if (typeof via === 'string' && VIAS.has(via)) return via as Via;
  return ev.credential && VIAS.has(ev.credential) ? (ev.credential as Via) : null;
}

/** Whether an event changes any count: only passages (by direction) and deny decisions do. */
export function countsEvent(ev: StoredEvent): boolean {
  if (ev.lane === null) return false;
  if (ev.type === 'passage') return ev.direction === 'in' || ev.direction === 'out';
  return ev.type === 'decision' && ev.decision === 'deny';
}

/**
 * Adds one committed event to a window. Returns a new tally (the input is not changed).
 * A passage counts once in its lane (in/out, credential, category) and once in its lane's zone.
 * `zoneOfLane` knows this gate's lanes only: an event for any other lane id (a denial logged as
 * policy.unknown-lane for a lane a device named wrongly) stays in the log but is not counted, so the IOC
 * never sees a lane the gate does not have, nor a window the collector must refuse for it.
 */
export function tallyEvent(
  tally: WindowTally,
  ev: StoredEvent,
  zoneOfLane: (lane: string) => string | undefined,
): WindowTally {
  if (!countsEvent(ev) || ev.lane === null) return tally;
  const zone = zoneOfLane(ev.lane);
  if (zone === undefined) return tally;
  const next: WindowTally = structuredClone(tally);
  const lane = (next.lanes[ev.lane] ??= emptyLane());
  if (ev.type === 'decision') {
    lane.denied += 1;
    if (ev.reason !== null && DENIALS.has(ev.reason)) bump((lane.deniedByReason ??= {}), ev.reason as DenialReason);
    return next;
  }
  const dir = ev.direction as 'in' | 'out';
  lane[dir] += 1;
  const via = viaOf(ev);
  if (via) bump(lane.byCredential, via);
  const nationality = ev.facts.nationality;
  if (typeof nationality !== 'string' || nationality === '') lane.byCategory.unknown += 1;
  else if (nationality === 'VNM') lane.byCategory.domestic += 1;
  else lane.byCategory.foreign += 1;
  const ageBand = ev.facts.ageBand;
  if (typeof ageBand === 'string' && KNOWN_AGE_BANDS.has(ageBand)) bump(lane.byCategory.ageBand, ageBand as AgeBand);
  const sex = ev.facts.sex;
  if (sex === 'M' || sex === 'F') bump(lane.byCategory.sex, sex);
  (next.zones[zone] ??= { in: 0, out: 0 })[dir] += 1;
  return next;
}

const byKey = <T>(rec: Record<string, T>): Array<[string, T]> =>
  Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Every key, zero-filled, in a fixed order: the payload is then a function of the counts alone (a redelivered
 * window is byte-identical), and it validates whether the topic map's enum-keyed records are exhaustive
 * (zod 4 `z.record(z.enum(...))`) or partial.
 */
const fullRecord = <K extends string>(keys: readonly K[], rec: Partial<Record<K, number>>): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, rec[k] ?? 0])) as Record<K, number>;

type Withheld = NonNullable<CategoryCounts['withheld']>;
const NOTHING_WITHHELD: Withheld = { nationality: 0, ageBand: 0, sex: 0 };

/** What the IOC may see of a window's categories (Decree 13: a category cell must not single a person out). */
export interface CountsDisclosure {
  /** A breakdown (nationality, age band, sex) is shown for a lane and window only if each non-empty cell has at least this many people. */
  categoryMinCount: number;
}

export interface WindowIdentity {
  site: string;
  gate: string;
  bootId: string;
  seq: number;
  windowStart: number;
  windowEnd: number;
}

/**
 * A closed window as published. Lanes and zones that saw nothing are left out: absent means zero. Category
 * cells below the disclosure minimum are withheld (contracts/small-cells.ts); in, out, denied and credentials
 * are exact.
 */
export function toCountsPayload(id: WindowIdentity, tally: WindowTally, disclosure: CountsDisclosure): CountsPayload {
  return {
    schema: 1,
    site: id.site,
    gate: id.gate,
    bootId: id.bootId,
    seq: id.seq,
    windowStart: id.windowStart,
    windowEnd: id.windowEnd,
    zones: byKey(tally.zones).map(([zone, z]) => ({ zone, in: z.in, out: z.out })),
    lanes: byKey(tally.lanes).map(([lane, l]) => ({
      lane,
      in: l.in,
      out: l.out,
      denied: l.denied,
      ...(hasAny(l.deniedByReason) ? { deniedByReason: sortedNonZero(l.deniedByReason) } : {}),
      byCredential: fullRecord(VIA_LIST, l.byCredential),
      byCategory: withholdSmallCells(
        {
          domestic: l.byCategory.domestic,
          foreign: l.byCategory.foreign,
          unknown: l.byCategory.unknown,
          ageBand: fullRecord(AGE_BANDS, l.byCategory.ageBand),
          sex: fullRecord(SEXES, l.byCategory.sex),
          withheld: l.byCategory.withheld ?? NOTHING_WITHHELD,
        },
        disclosure.categoryMinCount,
      ),
    })),
  };
}

const hasAny = (rec: Partial<Record<string, number>> | undefined): boolean =>
  Object.values(rec ?? {}).some((v) => (v ?? 0) > 0);

/** Reasons that occurred, in code order: the payload stays a function of the counts alone (see fullRecord). */
const sortedNonZero = <K extends string>(rec: Partial<Record<K, number>> | undefined): Partial<Record<K, number>> =>
  Object.fromEntries(byKey(nonZero(rec) as Record<string, number>)) as Partial<Record<K, number>>;

const nonZero = <K extends string>(rec: Partial<Record<K, number>> | undefined): Partial<Record<K, number>> =>
  Object.fromEntries(Object.entries(rec ?? {}).filter(([, v]) => (v as number) > 0)) as Partial<Record<K, number>>;

/** The inverse of toCountsPayload's tally part, so a queued window can absorb a later one (see mergeCounts). */
export function tallyOfPayload(p: CountsPayload): WindowTally {
  const t = emptyTally();
  for (const z of p.zones) t.zones[z.zone] = { in: z.in, out: z.out };
  for (const l of p.lanes) {
    t.lanes[l.lane] = {
      in: l.in,
      out: l.out,
      denied: l.denied,
      ...(l.deniedByReason ? { deniedByReason: nonZero(l.deniedByReason) } : {}),
      byCredential: nonZero(l.byCredential),
      byCategory: {
        domestic: l.byCategory?.domestic ?? 0,
        foreign: l.byCategory?.foreign ?? 0,
        unknown: l.byCategory?.unknown ?? 0,
        ageBand: nonZero(l.byCategory?.ageBand),
        sex: nonZero(l.byCategory?.sex),
        ...(l.byCategory?.withheld ? { withheld: { ...l.byCategory.withheld } } : {}),
      },
    };
  }
  return t;
}

export function addTallies(a: WindowTally, b: WindowTally): WindowTally {
  const out = structuredClone(a);
  for (const [zone, z] of Object.entries(b.zones)) {
    const into = (out.zones[zone] ??= { in: 0, out: 0 });
    into.in += z.in;
    into.out += z.out;
  }
  for (const [lane, l] of Object.entries(b.lanes)) {
    const into = (out.lanes[lane] ??= emptyLane());
    into.in += l.in;
    into.out += l.out;
    into.denied += l.denied;
    for (const [k, v] of Object.entries(l.deniedByReason ?? {}))
      bump((into.deniedByReason ??= {}), k as DenialReason, v ?? 0);
    for (const [k, v] of Object.entries(l.byCredential)) bump(into.byCredential, k as Via, v);
    into.byCategory.domestic += l.byCategory.domestic;
    into.byCategory.foreign += l.byCategory.foreign;
    into.byCategory.unknown += l.byCategory.unknown;
    for (const [k, v] of Object.entries(l.byCategory.ageBand)) bump(into.byCategory.ageBand, k as AgeBand, v);
    for (const [k, v] of Object.entries(l.byCategory.sex)) bump(into.byCategory.sex, k as 'M' | 'F', v);
    if (l.byCategory.withheld) {
      const w = (into.byCategory.withheld ??= { ...NOTHING_WITHHELD });
      w.nationality += l.byCategory.withheld.nationality;
      w.ageBand += l.byCategory.withheld.ageBand;
      w.sex += l.byCategory.withheld.sex;
    }
  }
  return out;
}

/**
 * Folds a later window into an earlier, still unsent one: the earlier window's start and seq stay, its end
 * moves to the later end, and every count adds up. Used when the outbox is full (resolution is lost, totals
 * are not) and to join runs of empty windows queued during an outage.
 */
export function mergeCounts(earlier: CountsPayload, later: CountsPayload, disclosure: CountsDisclosure): CountsPayload {
  // What either part withheld is in its tally and stays withheld; the summed cells are checked again.
  const tally = addTallies(tallyOfPayload(earlier), tallyOfPayload(later));
  return toCountsPayload({ ...earlier, windowEnd: Math.max(earlier.windowEnd, later.windowEnd) }, tally, disclosure);
}
