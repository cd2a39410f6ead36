// `gate06 face eval` and `gate06 face bench`: verification accuracy and speed of the face pipeline.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DatasetImage, loadDataset } from '../face-eval/dataset.js';
import { analyseDataset, rocCurve, summarise } from '../face-eval/evaluate.js';
import { type GroupOf, loadGroups, measureGroup, splitByGroup } from '../face-eval/groups.js';
import { rocSvg } from '../face-eval/roc-plot.js';
import { ratesAt } from '../face-eval/verification-metrics.js';
import { DEFAULT_CACHE_DIR } from '../gateway/face/model-files.js';
import { FacePipeline } from '../gateway/face/pipeline.js';
import { loadThresholds } from '../gateway/face/thresholds.js';

const HELP = `gate06 face <command> [options]

Commands:
  eval --dataset DIR [--dataset DIR2 ...] [--groups FILE] [--plot FILE.svg] [--models DIR]
       [--thresholds FILE] [--details FILE]
      Runs the face pipeline on every image of DIR/index.json (identity -> image files; several
      datasets are pooled, an identity named in two is one person), compares all pairs and prints
      one JSON line:
      { images, identities, failedDetections, genuinePairs, impostorPairs, eer,
        fnmrAtFmr1e2, fnmrAtFmr1e3, thresholdAtFmr1e3, msPerImageMedian, ... }
      plus "published": FMR and FNMR at the thresholds in models/thresholds.json.
      --groups FILE (JSON object identity -> group name) adds "groups": per group, FMR over the
      impostor pairs within the group and FNMR over its genuine pairs at the published thresholds
      (with the FMR's 95 % upper bound), and the thresholds that give FMR 1e-3 / 1e-4 in that
      group; identities the file does not name are reported as "(ungrouped)".
      --plot writes the ROC curve as SVG. --details writes per-image outcomes (no pixels).
  bench [--models DIR] [--image FILE] [--iterations N] [--out FILE]
      Per-stage and total median ms per face, 1:N search time over 1k and 10k templates,
      and RSS with the models loaded. Prints one JSON line.

Models are the ones \`npm ci\` installed (models/cache, checked against models/manifest.json).
`;

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  if (command === 'eval') return evalCommand(rest);
  if (command === 'bench') {
    const { benchCommand } = await import('../bench/face.js');
    return benchCommand(rest, HELP);
  }
  process.stderr.write(`face: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

const EVAL_OPTIONS = {
  dataset: { type: 'string', multiple: true },
  groups: { type: 'string' },
  plot: { type: 'string' },
  models: { type: 'string' },
  thresholds: { type: 'string' },
  details: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function evalCommand(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof EVAL_OPTIONS; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: EVAL_OPTIONS, strict: true }));
  } catch (err) {
    process.stderr.write(`face eval: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.dataset?.length) {
    process.stderr.write('face eval: --dataset DIR is required\n');
    return 2;
  }
  const images: DatasetImage[] = [];
  for (const dir of values.dataset) {
    const loaded = await loadDataset(resolve(dir));
    if (!loaded.ok) {
      process.stderr.write(`face eval: ${loaded.detail}\n`);
      return 1;
    }
    images.push(...loaded.value.images);
  }
  const identities = new Set(images.map((i) => i.identity)).size;
  let groupOf: GroupOf | undefined;
  if (values.groups) {
    const groups = await loadGroups(resolve(values.groups));
    if (!groups.ok) {
      process.stderr.write(`face eval: ${groups.detail}\n`);
      return 1;
    }
    groupOf = groups.value;
  }
  let pipeline: FacePipeline;
  try {
    // Evaluation and the bench match photos: no liveness burst, so not the dense mesh either.
    pipeline = await FacePipeline.load({ modelsDir: resolve(values.models ?? DEFAULT_CACHE_DIR), landmarks: 'ibug68' });
  } catch (err) {
    process.stderr.write(`face eval: ${(err as Error).message}\n`);
    return 1;
  }
  const outcomes = await analyseDataset(pipeline, images, (done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const { summary, genuineDesc, impostorDesc } = summarise(outcomes, identities);

  const report: Record<string, unknown> = { ...summary };
  try {
    const published = await loadThresholds(values.thresholds ? resolve(values.thresholds) : undefined);
    report.published = Object.fromEntries(
      Object.entries(published).map(([fmr, t]) => {
        const r = ratesAt({ genuineDesc, impostorDesc }, t);
        return [fmr, { threshold: t, fmr: Number(r.fmr.toFixed(6)), fnmr: Number(r.fnmr.toFixed(4)) }];
      }),
    );
    if (groupOf) {
      const at = Object.fromEntries(Object.entries(published).map(([fmr, t]) => [`published ${fmr}`, t]));
      report.groups = splitByGroup(outcomes, groupOf).map(([group, part]) => measureGroup(group, part, at));
    }
  } catch (err) {
    report.published = { error: (err as Error).message };
  }
  for (const o of outcomes.filter((x) => x.failure)) process.stderr.write(`failed: ${o.file}: ${o.failure}\n`);
  if (values.plot) {
    const svg = rocSvg(
      rocCurve(genuineDesc, impostorDesc),
      `ROC ${values.dataset.join(' + ')}: ${summary.genuinePairs} genuine, ${summary.impostorPairs} impostor pairs`,
      [
        { fmr: 1e-2, label: 'FMR 1e-2' },
        { fmr: 1e-3, label: 'FMR 1e-3' },
      ],
    );
    await writeFile(values.plot, svg);
  }
  if (values.details) {
    const rows = outcomes.map(({ identity, file, failure, retake, ms }) => ({
      identity,
      file,
      failure,
      retake,
      ms: Number(ms.toFixed(1)),
    }));
    await writeFile(values.details, `${JSON.stringify(rows, null, 1)}\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await pipeline.release();
  return 0;
}
