import fc from 'fast-check';
import t from 'tap';
import type { StoredEvent } from '../../../gateway/store/types.js';
import {
  emptyTally,
  mergeCounts,
  tallyEvent,
  toCountsPayload,
  type WindowTally,
  windowStartFor,
} from '../../../gateway/telemetry/counts.js';
import { CountsPayload } from '../../../gateway/telemetry/topics.js';

const zoneOf = (lane: string): string | undefined => ({ L1: 'main', L2: 'museum' })[lane];
const id = { site: 's', gate: 'g', bootId: 'b', seq: 1, windowStart: 0, windowEnd: 60_000 };

const event = fc.record({
  type: fc.constantFrom('passage', 'decision', 'timeout', 'alarm'),
  // L3 and the rest are not lanes of this gate (a device that named a lane wrongly, or made one up).
  lane: fc.constantFrom('L1', 'L2', 'L3', 'L 1', '<script>\n', null),
  direction: fc.constantFrom('in', 'out', null),
  decision: fc.constantFrom('allow', 'deny', null),
  via: fc.constantFrom('ticket', 'cccd-qr', 'chip', 'free-passage', 'manual', 'forced', 'bogus', undefined),
  nationality: fc.constantFrom('VNM', 'KOR', '', undefined),
  ageBand: fc.constantFrom('0-17', '18-39', '40-59', '60+', '99', undefined),
  sex: fc.constantFrom('M', 'F', 'X', undefined),
});
type Gen = typeof event extends fc.Arbitrary<infer G> ? G : never;

function toStored(g: Gen, i: number): StoredEvent {
  const facts: Record<string, string> = {};
  for (const k of ['via', 'nationality', 'ageBand', 'sex'] as const) if (g[k] !== undefined) facts[k] = g[k]!;
  return {
    id: `e${i}`,
    seq: i,
    bootId: 'b',
    ts: i,
    type: g.type as StoredEvent['type'],
    lane: g.lane,
    direction: g.direction as StoredEvent['direction'],
    credential: null,
    decision: g.decision as StoredEvent['decision'],
    reason: null,
    idHash: null,
    idMasked: null,
    latencyMs: null,
    refId: null,
    facts,
  };
}

const tallyAll = (evs: StoredEvent[]): WindowTally => evs.reduce((t, e) => tallyEvent(t, e, zoneOf), emptyTally());

t.test(
  'every passage is counted exactly once per lane, per zone and per category; deny decisions as denied; other lane ids not at all',
  async (_t) => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (gens) => {
        const evs = gens.map(toStored);
        const p = toCountsPayload(id, tallyAll(evs));
        const passages = evs.filter((e) => e.type === 'passage' && e.lane !== null && e.direction !== null);
        if (p.lanes.some((l) => l.lane !== 'L1' && l.lane !== 'L2')) return false;
        for (const lane of ['L1', 'L2']) {
          const l = p.lanes.find((x) => x.lane === lane);
          const mine = passages.filter((e) => e.lane === lane);
          const denied = evs.filter((e) => e.type === 'decision' && e.decision === 'deny' && e.lane === lane).length;
          const inN = mine.filter((e) => e.direction === 'in').length;
          if (!l) {
            if (mine.length + denied !== 0) return false;
            continue;
          }
          if (l.in !== inN || l.out !== mine.length - inN || l.denied !== denied) return false;
          const cat = l.byCategory!;
          if (cat.domestic + cat.foreign + cat.unknown !== mine.length) return false;
          const viaSum = Object.values(l.byCredential).reduce((a, b) => a + b, 0);
          if (viaSum !== mine.filter((e) => typeof e.facts.via === 'string' && e.facts.via !== 'bogus').length)
            return false;
        }
        const zoneIn = p.zones.reduce((a, z) => a + z.in + z.out, 0);
        const ofThisGate = passages.filter((e) => e.lane === 'L1' || e.lane === 'L2').length;
        return zoneIn === ofThisGate && CountsPayload.safeParse(p).success;
      }),
    );
  },
);

t.test('the payload is a function of the counts alone (same counts, same bytes)', async (_t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 50 }), (gens) => {
      const evs = gens.map(toStored);
      const reversed = [...evs].reverse();
      return (
        JSON.stringify(toCountsPayload(id, tallyAll(evs))) === JSON.stringify(toCountsPayload(id, tallyAll(reversed)))
      );
    }),
  );
});

t.test('merging two windows keeps the earlier start and seq and adds every count', async (_t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), fc.array(event, { maxLength: 60 }), (a, b) => {
      const ea = a.map(toStored);
      const eb = b.map((g, i) => toStored(g, i + 1000));
      const pa = toCountsPayload(id, tallyAll(ea));
      const pb = toCountsPayload({ ...id, seq: 2, windowStart: 60_000, windowEnd: 120_000 }, tallyAll(eb));
      const merged = mergeCounts(pa, pb);
      const whole = toCountsPayload({ ...id, windowEnd: 120_000 }, tallyAll([...ea, ...eb]));
      return JSON.stringify(merged) === JSON.stringify(whole);
    }),
  );
});

t.test('windows align to wall-clock multiples of their length', async (t) => {
  t.equal(windowStartFor(Date.UTC(2026, 0, 1, 8, 0, 59, 999), 60_000), Date.UTC(2026, 0, 1, 8, 0, 0));
  t.equal(windowStartFor(Date.UTC(2026, 0, 1, 8, 1, 0, 0), 60_000), Date.UTC(2026, 0, 1, 8, 1, 0));
});
