// What of a window's categories the collector stores: the category columns, and the gate's breakdowns as
// they may be stored. The small-cell rule itself is contracts/small-cells.ts, the one the gate applies too; the
// collector applies it again, per lane and window, with its own minimum (analytics.categoryMinCount), before
// anything is stored: a gate set to 1, an old gate, or a forged-but-signed payload cannot put a cell of one
// person into the IOC's database.
//
// Why per window and not on each answer: every stored cell is then 0 or >= min, and every answer is a sum of
// whole stored cells (ranges, buckets and groupings never split a window). A sum of such cells is again 0 or
// >= min, and so is any difference between two answers (the difference is itself a sum of stored cells): no
// combination of answers can show a cell below the minimum. Withholding on the answer instead would let two
// overlapping ranges, one shown and one withheld, reveal the cell between them. Pure.
import { type CategoryCounts, withholdSmallCells } from '../../contracts/small-cells.js';

/** The category columns of one stored lane window (also the columns of every rollup and answer). */
export interface CategoryCells {
  domestic: number;
  foreign: number;
  unknown: number;
  age0to17: number;
  age18to39: number;
  age40to59: number;
  age60plus: number;
  male: number;
  female: number;
  /** passages whose nationality / age band / sex is not shown (by the gate or here) */
  withheldNationality: number;
  withheldAgeBand: number;
  withheldSex: number;
}

export const CATEGORY_KEYS = [
  'domestic',
  'foreign',
  'unknown',
  'age0to17',
  'age18to39',
  'age40to59',
  'age60plus',
  'male',
  'female',
  'withheldNationality',
  'withheldAgeBand',
  'withheldSex',
] as const satisfies readonly (keyof CategoryCells)[];

/** SQL column of each category key, in CATEGORY_KEYS order (same names in both back-ends). */
export const CATEGORY_COLUMNS: Record<keyof CategoryCells, string> = {
  domestic: 'cat_domestic',
  foreign: 'cat_foreign',
  unknown: 'cat_unknown',
  age0to17: 'age_0_17',
  age18to39: 'age_18_39',
  age40to59: 'age_40_59',
  age60plus: 'age_60_plus',
  male: 'sex_m',
  female: 'sex_f',
  withheldNationality: 'withheld_nationality',
  withheldAgeBand: 'withheld_age_band',
  withheldSex: 'withheld_sex',
};

/** The category columns in CATEGORY_KEYS order, as the stores' statements list them. */
export const CATEGORY_COLUMN_LIST: readonly string[] = CATEGORY_KEYS.map((k) => CATEGORY_COLUMNS[k]);

export const NO_CATEGORIES: Readonly<CategoryCells> = Object.freeze(
  Object.fromEntries(CATEGORY_KEYS.map((k) => [k, 0])) as unknown as CategoryCells,
);

/**
 * The cells of one lane window as they may be stored: the gate's breakdowns after the small-cell rule with the
 * collector's minimum. A window without categories (an older gate) stores zeros: nothing to show.
 */
export function discloseCategories(gateCells: CategoryCounts | undefined, min: number): CategoryCells {
  if (!gateCells) return { ...NO_CATEGORIES };
  const c = withholdSmallCells(gateCells, min);
  return {
    domestic: c.domestic,
    foreign: c.foreign,
    unknown: c.unknown,
    age0to17: c.ageBand['0-17'] ?? 0,
    age18to39: c.ageBand['18-39'] ?? 0,
    age40to59: c.ageBand['40-59'] ?? 0,
    age60plus: c.ageBand['60+'] ?? 0,
    male: c.sex.M ?? 0,
    female: c.sex.F ?? 0,
    withheldNationality: c.withheld?.nationality ?? 0,
    withheldAgeBand: c.withheld?.ageBand ?? 0,
    withheldSex: c.withheld?.sex ?? 0,
  };
}

export function addCategories(a: CategoryCells, b: CategoryCells): CategoryCells {
  const out = { ...a };
  for (const k of CATEGORY_KEYS) out[k] += b[k];
  return out;
}
