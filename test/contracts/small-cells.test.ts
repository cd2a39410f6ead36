import fc from 'fast-check';
import t from 'tap';
import {
  CATEGORY_MIN_COUNT,
  type CategoryCounts,
  CategoryMinCount,
  withholdSmallCells,
} from '../../contracts/small-cells.js';
import { CategoryCounts as CategoryCountsSchema } from '../../contracts/topics.js';
import { categoryCounts, minimum } from './fixtures/category-counts.js';

type Breakdown = 'nationality' | 'ageBand' | 'sex';
const BREAKDOWNS: readonly Breakdown[] = ['nationality', 'ageBand', 'sex'];

/** The cells of one breakdown, zero where a key is missing, in a fixed order. */
function cellsOf(c: CategoryCounts, b: Breakdown): number[] {
  if (b === 'nationality') return [c.domestic, c.foreign];
  if (b === 'ageBand') return ['0-17', '18-39', '40-59', '60+'].map((k) => c.ageBand[k as '0-17'] ?? 0);
  return [c.sex.M ?? 0, c.sex.F ?? 0];
}
const sum = (ns: number[]): number => ns.reduce((a, n) => a + n, 0);
const withheldOf = (c: CategoryCounts, b: Breakdown): number => c.withheld?.[b] ?? 0;
/** What a reader of the counts sees, whatever the order or presence of zero keys. */
const readable = (c: CategoryCounts): string =>
  JSON.stringify([c.unknown, ...BREAKDOWNS.map((b) => [cellsOf(c, b), withheldOf(c, b)])]);

/** The same counts with one breakdown's cells in another order (rotated by `by`). */
function permuted(c: CategoryCounts, b: Breakdown, by: number): CategoryCounts {
  const cells = cellsOf(c, b);
  const r = cells.map((_, i) => cells[(i + by) % cells.length]!);
  if (b === 'nationality') return { ...c, domestic: r[0]!, foreign: r[1]! };
  if (b === 'ageBand') return { ...c, ageBand: { '0-17': r[0]!, '18-39': r[1]!, '40-59': r[2]!, '60+': r[3]! } };
  return { ...c, sex: { M: r[0]!, F: r[1]! } };
}

t.test('no published cell is under the minimum but above zero', async (t) => {
  fc.assert(
    fc.property(categoryCounts, minimum, (c, min) =>
      BREAKDOWNS.every((b) => cellsOf(withholdSmallCells(c, min), b).every((n) => n === 0 || n >= min)),
    ),
  );
  t.pass('held for every generated case');
});

t.test('every total adds up: what a breakdown stops showing is in its withheld count', async (t) => {
  fc.assert(
    fc.property(categoryCounts, minimum, (c, min) => {
      const out = withholdSmallCells(c, min);
      return (
        out.unknown === c.unknown &&
        BREAKDOWNS.every((b) => sum(cellsOf(out, b)) + withheldOf(out, b) === sum(cellsOf(c, b)) + withheldOf(c, b))
      );
    }),
  );
  t.pass('held for every generated case');
});

t.test('a withheld cell cannot be recovered from the published total minus the other cells', async (t) => {
  fc.assert(
    fc.property(categoryCounts, minimum, fc.nat(3), (c, min, by) => {
      const out = withholdSmallCells(c, min);
      return BREAKDOWNS.every((b) => {
        if (!cellsOf(c, b).some((n) => n > 0 && n < min)) return true;
        // The whole breakdown goes: nothing shown to subtract, and the same publication whichever of its
        // cells held whom, so the withheld sum does not say which cell was small.
        const whole = cellsOf(out, b).every((n) => n === 0);
        const sameWhicheverCell = readable(withholdSmallCells(permuted(c, b, by), min)) === readable(out);
        return whole && sameWhicheverCell;
      });
    }),
  );
  t.pass('held for every generated case');
});

t.test('a breakdown without a small cell is shown as it came; applying the rule again changes nothing', async (t) => {
  fc.assert(
    fc.property(categoryCounts, minimum, (c, min) => {
      const out = withholdSmallCells(c, min);
      const kept = BREAKDOWNS.every(
        (b) =>
          cellsOf(c, b).some((n) => n > 0 && n < min) ||
          (JSON.stringify(cellsOf(out, b)) === JSON.stringify(cellsOf(c, b)) &&
            withheldOf(out, b) === withheldOf(c, b)),
      );
      return kept && readable(withholdSmallCells(out, min)) === readable(out);
    }),
  );
  t.pass('held for every generated case');
});

t.test('what is published still validates against the counts payload schema', async (t) => {
  fc.assert(
    fc.property(
      categoryCounts,
      minimum,
      (c, min) => CategoryCountsSchema.safeParse(withholdSmallCells(c, min)).success,
    ),
  );
  t.pass('held for every generated case');
});

t.test('one person of each category at the default minimum: every breakdown withheld, the passage kept', async (t) => {
  const one: CategoryCounts = { domestic: 1, foreign: 0, unknown: 2, ageBand: { '60+': 1 }, sex: { F: 1 } };
  t.same(withholdSmallCells(one, CATEGORY_MIN_COUNT), {
    domestic: 0,
    foreign: 0,
    unknown: 2,
    ageBand: { '0-17': 0, '18-39': 0, '40-59': 0, '60+': 0 },
    sex: { M: 0, F: 0 },
    withheld: { nationality: 1, ageBand: 1, sex: 1 },
  });
  t.equal(CATEGORY_MIN_COUNT, 3, 'the documented default (docs/mqtt/README.md, docs/ioc-bi.md)');
  t.equal(CategoryMinCount.parse(undefined), CATEGORY_MIN_COUNT, 'the config default is the constant');
  t.notOk(CategoryMinCount.safeParse(0).success, '0 would read as "no minimum" and is refused; 1 shows all');
});
