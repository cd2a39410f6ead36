// Verification rates per demographic group (issue #15): a threshold that holds on average can let far more
// impostors through within one group, because faces of one group are more alike to the model. A group's FMR
// is therefore measured on impostor pairs within the group (the impostor a gate meets is mostly someone from
// the same region), its FNMR on its own genuine pairs. Pure, apart from reading the groups file.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fail, ok, type Result } from '../contracts/result.js';
import { type ImageOutcome, scoresOf } from './evaluate.js';
import {
  conservativeThresholdAtFmr,
  rateAtOrAbove,
  ratesAt,
  sortedDescending,
  thresholdAtFmr,
  wilsonUpper,
} from './verification-metrics.js';

/** identity -> group name, as in the groups file (a JSON object). */
export type GroupOf = ReadonlyMap<string, string>;

/** The group of identities the groups file does not name: reported too, never silently dropped. */
export const UNGROUPED = '(ungrouped)';

const GroupsFileSchema = z.record(z.string().min(1), z.string().min(1).max(64));

export function parseGroups(raw: unknown, source = 'groups'): Result<GroupOf, 'groups.invalid'> {
  const parsed = GroupsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('groups.invalid', `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return ok(new Map(Object.entries(parsed.data)));
}

export async function loadGroups(file: string): Promise<Result<GroupOf, 'groups.invalid'>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    return fail('groups.invalid', `${file}: ${(err as Error).message}`);
  }
  return parseGroups(raw, file);
}

export interface RatesAtThreshold {
  threshold: number;
  fmr: number;
  /** one-sided 95 % Wilson upper bound of the FMR: what the impostor pairs at hand can vouch for */
  fmrUpper95: number;
  passingImpostors: number;
  fnmr: number;
}

export interface GroupReport {
  group: string;
  images: number;
  identities: number;
  failedDetections: number;
  genuinePairs: number;
  impostorPairs: number;
  /** the lowest threshold whose measured FMR is <= target, within the group */
  thresholdAtFmr: { '1e-3': number; '1e-4': number };
  /** the lowest threshold whose 95 % upper bound is <= target; supported = the pairs can show the target at all */
  conservativeAtFmr: Record<'1e-3' | '1e-4', { threshold: number; supported: boolean }>;
  /** rates at each given threshold (the published ones) */
  at: Record<string, RatesAtThreshold>;
}

/** Rates of one set of outcomes at each named threshold. */
export function measureGroup(
  group: string,
  outcomes: readonly ImageOutcome[],
  thresholds: Readonly<Record<string, number>>,
): GroupReport {
  const scores = scoresOf(outcomes);
  const genuineDesc = sortedDescending(scores.genuine);
  const impostorDesc = sortedDescending(scores.impostor);
  const at: Record<string, RatesAtThreshold> = {};
  for (const [name, threshold] of Object.entries(thresholds)) {
    const { fmr, fnmr } = ratesAt({ genuineDesc, impostorDesc }, threshold);
    const passing = Math.round(rateAtOrAbove(impostorDesc, threshold) * impostorDesc.length);
    at[name] = {
      threshold,
      fmr: round(fmr, 6),
      fmrUpper95: round(wilsonUpper(passing, impostorDesc.length), 6),
      passingImpostors: passing,
      fnmr: round(fnmr),
    };
  }
  const conservative = (target: number) => {
    const c = conservativeThresholdAtFmr(impostorDesc, target);
    return { threshold: round(c.threshold), supported: c.supported };
  };
  return {
    group,
    images: outcomes.length,
    identities: new Set(outcomes.map((o) => o.identity)).size,
    failedDetections: outcomes.filter((o) => o.failure).length,
    genuinePairs: genuineDesc.length,
    impostorPairs: impostorDesc.length,
    thresholdAtFmr: {
      '1e-3': round(thresholdAtFmr(impostorDesc, 1e-3)),
      '1e-4': round(thresholdAtFmr(impostorDesc, 1e-4)),
    },
    conservativeAtFmr: { '1e-3': conservative(1e-3), '1e-4': conservative(1e-4) },
    at,
  };
}

/** The outcomes split by group (identities the file does not name fall in UNGROUPED), groups sorted by name. */
export function splitByGroup(
  outcomes: readonly ImageOutcome[],
  groupOf: GroupOf,
): Array<[group: string, outcomes: ImageOutcome[]]> {
  const byGroup = new Map<string, ImageOutcome[]>();
  for (const o of outcomes) {
    const group = groupOf.get(o.identity) ?? UNGROUPED;
    const list = byGroup.get(group) ?? [];
    list.push(o);
    byGroup.set(group, list);
  }
  return [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/**
 * The fixed split of identities into a development part and a held-out part: decided by a hash of the name,
 * so it is the same on every machine, needs no list of names in the repository, and never depends on which
 * other identities a dataset holds. `heldOutShare` of the identities (about) are held out.
 */
export function isHeldOut(identity: string, heldOutShare = 0.5): boolean {
  const digest = createHash('sha256').update(`${SPLIT_SALT}:${identity}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < heldOutShare;
}
export const SPLIT_SALT = 'gate06-face-split-v1';
