import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelToken, ConfigError, silentProgress, writeJsonAtomic, type ProgressReporter } from '../core/index.ts';
import type { ModelSpec } from '../models/index.ts';
import { runEvaluation, type EvaluateResult } from './evaluate.ts';

/** Published full-ranking numbers on the exact S3-Rec/CoSeRec Beauty.txt (docs/results/recommendation-models.md). */
export const BEAUTY_ANCHORS: Record<string, { 'HR@10': number; 'NDCG@10': number; 'HR@20': number; 'NDCG@20': number; source: string }> = {
  pop: { 'HR@10': 0.0135, 'NDCG@10': 0.0061, 'HR@20': 0.0217, 'NDCG@20': 0.0081, source: 'popularity measured on this file (shared/data/beauty/README.md)' },
  gru4rec: { 'HR@10': 0.0283, 'NDCG@10': 0.0137, 'HR@20': 0.0479, 'NDCG@20': 0.0187, source: 'S3-Rec paper, full ranking' },
  'sasrec-bce': { 'HR@10': 0.0605, 'NDCG@10': 0.0318, 'HR@20': 0.0902, 'NDCG@20': 0.0394, source: 'S3-Rec paper, full ranking' },
  'sasrec-ce': { 'HR@10': 0.083, 'NDCG@10': 0.0415, 'HR@20': 0.1191, 'NDCG@20': 0.0506, source: 'RecBole run reported in a DuoRec issue thread' },
};

/** The benchmark's model line-up; hyper-parameters are the CoSeRec family's (docs/guide/models.md). */
export const BENCHMARK_MODELS: Record<string, ModelSpec> = {
  pop: { model: 'pop' },
  itemknn: { model: 'itemknn' },
  gru4rec: { model: 'gru4rec', config: { loss: 'ce' } },
  'sasrec-bce': { model: 'sasrec', config: { loss: 'bce' } },
  'sasrec-ce': { model: 'sasrec', config: { loss: 'ce' } },
};

/** `--quick`: ~2 minutes on 2 idle cores. SASRec-BCE epochs are cheap (packed); GRU4Rec's are not (~20 s each), so it is left to the full benchmark. */
export const QUICK_EPOCHS: Record<string, number> = { pop: 0, itemknn: 0, 'sasrec-bce': 15 };

export interface BenchmarkOptions {
  quick?: boolean;
  data?: string;
  models?: string;
  seeds?: number;
  epochs?: number;
  out: string;
  progress?: ProgressReporter;
  cancel?: CancelToken;
  /** Print the summary as one JSON object instead of the table. */
  json?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '..', '..');

/** ../shared/data/beauty/Beauty.txt beside the project when present, else the shipped sample. */
export function defaultBeautyPath(): { path: string; sample: boolean } {
  const candidates = [resolve(process.cwd(), '../shared/data/beauty/Beauty.txt'), resolve(packageRoot, '../shared/data/beauty/Beauty.txt')];
  for (const c of candidates) if (existsSync(c)) return { path: c, sample: false };
  return { path: join(packageRoot, 'data', 'sample', 'beauty-sample.txt'), sample: true };
}

export async function runBenchmark(o: BenchmarkOptions): Promise<Record<string, EvaluateResult>> {
  const progress = o.progress ?? silentProgress;
  const data = o.data ? { path: o.data, sample: false } : defaultBeautyPath();
  if (data.sample) progress.line(`../shared/data/beauty not found: using the shipped sample ${data.path} (numbers are not comparable to the published ones)`);
  const names = (o.models ?? (o.quick ? Object.keys(QUICK_EPOCHS).join(',') : Object.keys(BENCHMARK_MODELS).join(','))).split(',').map((s) => s.trim());
  for (const n of names) if (!(n in BENCHMARK_MODELS)) throw new ConfigError(`unknown benchmark model '${n}'; expected one of: ${Object.keys(BENCHMARK_MODELS).join(', ')}`, { field: 'models' });
  const seeds = o.seeds ?? (o.quick ? 1 : 3);
  const epochsFor = (name: string): number | undefined => o.epochs ?? (o.quick ? QUICK_EPOCHS[name] ?? 5 : undefined);
  const results: Record<string, EvaluateResult> = {};
  for (const name of names) {
    progress.line(`── ${name} ──`);
    results[name] = await runEvaluation({
      data: data.path,
      format: 'seqtxt',
      model: BENCHMARK_MODELS[name]!,
      seeds: Array.from({ length: seeds }, (_, i) => i),
      ...(epochsFor(name) !== undefined ? { epochs: epochsFor(name)! } : {}),
      out: join(o.out, name),
      progress,
      ...(o.cancel ? { cancel: o.cancel } : {}),
    });
  }
  const summary = {
    data: data.path.endsWith('beauty-sample.txt') ? 'shipped sample' : 'Beauty.txt',
    quick: Boolean(o.quick),
    seeds,
    epochs: Object.fromEntries(names.map((n) => [n, epochsFor(n) ?? 'until early stopping'])),
    anchors: BEAUTY_ANCHORS,
    results: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { test: r.test, testStd: r.testStd, valid: r.valid, seeds: r.seeds }])),
  };
  writeJsonAtomic(join(o.out, 'summary.json'), summary);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return results;
  }
  process.stdout.write(benchmarkTable(results, data.sample) + '\n');
  if (o.quick) process.stdout.write(`quick run: ${seeds} seed, ${names.map((n) => `${n} ${epochsFor(n) || '-'} epochs`).join(', ')}; neural models are far from converged. The full benchmark: npm run bench -- beauty\n`);
  process.stdout.write(`written: ${join(o.out, 'summary.json')}\n`);
  return results;
}

export function benchmarkTable(results: Record<string, EvaluateResult>, sample: boolean): string {
  const cols = ['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20'] as const;
  const lines = [`${'model'.padEnd(12)} ${cols.map((c) => c.padStart(16)).join(' ')}   published (HR@10 / NDCG@20)`];
  for (const [name, r] of Object.entries(results)) {
    const cells = cols.map((c) => `${r.test[c]!.toFixed(4)}±${r.testStd[c]!.toFixed(4)}`.padStart(16));
    const a = BEAUTY_ANCHORS[name];
    lines.push(`${name.padEnd(12)} ${cells.join(' ')}   ${a && !sample ? `${a['HR@10']} / ${a['NDCG@20']}` : '-'}`);
  }
  return lines.join('\n');
}
