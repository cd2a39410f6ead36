// The analytics behaviours every CollectorStore must have, and the small-cell property; run against SQLite and PostgreSQL.
import fc from 'fast-check';
import type { Test } from 'tap';
import {
  addCategories,
  CATEGORY_KEYS,
  type CategoryCells,
  discloseCategories,
  NO_CATEGORIES,
} from '../../../collector/analytics/disclosure.js';
import { foldBatch } from '../../../collector/storage/batch.js';
import type {
  AnalyticsCell,
  AnalyticsQuery,
  CollectorStore,
  Grain,
  GroupBy,
} from '../../../collector/storage/types.js';
import type { IngestRecord } from '../../../collector/validate.js';
import { alarmRecord, countsRecord } from '../fixtures.js';

const T0 = 1_767_200_400_000; // 2026-01-01 00:00 in Vietnam (a Thursday)
const H = 3_600_000;
const D = 86_400_000;
const MIN = 3;

const cats = (domestic: number, foreign: number, age: [number, number, number, number], sex: [number, number]) => ({
  domestic,
  foreign,
  unknown: 0,
  ageBand: { '0-17': age[0], '18-39': age[1], '40-59': age[2], '60+': age[3] },
  sex: { M: sex[0], F: sex[1] },
});

/** The cells that show a category; `unknown` and the withheld sums show none. */
const BREAKDOWN_CELLS = [
  'domestic',
  'foreign',
  'age0to17',
  'age18to39',
  'age40to59',
  'age60plus',
  'male',
  'female',
] as const satisfies readonly (keyof CategoryCells)[];

const pick = (c: AnalyticsCell): CategoryCells =>
  Object.fromEntries(CATEGORY_KEYS.map((k) => [k, c[k]])) as unknown as CategoryCells;

