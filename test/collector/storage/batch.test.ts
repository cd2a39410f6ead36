import fc from 'fast-check';
import t from 'tap';
import { defaultCollectorConfig } from '../../../collector/config.js';
import { foldBatch, type LaneCountRow } from '../../../collector/storage/batch.js';
import { CATEGORY_MIN_COUNT, type CategoryCounts, withholdSmallCells } from '../../../contracts/small-cells.js';
import { categoryCounts, minimum } from '../../contracts/fixtures/category-counts.js';
import { countsRecord } from '../fixtures.js';

const T0 = 1_767_200_400_000;

/** A stored row's category columns, named as the payload names them. */
const stored = (row: LaneCountRow) => [
  row.domestic,
  row.foreign,
  row.unknown,
  [row.age0to17, row.age18to39, row.age40to59, row.age60plus],
  [row.male, row.female],
  [row.withheldNationality, row.withheldAgeBand, row.withheldSex],
];
const sent = (c: CategoryCounts) => [
  c.domestic,
  c.foreign,
  c.unknown,
  [c.ageBand['0-17'] ?? 0, c.ageBand['18-39'] ?? 0, c.ageBand['40-59'] ?? 0, c.ageBand['60+'] ?? 0],
  [c.sex.M ?? 0, c.sex.F ?? 0],
  [c.withheld?.nationality ?? 0, c.withheld?.ageBand ?? 0, c.withheld?.sex ?? 0],
];

const window = (c: CategoryCounts) => {
  const n = c.domestic + c.foreign + c.unknown;
  return countsRecord('s', 'g1', T0, [{ lane: 'L1', in: n, out: 0, byCategory: c }]);
};

t.test('a lane window is stored as the shared small-cell rule (contracts/small-cells.ts) makes it', async (t) => {
  fc.assert(
    fc.property(categoryCounts, minimum, (c, min) => {
      const [row] = foldBatch([window(c)], min).lanes;
      return JSON.stringify(stored(row!)) === JSON.stringify(sent(withholdSmallCells(c, min)));
    }),
  );
  t.pass('held for every generated case');
});

t.test('without a minimum, and in a default config, the collector uses the shared default', async (t) => {
  fc.assert(
    fc.property(categoryCounts, (c) => {
      const [row] = foldBatch([window(c)]).lanes;
      return JSON.stringify(stored(row!)) === JSON.stringify(sent(withholdSmallCells(c, CATEGORY_MIN_COUNT)));
    }),
  );
  t.equal(defaultCollectorConfig().analytics.categoryMinCount, CATEGORY_MIN_COUNT);
});
