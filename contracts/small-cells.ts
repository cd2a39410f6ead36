// The small-cell rule, in one place: which of a lane window's counts by nationality, age band and sex may be
// shown. The gate applies it before publishing (gateway/telemetry/counts.ts, mqtt.categoryMinCount); the
// collector applies it again with its own minimum before storing (collector/analytics/disclosure.ts,
// analytics.categoryMinCount), so a gate set to 1, an old gate or a forged-but-signed payload still cannot put
// a cell of one person into the IOC's database. Both sides call this file, so the rule cannot drift. Pure.
import { z } from 'zod';
import { AGE_BANDS, type CategoryCounts as CategoryCountsSchema, SEXES } from './topics.js';

export type CategoryCounts = z.infer<typeof CategoryCountsSchema>;
type Withheld = NonNullable<CategoryCounts['withheld']>;

/**
 * The default minimum of both sides. A cell of one beside a lane and a minute is a person: whoever saw them
 * pass learns their nationality, age band or sex. With two, either of them learns the other's by leaving
 * themselves out. Three is the smallest count where leaving oneself out still leaves a group, and the usual
 * minimum of the threshold rule in statistical disclosure control. A site's DPO may raise it, or set 1 where
 * nothing could single anyone out.
 */
export const CATEGORY_MIN_COUNT = 3;

/** The config key of both sides (gate mqtt.categoryMinCount, collector analytics.categoryMinCount); 1 shows all. */
export const CategoryMinCount = z.number().int().min(1).max(100).default(CATEGORY_MIN_COUNT);

/** Someone is in the cell, but fewer than `min`. An empty cell singles no one out, so it is never small. */
export const isSmallCell = (count: number, min: number): boolean => count > 0 && count < min;

const NOTHING_WITHHELD: Withheld = { nationality: 0, ageBand: 0, sex: 0 };

/**
 * Withholds every breakdown (nationality, age band, sex) that has a small cell. The whole breakdown goes, not
 * only the small cell: the published total minus the shown cells would give a lone withheld cell back. The
 * cells' sum moves into `withheld`, so every total still adds up. Idempotent, so a merged window and the
 * collector can apply it again. `unknown` (the credential told no nationality) tells no category: never withheld.
 */
export function withholdSmallCells(c: CategoryCounts, min: number): CategoryCounts {
  const withheld: Withheld = { ...(c.withheld ?? NOTHING_WITHHELD) };
  const out: CategoryCounts = { ...c, ageBand: { ...c.ageBand }, sex: { ...c.sex }, withheld };
  if (isSmallCell(out.domestic, min) || isSmallCell(out.foreign, min)) {
    withheld.nationality += out.domestic + out.foreign;
    out.domestic = 0;
    out.foreign = 0;
  }
  if (AGE_BANDS.some((band) => isSmallCell(out.ageBand[band] ?? 0, min))) {
    for (const band of AGE_BANDS) {
      withheld.ageBand += out.ageBand[band] ?? 0;
      out.ageBand[band] = 0;
    }
  }
  if (SEXES.some((sex) => isSmallCell(out.sex[sex] ?? 0, min))) {
    for (const sex of SEXES) {
      withheld.sex += out.sex[sex] ?? 0;
      out.sex[sex] = 0;
    }
  }
  return out;
}
