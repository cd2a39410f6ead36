import fc from 'fast-check';
import t from 'tap';
import { withholdSmallCells } from '../../../contracts/small-cells.js';
import { CountsPayload } from '../../../contracts/topics.js';
import type { StoredEvent } from '../../../gateway/store/types.js';
import {
  emptyTally,
  mergeCounts,
  type CountsPayload as Published,
  tallyEvent,
  toCountsPayload,
  type WindowTally,
  windowStartFor,
} from '../../../gateway/telemetry/counts.js';

const zoneOf = (lane: string): string | undefined => ({ L1: 'main', L2: 'museum' })[lane];
const id = { site: 's', gate: 'g', bootId: 'b', seq: 1, windowStart: 0, windowEnd: 60_000 };
/** Every category cell shown: the exactness properties below hold cell by cell. */
const SHOW_ALL = { categoryMinCount: 1 };

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
        const p = toCountsPayload(id, tallyAll(evs), SHOW_ALL);
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
        JSON.stringify(toCountsPayload(id, tallyAll(evs), SHOW_ALL)) ===
        JSON.stringify(toCountsPayload(id, tallyAll(reversed), SHOW_ALL))
      );
    }),
  );
});

t.test('merging two windows keeps the earlier start and seq and adds every count', async (_t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), fc.array(event, { maxLength: 60 }), (a, b) => {
      const ea = a.map(toStored);
      const eb = b.map((g, i) => toStored(g, i + 1000));
      const pa = toCountsPayload(id, tallyAll(ea), SHOW_ALL);
      const pb = toCountsPayload({ ...id, seq: 2, windowStart: 60_000, windowEnd: 120_000 }, tallyAll(eb), SHOW_ALL);
      const merged = mergeCounts(pa, pb, SHOW_ALL);
      const whole = toCountsPayload({ ...id, windowEnd: 120_000 }, tallyAll([...ea, ...eb]), SHOW_ALL);
      return JSON.stringify(merged) === JSON.stringify(whole);
    }),
  );
});

/** What a lane's categories must say of these events when cells below `min` are withheld. */
function disclosureHolds(p: Published, evs: StoredEvent[], min: number): boolean {
  for (const l of p.lanes) {
    const c = l.byCategory!;
    const w = c.withheld!;
    const mine = evs.filter((e) => e.type === 'passage' && e.lane === l.lane && e.direction !== null);
    const cells = [c.domestic, c.foreign, ...Object.values(c.ageBand), ...Object.values(c.sex)];
    if (cells.some((n) => n !== undefined && n > 0 && n < min)) return false;
    const nationalityKnown = mine.filter((e) => typeof e.facts.nationality === 'string' && e.facts.nationality !== '');
    const bandKnown = mine.filter((e) => ['0-17', '18-39', '40-59', '60+'].includes(String(e.facts.ageBand)));
    const sexKnown = mine.filter((e) => e.facts.sex === 'M' || e.facts.sex === 'F');
    const bands = Object.values(c.ageBand).reduce((a, b) => a + (b ?? 0), 0);
    const sexes = Object.values(c.sex).reduce((a, b) => a + (b ?? 0), 0);
    if (c.domestic + c.foreign + w.nationality !== nationalityKnown.length) return false;
    if (c.unknown !== mine.length - nationalityKnown.length) return false;
    if (bands + w.ageBand !== bandKnown.length || sexes + w.sex !== sexKnown.length) return false;
  }
  return true;
}

t.test(
  'no category cell below the minimum is published; withheld cells keep every total, in, out and denied exact',
  async (_t) => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), (gens, min) => {
        const evs = gens.map(toStored);
        const shown = toCountsPayload(id, tallyAll(evs), { categoryMinCount: min });
        const all = toCountsPayload(id, tallyAll(evs), SHOW_ALL);
        const exact = (q: Published) => JSON.stringify(q.lanes.map(({ byCategory: _c, ...rest }) => rest));
        return (
          disclosureHolds(shown, evs, min) && exact(shown) === exact(all) && CountsPayload.safeParse(shown).success
        );
      }),
    );
  },
);

t.test('merged windows (a full outbox) withhold what either part withheld, and keep totals', async (_t) => {
  fc.assert(
    fc.property(
      fc.array(event, { maxLength: 60 }),
      fc.array(event, { maxLength: 60 }),
      fc.integer({ min: 1, max: 6 }),
      (a, b, min) => {
        const ea = a.map(toStored);
        const eb = b.map((g, i) => toStored(g, i + 1000));
        const disclosure = { categoryMinCount: min };
        const pa = toCountsPayload(id, tallyAll(ea), disclosure);
        const pb = toCountsPayload(
          { ...id, seq: 2, windowStart: 60_000, windowEnd: 120_000 },
          tallyAll(eb),
          disclosure,
        );
        return disclosureHolds(mergeCounts(pa, pb, disclosure), [...ea, ...eb], min);
      },
    ),
  );
});

