/**
 * Table synthesizers at 10 k, 100 k and 1 M rows: fit and sample time, peak memory, and the
 * fidelity the fit reached (writes bench/results/synth-scaling.json).
 *
 *   SAMPLIFY_THREADS=1 nice node --import tsx bench/synth-scaling.ts [--sizes 10000,100000,1000000]
 *     [--models gaussian-copula,tvae,ctgan] [--epochs tvae:30,ctgan:10] [--epochs-at tvae@1000000:1,ctgan@1000000:1]
 *     [--out bench/results/synth-scaling.json]
 *
 * The table: ten columns of the ml-100k CTR table (ratings ⨝ users ⨝ items: user and item ids,
 * age, gender, occupation, zip region, release year, hour, weekday, label), resampled with
 * replacement (seeded) to each size. Every (model, size) runs in its own child process, so its
 * peak resident memory (getrusage maxRSS) is that run's alone — loading the table included.
 * Fidelity is the quality report (column shapes, pair trends, detection AUC) of 20,000 sampled
 * rows against 20,000 rows of the table that was fitted.
 *
 * Neural fits at 1 M rows run a single epoch by default: the row reports its seconds per epoch
 * and memory, and its fidelity is that of one epoch, stated as such in the JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { loadMovieLensCtr, selectRows, type Table, type TableMetadata } from '../src/data/index.ts';
import { qualityReport } from '../src/eval/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { createSynthesizer } from '../src/synth/index.ts';
import { arg } from './args.ts';

const COLUMNS = ['user_id', 'item_id', 'age', 'gender', 'occupation', 'zip_region', 'release_year', 'hour', 'weekday', 'label'];
const FIDELITY_ROWS = 20_000;

interface ChildJob {
  readonly model: string;
  readonly rows: number;
  readonly epochs: number | null;
}

interface ChildResult extends ChildJob {
  readonly columns: number;
  readonly loadSeconds: number;
  readonly fitSeconds: number;
  /** Seconds per epoch (neural models), from the fit's own progress lines. */
  readonly epochSeconds: number[] | null;
  readonly sample10kSeconds: number;
  readonly peakRssMiB: number;
  readonly fidelity: number;
  readonly columnShapes: number;
  readonly pairTrends: number | null;
  readonly detectionAuc: number | null;
}

async function scaledTable(rows: number): Promise<{ table: Table; metadata: TableMetadata }> {
  const ml = await loadMovieLensCtr(resolve(process.cwd(), '../shared/data/ml-100k'));
  const base: Table = { columns: COLUMNS, rowCount: ml.table.rowCount, data: Object.fromEntries(COLUMNS.map((c) => [c, ml.table.data[c]!])) };
  const metadata: TableMetadata = { columns: Object.fromEntries(COLUMNS.map((c) => [c, ml.metadata.columns[c]!])) };
  const rng = new Rng(rows).split('synth-scaling-resample');
  const idx = new Int32Array(rows);
  for (let i = 0; i < rows; i++) idx[i] = rng.int(base.rowCount);
  return { table: selectRows(base, idx), metadata };
}

