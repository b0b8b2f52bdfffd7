/**
 * CTR on MovieLens-100K (label rating ≥ 4): logistic regression and DeepFM trained on real, real +
 * synthetic, real + minority-label synthetic and synthetic-only rows; AUC and log-loss on the real
 * temporal test split. Writes bench/results/ctr-ml100k.json (cells of this run replace cells with the
 * same arm/synthesizer/model from earlier runs, so arms can be run separately) and prints the table.
 *
 *   BENCH_SEEDS=3  BENCH_MODELS=logistic,deepfm  BENCH_ARMS=real,real+synth,real+minority,synth-only
 *   BENCH_SYNTHS=gaussian-copula,ctgan,tvae  BENCH_SYNTH_EPOCHS=ctgan:30,tvae:30  BENCH_SYNTH_PARAMS='{"ctgan":{...}}'
 *   BENCH_SPLIT=temporal|user-temporal  BENCH_EPOCHS=<max>  BENCH_PATIENCE=<n>
 *   BENCH_OUT (default bench/results/ctr-ml100k.json, or ctr-ml100k-user-temporal.json for the user-temporal split)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import { CancelToken, stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { loadMovieLensCtr, MOVIELENS_LABEL } from '../src/data/index.ts';
import { formatCtrTable, runCtrExperiment, type CtrCellResult, type CtrSynthRun } from '../src/experiment/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { createSynthesizer } from '../src/synth/index.ts';

const dataDir = '../shared/data/ml-100k';
if (!existsSync(resolve(process.cwd(), dataDir, 'ml-100k.inter'))) {
  console.error(`bench/ctr-ml100k: ${dataDir} not found (it lives in ../shared/data beside the project)`);
  process.exit(2);
}
const list = (v: string | undefined, def: string): string[] => (v ?? def).split(',').map((s) => s.trim()).filter((s) => s !== '');
const seeds = Array.from({ length: Number(process.env.BENCH_SEEDS ?? 3) }, (_, i) => i);
const synthEpochs = Object.fromEntries(list(process.env.BENCH_SYNTH_EPOCHS, '').map((kv) => {
  const [k, v] = kv.split(':');
  return [k!, Number(v)];
}));
const split = (process.env.BENCH_SPLIT ?? 'temporal') as 'temporal' | 'user-temporal';
const config = {
  split,
  seeds,
  models: list(process.env.BENCH_MODELS, 'logistic,deepfm'),
  arms: list(process.env.BENCH_ARMS, 'real,real+synth,real+minority,synth-only'),
  synthesizers: list(process.env.BENCH_SYNTHS, 'gaussian-copula'),
  synthEpochs,
  synthParams: process.env.BENCH_SYNTH_PARAMS ? (JSON.parse(process.env.BENCH_SYNTH_PARAMS) as Record<string, Record<string, unknown>>) : {},
  ...(process.env.BENCH_EPOCHS ? { epochs: Number(process.env.BENCH_EPOCHS) } : {}),
  ...(process.env.BENCH_PATIENCE ? { patience: Number(process.env.BENCH_PATIENCE) } : {}),
};
const out = process.env.BENCH_OUT ?? (split === 'temporal' ? 'bench/results/ctr-ml100k.json' : 'bench/results/ctr-ml100k-user-temporal.json');

const cancel = new CancelToken();
process.once('SIGINT', () => cancel.cancel());
const ml = await loadMovieLensCtr(dataDir);
stderrProgress.line(`ml-100k: ${ml.report.interactions.rowsIn} rows in, ${ml.report.interactions.rowsKept} kept, positive share ${ml.report.positiveShare.toFixed(4)}`);
const result = await runCtrExperiment({ table: ml.table, metadata: ml.metadata, label: MOVIELENS_LABEL, rowIds: ml.rowIds, timestamps: ml.timestamps }, config, {
  createSynthesizer,
  progress: stderrProgress,
  cancel,
});

interface Stored {
  cells: CtrCellResult[];
  synthRuns: CtrSynthRun[];
  runs: unknown[];
}
const key = (c: { arm: string; synthesizer: string | null; model: string }) => `${c.arm}|${c.synthesizer ?? ''}|${c.model}`;
const prev: Stored = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Stored) : { cells: [], synthRuns: [], runs: [] };
const fresh = new Set(result.cells.map(key));
const freshSynth = new Set(result.synthRuns.map((s) => `${s.synthesizer}|${s.seed}`));
const cells = [...prev.cells.filter((c) => !fresh.has(key(c))), ...result.cells];
const order = ['real', 'real+synth', 'real+minority', 'synth-only'];
cells.sort((a, b) => order.indexOf(a.arm) - order.indexOf(b.arm) || (a.synthesizer ?? '').localeCompare(b.synthesizer ?? '') || a.model.localeCompare(b.model));
const merged = {
  benchmark: 'ctr-ml100k',
  data: dataDir,
  rows: { in: ml.report.interactions.rowsIn, kept: ml.report.interactions.rowsKept, rejectedByCode: ml.report.interactions.rejectedByCode, positiveShare: ml.report.positiveShare },
  label: 'rating >= 4',
  split: result.split,
  metrics: result.metrics,
  cells,
  synthRuns: [...prev.synthRuns.filter((s) => !freshSynth.has(`${s.synthesizer}|${s.seed}`)), ...result.synthRuns],
  runs: [...prev.runs, { date: new Date().toISOString(), config: result.config, seconds: result.seconds, backend: backendInfo(), threads: process.env.SAMPLIFY_THREADS ?? null, cpu: cpus()[0]?.model ?? 'unknown' }],
};
writeJsonAtomic(out, merged);
console.log(formatCtrTable({ ...result, cells }));
console.log(`\nwrote ${out} (${result.seconds.toFixed(0)} s)`);