t.test(
  'a window publishes exactly what the shared small-cell rule (contracts/small-cells.ts) makes of its counts',
  async (t) => {
    fc.assert(
      // Few events, so small cells are common. The exact counts come from the tally, not from a payload, so
      // the baseline does not go through the code under test.
      fc.property(fc.array(event, { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (gens, min) => {
        const tally = tallyAll(gens.map(toStored));
        return toCountsPayload(id, tally, { categoryMinCount: min }).lanes.every((l) => {
          const c = tally.lanes[l.lane]!.byCategory;
          const exact = {
            domestic: c.domestic,
            foreign: c.foreign,
            unknown: c.unknown,
            ageBand: { '0-17': 0, '18-39': 0, '40-59': 0, '60+': 0, ...c.ageBand },
            sex: { M: 0, F: 0, ...c.sex },
          };
          return JSON.stringify(l.byCategory) === JSON.stringify(withholdSmallCells(exact, min));
        });
      }),
    );
    t.pass('held for every generated case');
  },
);

t.test('one woman over 60 from Viet Nam in a window: her lane shows a passage, not who passed', async (t) => {
  const ev = toStored(
    {
      type: 'passage',
      lane: 'L2',
      direction: 'in',
      decision: null,
      via: 'chip',
      nationality: 'VNM',
      ageBand: '60+',
      sex: 'F',
    },
    1,
  );
  const l = toCountsPayload(id, tallyAll([ev]), { categoryMinCount: 3 }).lanes[0]!;
  t.match(l, { lane: 'L2', in: 1, byCredential: { chip: 1 } });
  t.match(l.byCategory, {
    domestic: 0,
    foreign: 0,
    ageBand: { '60+': 0 },
    sex: { F: 0 },
    withheld: { nationality: 1, ageBand: 1, sex: 1 },
  });
});

t.test('windows align to wall-clock multiples of their length', async (t) => {
  t.equal(windowStartFor(Date.UTC(2026, 0, 1, 8, 0, 59, 999), 60_000), Date.UTC(2026, 0, 1, 8, 0, 0));
  t.equal(windowStartFor(Date.UTC(2026, 0, 1, 8, 1, 0, 0), 60_000), Date.UTC(2026, 0, 1, 8, 1, 0));
});

t.test(
  'deny decisions are counted by reason; the reasons add up to denied, survive a merge, and validate',
  async (_t) => {
    const denial = fc.record({
      lane: fc.constantFrom('L1', 'L2'),
      reason: fc.constantFrom('ticket.expired', 'face.no-match', 'policy.anti-passback', 'store.unavailable'),
    });
    fc.assert(
      fc.property(fc.array(denial, { maxLength: 60 }), fc.nat({ max: 60 }), (denials, cut) => {
        const evs = denials.map(
          (d, i): StoredEvent => ({
            ...toStored(
              {
                type: 'decision',
                lane: d.lane,
                direction: null,
                decision: 'deny',
                via: undefined,
                nationality: undefined,
                ageBand: undefined,
                sex: undefined,
              },
              i,
            ),
            reason: d.reason as StoredEvent['reason'],
          }),
        );
        const canon = (r: Record<string, number> | undefined) => JSON.stringify(Object.entries(r ?? {}).sort());
        const want = (lane: string) => {
          const out: Record<string, number> = {};
          for (const d of denials) if (d.lane === lane) out[d.reason] = (out[d.reason] ?? 0) + 1;
          return out;
        };
        const whole = toCountsPayload(id, tallyAll(evs), SHOW_ALL);
        // The same events published in two windows, then folded as a full outbox does.
        const first = toCountsPayload(id, tallyAll(evs.slice(0, cut)), SHOW_ALL);
        const second = toCountsPayload({ ...id, seq: 2 }, tallyAll(evs.slice(cut)), SHOW_ALL);
        const merged = mergeCounts(first, second, SHOW_ALL);
        for (const p of [whole, merged]) {
          if (!CountsPayload.safeParse(p).success) return false;
          for (const l of p.lanes) {
            if (canon(l.deniedByReason) !== canon(want(l.lane))) return false;
            if (Object.values(l.deniedByReason ?? {}).reduce((a, b) => a + b, 0) !== l.denied) return false;
          }
        }
        return true;
      }),
    );
  },
);

t.test(
  'a window with no denial carries no deniedByReason (the payload of a gate from before it is the same)',
  async (t) => {
    const passage = toStored(
      {
        type: 'passage',
        lane: 'L1',
        direction: 'in',
        decision: null,
        via: 'ticket',
        nationality: 'VNM',
        ageBand: undefined,
        sex: undefined,
      },
      1,
    );
    const p = toCountsPayload(id, tallyAll([passage]), SHOW_ALL);
    t.equal(p.lanes[0]!.deniedByReason, undefined);
  },
);
