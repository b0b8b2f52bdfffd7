/**
 * Sampling-side study of a fitted CTGAN/TVAE model (saved by `bench/synth-report.ts --save-models DIR`):
 * the same model sampled under config overrides that only act at sampling, scored as synth-report
 * scores it (column shapes per column, pair trends, TSTR AUC), without refitting.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/ctgan-sample-study.ts --table anchor9 --model DIR/ctgan-seed2.json \
 *     --seed 2 [--variant 'label={"sampleConditions":"log-frequency"}' …] [--out bench/results/….json]
 *
 * The row "as fitted" samples with the saved config, so it reproduces synth-report's numbers for
 * that seed. A variant's JSON is merged into the saved config (bench/saved-model.ts); its key
 * "sample", if any, holds sample options instead (e.g. {"sample":{"rareCategoryShare":0}}).
 */
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { MOVIELENS_LABEL } from '../src/data/index.ts';
import { qualityReport, utilityReport } from '../src/eval/index.ts';
import type { SampleOptions } from '../src/synth/index.ts';
import { loadSavedSynthesizer } from './saved-model.ts';
import { loadMl100kSynthSplit } from './ml100k-synth-split.ts';
import { loadMl100kAnchor9Split } from './ml100k-anchor9.ts';
import { arg, threadsPrefix } from './args.ts';

const tableName = arg('table', 'anchor9');
const modelPath = arg('model', '');
const seed = Number(arg('seed', '0'));
const out = arg('out', '');
if (modelPath === '') {
  console.error('bench/ctgan-sample-study: --model FILE (saved by synth-report --save-models) is required');
  process.exit(2);
}
const variants: [string, Record<string, unknown>][] = [['as fitted', {}]];
process.argv.forEach((a, i) => {
  if (a !== '--variant') return;
  const m = /^([\w. -]+)=(\{.*\})$/s.exec(process.argv[i + 1] ?? '');
  if (!m) {
    console.error(`bench/ctgan-sample-study: --variant must be label={json config}, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  variants.push([m[1]!, JSON.parse(m[2]!) as Record<string, unknown>]);
});

const { train, holdout, metadata } = tableName === 'anchor9' ? await loadMl100kAnchor9Split('bench/ctgan-sample-study', 100000) : await loadMl100kSynthSplit('bench/ctgan-sample-study', 20000);
const results = [];
for (const [label, variant] of variants) {
  const { sample: sampleOptions, ...overrides } = variant as { sample?: SampleOptions };
  const synth = loadSavedSynthesizer(modelPath, train, metadata, overrides);
  const sample = synth.sample(train.rowCount, { ...sampleOptions, seed });
  const q = qualityReport(train, sample.table, metadata, { seed });
  const u = utilityReport(train, sample.table, holdout, metadata, { seed, target: MOVIELENS_LABEL, positive: true });
  // The selection signal: TSTR on the real train rows reads no holdout (bench/ctgan-epoch-study.ts).
  const onTrain = utilityReport(train, sample.table, train, metadata, { seed, target: MOVIELENS_LABEL, positive: true });
  const shapes = Object.fromEntries(q.columnShapes.columns.map((c) => [c.column, c.score?.value ?? null]));
  const r = {
    label,
    overrides: variant,
    sampleReport: sample.report,
    columnShapes: q.columnShapes.score.value,
    pairTrends: q.columnPairs.score?.value ?? null,
    tstrAuc: u.trainOnSynthetic,
    tstrOnTrainAuc: onTrain.trainOnSynthetic,
    shapes,
    rareCategories: q.rareCategories.categories.map((c) => ({ category: `${c.column}=${c.value}`, realShare: c.realShare, syntheticShare: c.syntheticShare })),
  };
  results.push(r);
  stderrProgress.line(`${label}: shapes ${r.columnShapes.toFixed(4)}, pairs ${r.pairTrends?.toFixed(4)}, TSTR ${r.tstrAuc.toFixed(4)} (on train ${r.tstrOnTrainAuc.toFixed(4)}); ${Object.entries(shapes).map(([c, v]) => `${c} ${v?.toFixed(3)}`).join(', ')}`);
}
if (out !== '') {
  writeJsonAtomic(out, {
    benchmark: 'ctgan-sample-study',
    command: `${threadsPrefix()}node --import tsx bench/ctgan-sample-study.ts --table ${tableName} --model ${modelPath} --seed ${seed}${variants.slice(1).map(([l, v]) => ` --variant '${l}=${JSON.stringify(v)}'`).join('')} --out ${out}`,
    results,
    date: new Date().toISOString(),
  });
}
