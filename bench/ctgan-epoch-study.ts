/**
 * How a CTGAN/TVAE fit's fidelity moves with training: one fit on the anchor table's train part,
 * sampled and scored every --every epochs (column shapes per column, pair trends, TSTR AUC on the
 * holdout, and TSTR AUC on the real train rows — the selection signal, which reads no holdout). The fit grows through its per-epoch checkpoint — each cap resumes the previous cap's
 * checkpoint — so the weights at epoch e are exactly those of one uninterrupted e-epoch fit
 * (the training loop's per-epoch RNG streams), and epoch 50 reproduces synth-report's 50-epoch run
 * for the same seed and config.
 *
 *   SAMPLIFY_THREADS=2 node --import tsx bench/ctgan-epoch-study.ts --seed 0 --epochs 50 --every 5 \
 *     [--model ctgan] [--config '{"…":…}'] [--out bench/results/ctgan-epoch-study-ml100k-anchor9-seed0.json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { MOVIELENS_LABEL } from '../src/data/index.ts';
import { qualityReport, utilityReport } from '../src/eval/index.ts';
import { createSynthesizer } from '../src/synth/index.ts';
import { loadMl100kAnchor9Split } from './ml100k-anchor9.ts';
import { arg, threadsPrefix } from './args.ts';

const seed = Number(arg('seed', '0'));
const maxEpochs = Number(arg('epochs', '50'));
const every = Number(arg('every', '5'));
const model = arg('model', 'ctgan');
const config = JSON.parse(arg('config', '{}')) as Record<string, unknown>;
const out = arg('out', '');
/** Where to save the last epoch's model (for bench/ctgan-sample-study.ts); none by default. */
const saveModel = arg('save-model', '');

const { train, holdout, metadata } = await loadMl100kAnchor9Split('bench/ctgan-epoch-study', 100000);
const checkpointDir = mkdtempSync(join(tmpdir(), 'ctgan-epoch-study-'));
const points = [];
let fitSeconds = 0;
try {
  // every, 2·every, …, and the last epoch.
  const caps = Array.from({ length: Math.ceil(maxEpochs / every) }, (_, i) => Math.min((i + 1) * every, maxEpochs));
  for (const cap of caps) {
    const synth = createSynthesizer(model, config);
    const fit = await synth.fit(train, metadata, { seed, epochs: cap, checkpointDir, progress: { line: (l) => stderrProgress.line(`  ${model} seed ${seed}: ${l}`) } });
    fitSeconds += fit.seconds;
    const sample = synth.sample(train.rowCount, { seed });
    const q = qualityReport(train, sample.table, metadata, { seed, detection: false });
    const u = utilityReport(train, sample.table, holdout, metadata, { seed, target: MOVIELENS_LABEL, positive: true });
    // Choosing a configuration by the holdout's TSTR would tune to the test rows; the train rows'
    // TSTR asks the same question (does a classifier fitted on synthetic rows rank real ones?)
    // without reading them.
    const onTrain = utilityReport(train, sample.table, train, metadata, { seed, target: MOVIELENS_LABEL, positive: true });
    if (cap === maxEpochs && saveModel !== '') synth.save(saveModel);
    const last = fit.losses[fit.losses.length - 1];
    const point = {
      epoch: cap,
      columnShapes: q.columnShapes.score.value,
      pairTrends: q.columnPairs.score?.value ?? null,
      associationError: q.columnPairs.associationError?.value ?? null,
      tstrAuc: u.trainOnSynthetic,
      tstrOnTrainAuc: onTrain.trainOnSynthetic,
      shapes: Object.fromEntries(q.columnShapes.columns.map((c) => [c.column, c.score?.value ?? null])),
      losses: last ?? null,
    };
    points.push(point);
    stderrProgress.line(`epoch ${cap}: shapes ${point.columnShapes.toFixed(4)} pairs ${(point.pairTrends ?? NaN).toFixed(4)} TSTR ${point.tstrAuc.toFixed(4)} (on train ${point.tstrOnTrainAuc.toFixed(4)})  ${Object.entries(point.shapes).map(([k, v]) => `${k} ${(v ?? NaN).toFixed(3)}`).join(' ')}`);
  }
} finally {
  rmSync(checkpointDir, { recursive: true, force: true });
}
const result = {
  benchmark: 'ctgan-epoch-study-ml100k-anchor9',
  command: `${threadsPrefix()}node --import tsx bench/ctgan-epoch-study.ts --seed ${seed} --epochs ${maxEpochs} --every ${every} --model ${model}${Object.keys(config).length ? ` --config '${JSON.stringify(config)}'` : ''}${saveModel ? ` --save-model ${saveModel}` : ''}${out ? ` --out ${out}` : ''}`,
  model,
  config,
  seed,
  fitSeconds,
  points,
  machine: { cpus: cpus().length, loadavg: loadavg() },
  date: new Date().toISOString(),
};
if (out) writeJsonAtomic(out, result);
else console.log(JSON.stringify(result, null, 2));