async function child(job: ChildJob): Promise<ChildResult> {
  let t = performance.now();
  const { table, metadata } = await scaledTable(job.rows);
  const loadSeconds = (performance.now() - t) / 1000;
  const synth = createSynthesizer(job.model, {});
  const epochSeconds: number[] = [];
  t = performance.now();
  await synth.fit(table, metadata, {
    seed: 0,
    ...(job.epochs !== null ? { epochs: job.epochs } : {}),
    progress: {
      line: (l) => {
        process.stderr.write(`  ${job.model} ${job.rows}: ${l}\n`);
        const m = / (\d+(?:\.\d+)?) s$/.exec(l);
        if (m && / epoch \d+\//.test(l)) epochSeconds.push(Number(m[1]));
      },
    },
  });
  const fitSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  synth.sample(10_000, { seed: 1 });
  const sample10kSeconds = (performance.now() - t) / 1000;
  const synthetic = synth.sample(FIDELITY_ROWS, { seed: 2 }).table;
  const realIdx = new Int32Array(Math.min(FIDELITY_ROWS, table.rowCount));
  const rr = new Rng(7).split('fidelity-rows');
  for (let i = 0; i < realIdx.length; i++) realIdx[i] = rr.int(table.rowCount);
  const q = qualityReport(selectRows(table, realIdx), synthetic, metadata, { seed: 0 });
  return {
    ...job,
    columns: table.columns.length,
    loadSeconds: +loadSeconds.toFixed(2),
    fitSeconds: +fitSeconds.toFixed(2),
    epochSeconds: epochSeconds.length > 0 ? epochSeconds : null,
    sample10kSeconds: +sample10kSeconds.toFixed(3),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    fidelity: q.overall.value,
    columnShapes: q.columnShapes.score.value,
    pairTrends: q.columnPairs.score?.value ?? null,
    detectionAuc: 'detectionAuc' in q.detection ? q.detection.detectionAuc.linear.value : null,
  };
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  const r = await child(JSON.parse(process.argv[childArg + 1]!) as ChildJob);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

if (!existsSync(resolve(process.cwd(), '../shared/data/ml-100k/ml-100k.inter'))) {
  console.error('bench/synth-scaling: needs ../shared/data/ml-100k beside the project');
  process.exit(2);
}
const sizes = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const models = arg('models', 'gaussian-copula,tvae,ctgan').split(',');
const epochs = new Map(arg('epochs', 'tvae:30,ctgan:10').split(',').map((kv) => [kv.split(':')[0]!, Number(kv.split(':')[1])] as const));
/** model@rows:epochs overrides (1 M-row neural fits: one epoch by default). */
const epochsAt = new Map(arg('epochs-at', 'tvae@1000000:1,ctgan@1000000:1').split(',').map((kv) => [kv.split(':')[0]!, Number(kv.split(':')[1])] as const));
const out = arg('out', 'bench/results/synth-scaling.json');

const results: ChildResult[] = [];
const t0 = performance.now();
for (const model of models) {
  for (const rows of sizes) {
    const job: ChildJob = { model, rows, epochs: epochsAt.get(`${model}@${rows}`) ?? epochs.get(model) ?? null };
    console.error(`== ${model} at ${rows} rows${job.epochs !== null ? `, ${job.epochs} epochs` : ''}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/synth-scaling.ts', '--child', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) {
      console.error(`bench/synth-scaling: ${model} at ${rows} rows failed (exit ${r.status})`);
      process.exit(1);
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
    console.error(`   fit ${res.fitSeconds} s, sample 10k ${res.sample10kSeconds} s, peak ${res.peakRssMiB} MiB, fidelity ${res.fidelity.toFixed(3)}, detection ${res.detectionAuc?.toFixed(3)}`);
    results.push(res);
  }
}

writeJsonAtomic(out, {
  benchmark: 'synth-scaling',
  command: `SAMPLIFY_THREADS=${process.env.SAMPLIFY_THREADS ?? ''} node --import tsx bench/synth-scaling.ts ${process.argv.slice(2).join(' ')}`.trim(),
  data: `../shared/data/ml-100k: ${COLUMNS.length} columns of the CTR table (${COLUMNS.join(', ')}), resampled with replacement to each size`,
  directions: {
    fitSeconds: 'lower is better (preprocessing included)',
    peakRssMiB: "the child process's peak resident memory, table loading included; lower is better",
    fidelity: `higher is better (0..1): mean of column shapes and pair trends, ${FIDELITY_ROWS} synthetic vs ${FIDELITY_ROWS} fitted rows`,
    detectionAuc: '0.5 is best (real and synthetic not separable)',
    epochs: 'neural fits: the epochs run (1 M rows: one epoch unless --epochs-at says otherwise)',
  },
  targets: { copula: '1 M rows × 10 columns fitted in under 60 s', neural: '100 k rows fitted in under 600 s, at the fidelity stated' },
  results,
  backend: backendInfo(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version, loadavg: loadavg() },
  seconds: (performance.now() - t0) / 1000,
  date: new Date().toISOString(),
});
console.error(`wrote ${out}`);
