/**
 * The foundation benchmark: every model on Amazon Beauty (leave-one-out, full ranking), several
 * seeds, next to the published anchors, with seconds per epoch, evaluation time and peak RSS.
 * Writes bench/results/beauty-<model>.json, one file per model so models can be run separately.
 *   BENCH_MODELS=pop,itemknn,gru4rec,sasrec-bce,sasrec-ce  BENCH_SEEDS=3  BENCH_EPOCHS=<max>  BENCH_PATIENCE=<n>  BENCH_EVAL_EVERY=<n>
 */
import { resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { writeJsonAtomic, stderrProgress } from '../src/core/index.ts';
import { evaluateOnSplit, BEAUTY_ANCHORS, BENCHMARK_MODELS } from '../src/experiment/index.ts';
import { leaveOneOutSplit, loadDataset } from '../src/data/index.ts';
import { fullRankingRanks } from '../src/eval/index.ts';
import { createRecommender } from '../src/models/index.ts';

const data = resolve(process.cwd(), '../shared/data/beauty/Beauty.txt');
if (!existsSync(data)) {
  console.error(`bench/beauty: ${data} not found (it lives in ../shared/data beside the project)`);
  process.exit(2);
}
const models = (process.env.BENCH_MODELS ?? 'pop,itemknn,gru4rec,sasrec-bce,sasrec-ce').split(',');
const seeds = Number(process.env.BENCH_SEEDS ?? 3);
const epochs = process.env.BENCH_EPOCHS ? Number(process.env.BENCH_EPOCHS) : undefined;
const patience = process.env.BENCH_PATIENCE ? Number(process.env.BENCH_PATIENCE) : undefined;
const evalEvery = process.env.BENCH_EVAL_EVERY ? Number(process.env.BENCH_EVAL_EVERY) : undefined;

// Read and split once; every model runs on the same prepared data.
const { dataset, report } = await loadDataset(data, 'seqtxt');
const split = leaveOneOutSplit(dataset);

for (const name of models) {
  const base = BENCHMARK_MODELS[name];
  if (!base) throw new Error(`unknown model ${name}`);
  const spec = evalEvery !== undefined ? { ...base, trainer: { ...base.trainer, evalEvery } } : base;
  const out = join('runs', 'bench-beauty', name);
  const result = await evaluateOnSplit({ dataset, report, split }, {
    data,
    format: 'seqtxt',
    model: spec,
    seeds: Array.from({ length: seeds }, (_, i) => i),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(patience !== undefined ? { patience } : {}),
    out,
    progress: stderrProgress,
  });
  // Full-ranking evaluation time on its own: all test users × all items with a fitted model.
  const model = createRecommender(spec);
  model.load(join(out, 'model-seed0'));
  const te = performance.now();
  fullRankingRanks(model, split.test, dataset.numItems);
  const evalSeconds = (performance.now() - te) / 1000;
  const anchor = BEAUTY_ANCHORS[name];
  const vsAnchor = anchor ? Object.fromEntries((['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20'] as const).map((k) => [k, { ours: result.test[k], published: anchor[k], relative: Math.round((result.test[k]! / anchor[k] - 1) * 1e4) / 1e4 }])) : null;
  writeJsonAtomic(join('bench', 'results', `beauty-${name}.json`), {
    benchmark: 'beauty',
    model: name,
    spec,
    seeds,
    maxEpochs: epochs ?? 'trainer default (200) with early stopping',
    patience: patience ?? 'trainer default (40)',
    threads: result.backend.threads,
    test: result.test,
    testStd: result.testStd,
    valid: result.valid,
    vsPublished: vsAnchor,
    anchorSource: anchor?.source ?? null,
    perSeed: result.seeds,
    fullRankingEvalSeconds: { users: split.test.length, items: dataset.numItems, seconds: Math.round(evalSeconds * 1000) / 1000 },
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    dataset: result.dataset,
    backend: result.backend,
    machine: { ...result.machine, cpu: cpus()[0]?.model },
  });
  console.error(`bench/beauty ${name}: test ${JSON.stringify(result.test)}`);
}