export function analyticsSpec(t: Test, open: () => Promise<CollectorStore>, opts: { numRuns: number }): void {
  let store: CollectorStore;
  t.before(async () => {
    store = await open();
  });
  t.teardown(() => store?.close());
  const q = (site: string, from: number, to: number, grain: Grain, groupBy: GroupBy = 'total') =>
    store.analytics({ site, from, to, grain, groupBy, utcOffsetMinutes: 420 });

  t.test('category cells are stored with the window, and a redelivered window is counted once', async (t) => {
    const rec = countsRecord('a-dup', 'g1', T0, [
      { lane: 'L1', in: 8, out: 0, byCategory: cats(5, 3, [0, 4, 4, 0], [4, 4]) },
    ]);
    await store.write(foldBatch([rec], MIN));
    await store.write(foldBatch([rec, rec], MIN));
    const [cell] = await q('a-dup', T0, T0 + D, 'day');
    t.match(cell, {
      in: 8,
      domestic: 5,
      foreign: 3,
      age18to39: 4,
      age40to59: 4,
      male: 4,
      female: 4,
      withheldNationality: 0,
    });
  });

  t.test(
    'a breakdown with a cell under the collector minimum is stored withheld whole, the others shown',
    async (t) => {
      await store.write(
        foldBatch(
          [
            countsRecord('a-small', 'g1', T0, [
              { lane: 'L1', in: 7, out: 0, byCategory: cats(6, 1, [0, 7, 0, 0], [3, 4]) },
            ]),
          ],
          MIN,
        ),
      );
      const [cell] = await q('a-small', T0, T0 + D, 'day');
      t.match(cell, {
        domestic: 0,
        foreign: 0,
        withheldNationality: 7,
        age18to39: 7,
        withheldAgeBand: 0,
        male: 3,
        female: 4,
      });
    },
  );

  t.test('day, week and month buckets start at local midnight, Monday and the 1st', async (t) => {
    const recs = [T0, T0 + 4 * D, T0 + 31 * D].map((ws) =>
      countsRecord('a-cal', 'g1', ws, [{ lane: 'L1', in: 1, out: 0 }]),
    );
    await store.write(foldBatch(recs, MIN));
    const day = await q('a-cal', T0, T0 + 40 * D, 'day');
    t.same(
      day.map((c) => c.bucketStart - T0),
      [0, 4 * D, 31 * D],
    );
    const week = await q('a-cal', T0, T0 + 40 * D, 'week');
    // 2026-01-01 is a Thursday: its week began Monday 2025-12-29.
    t.same(
      week.map((c) => [(c.bucketStart - T0) / D, c.in]),
      [
        [-3, 1],
        [4, 1],
        [25, 1],
      ],
    );
    const month = await q('a-cal', T0, T0 + 40 * D, 'month');
    t.same(
      month.map((c) => [new Date(c.bucketStart + 7 * H).toISOString().slice(0, 10), c.in]),
      [
        ['2026-01-01', 2],
        ['2026-02-01', 1],
      ],
    );
  });

  t.test('groupings split by site, gate and lane, and hours of the day are local', async (t) => {
    await store.write(
      foldBatch(
        [
          countsRecord('a-grp', 'g1', T0 + 9 * H, [
            { lane: 'L1', in: 2, out: 1 },
            { lane: 'L2', in: 3, out: 0 },
          ]),
          countsRecord('a-grp', 'g2', T0 + 9 * H + 60_000, [{ lane: 'L1', in: 4, out: 0, denied: 2 }]),
        ],
        MIN,
      ),
    );
    const byLane = await q('a-grp', T0, T0 + D, 'hour', 'lane');
    t.same(
      byLane.map((c) => [c.gate, c.lane, c.in]),
      [
        ['g1', 'L1', 2],
        ['g1', 'L2', 3],
        ['g2', 'L1', 4],
      ],
    );
    const byGate = await q('a-grp', T0, T0 + D, 'day', 'gate');
    t.same(
      byGate.map((c) => [c.gate, c.lane, c.in, c.denied]),
      [
        ['g1', '', 5, 0],
        ['g2', '', 4, 2],
      ],
    );
    const hours = await store.hourOfDay({ site: 'a-grp', from: T0, to: T0 + D, utcOffsetMinutes: 420 });
    t.same(
      hours.map((h) => [h.hour, h.in, h.out]),
      [[9, 9, 1]],
    );
  });

  t.test('alarms are counted per bucket and kind', async (t) => {
    await store.write(
      foldBatch([alarmRecord('a-al', 'g1', 'x1', T0 + H), alarmRecord('a-al', 'g1', 'x2', T0 + 2 * H)], MIN),
    );
    const kinds = await store.alarmKinds({ site: 'a-al', from: T0, to: T0 + D, grain: 'day', utcOffsetMinutes: 420 });
    t.same(
      kinds.map((k) => [k.bucketStart - T0, k.kind, k.n]),
      [[0, 'tailgating', 2]],
    );
  });

  // The small-cell property: windows carry raw categories (a gate set to 1, or a forged-but-signed payload);
  // whatever is asked, no category cell of any answer, nor the difference of two answers over nested ranges,
  // lies in (0, MIN); and every answer equals the sum of the windows as disclosed (so nothing is lost either).
  const rawCats = fc.record({
    domestic: fc.nat(7),
    foreign: fc.nat(7),
    unknown: fc.nat(3),
    ageBand: fc.record({ '0-17': fc.nat(5), '18-39': fc.nat(5), '40-59': fc.nat(5), '60+': fc.nat(5) }),
    sex: fc.record({ M: fc.nat(6), F: fc.nat(6) }),
  });
  const window = fc.record({
    gate: fc.constantFrom('g1', 'g2'),
    lane: fc.constantFrom('L1', 'L2'),
    minute: fc.nat(3 * 24 * 60 - 1),
    cats: rawCats,
  });
  // Ranges of three shapes: PostgreSQL answers whole local days from its daily rollup, whole hours from its
  // hourly rollup, and anything else from the windows themselves; all three must agree with the model.
  const range = fc
    .tuple(fc.nat(3 * 24), fc.nat(3 * 24), fc.nat(59), fc.constantFrom('minutes', 'hours', 'days'))
    .map(([a, b, m, shape]) => {
      const [lo, hi] = a <= b ? [a, b + 1] : [b, a + 1];
      if (shape === 'days') return { from: T0 + Math.floor(lo / 24) * D, to: T0 + Math.ceil(hi / 24) * D };
      return { from: T0 + lo * H + (shape === 'minutes' ? m * 60_000 : 0), to: T0 + hi * H };
    });
  let run = 0;
  t.test('no answer and no difference of two answers shows a category cell under the minimum', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(window, { minLength: 1, maxLength: 25 }),
        range,
        range,
        fc.constantFrom<Grain>('minute', 'hour', 'day', 'week', 'month'),
        fc.constantFrom<GroupBy>('total', 'site', 'gate', 'lane'),
        async (windows, r1, r2, grain, groupBy) => {
          const site = `p${run++}`;
          const records: IngestRecord[] = windows.map((w) => {
            const n = w.cats.domestic + w.cats.foreign + w.cats.unknown;
            return countsRecord(site, w.gate, T0 + w.minute * 60_000, [
              { lane: w.lane, in: n, out: 0, byCategory: w.cats },
            ]);
          });
          // Written in two batches with the first window again: a redelivery must change nothing.
          await store.write(foldBatch(records.slice(0, 10), MIN));
          await store.write(foldBatch([...records.slice(10), records[0]!], MIN));
          const model = new Map<string, { gate: string; lane: string; ws: number; c: CategoryCells }>();
          // The write order: the first window is sent again last, so its copy is the latest one stored.
          for (const w of [...windows, windows[0]!]) {
            const ws = T0 + w.minute * 60_000;
            model.set(`${w.gate}/${w.lane}/${ws}`, {
              gate: w.gate,
              lane: w.lane,
              ws,
              c: discloseCategories(w.cats, MIN),
            });
          }
          const expected = (r: { from: number; to: number }): CategoryCells =>
            [...model.values()]
              .filter((m) => m.ws >= r.from && m.ws < r.to)
              .reduce((a, m) => addCategories(a, m.c), { ...NO_CATEGORIES });
          const total = (cells: AnalyticsCell[]): CategoryCells =>
            cells.map(pick).reduce(addCategories, { ...NO_CATEGORIES });
          const ask = (r: { from: number; to: number }): Promise<AnalyticsCell[]> =>
            store.analytics({ site, ...r, grain, groupBy, utcOffsetMinutes: 420 } satisfies AnalyticsQuery);
          const visible = (c: CategoryCells): boolean => BREAKDOWN_CELLS.every((k) => c[k] === 0 || c[k] >= MIN);

          const a1 = await ask(r1);
          const a2 = await ask(r2);
          for (const cell of [...a1, ...a2]) if (!visible(pick(cell))) return false;
          if (JSON.stringify(total(a1)) !== JSON.stringify(expected(r1))) return false;
          // Nested ranges: the outer answer minus the inner one is what lies between them.
          const outer = { from: Math.min(r1.from, r2.from), to: Math.max(r1.to, r2.to) };
          const diff = total(await ask(outer));
          const inner = total(a1);
          for (const k of CATEGORY_KEYS) diff[k] -= inner[k];
          return visible(diff);
        },
      ),
      { numRuns: opts.numRuns },
    );
    t.pass('held for every generated case');
  });
}
