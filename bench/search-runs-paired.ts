/**
 * Two search lift runs compared per query (benchmark helper, not a test): arm `--arm-a` of run `--a`
 * against arm `--arm-b` of run `--b`, e.g. the K-NRM baseline against the neural ranker's baseline.
 * The runs must share data and split (checked: dataset fingerprint, split config and test size), so
 * their per-query arrays (arms/<arm>/seedN.json) are aligned; each query's metric is averaged over
 * the seeds both runs have, then paired t-test and paired bootstrap CI (src/stats) of b − a.
 *
 *   node --import tsx bench/search-runs-paired.ts --a runs/neural --b runs/knrm [--arm-a baseline] [--arm-b baseline]
 *     [--metric NDCG@10] [--out bench/results/x.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedBootstrapCI, pairedTTest } from '../src/stats/index.ts';
import { arg } from './args.ts';

interface RunSummary {
  readonly name: string;
  readonly config: { readonly ranker: unknown; readonly split: unknown };
  readonly dataset: { readonly fingerprint: string };
  readonly split: { readonly evaluatedTest: number };
  readonly seeds: readonly number[];
}

const A = arg('a', '');
const B = arg('b', '');
const ARM_A = arg('arm-a', 'baseline');
const ARM_B = arg('arm-b', 'baseline');
const METRIC = arg('metric', 'NDCG@10');
const OUT = arg('out', '');
if (!A || !B) throw new Error('usage: --a <run folder> --b <run folder> [--arm-a baseline] [--arm-b baseline] [--metric NDCG@10] [--out file.json]');

const summary = (dir: string): RunSummary => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunSummary;
const a = summary(A);
const b = summary(B);
if (a.dataset.fingerprint !== b.dataset.fingerprint) throw new Error(`the runs read different data (${a.dataset.fingerprint} vs ${b.dataset.fingerprint})`);
if (JSON.stringify(a.config.split) !== JSON.stringify(b.config.split) || a.split.evaluatedTest !== b.split.evaluatedTest) throw new Error('the runs split the data differently');
const seeds = a.seeds.filter((s) => b.seeds.includes(s));

/** Per-query metric of one arm, averaged over `seeds`. */
function perQuery(dir: string, arm: string): Float64Array {
  let sum: Float64Array | null = null;
  for (const seed of seeds) {
    const record = JSON.parse(readFileSync(join(dir, 'arms', arm, `seed${seed}.json`), 'utf8')) as { result: { perQuery: Record<string, number[]> } };
    const values = record.result.perQuery[METRIC];
    if (!values) throw new Error(`${dir}: arm ${arm}, seed ${seed} has no per-query ${METRIC}`);
    sum ??= new Float64Array(values.length);
    if (values.length !== sum.length) throw new Error(`${dir}: arm ${arm} has ${values.length} test queries in seed ${seed}, ${sum.length} before`);
    values.forEach((v, i) => {
      sum![i]! += v;
    });
  }
  if (!sum) throw new Error('the runs share no seed');
  return sum.map((v) => v / seeds.length);
}

const x = perQuery(A, ARM_A);
const y = perQuery(B, ARM_B);
const mean = (v: Float64Array): number => v.reduce((s, t) => s + t, 0) / v.length;
const t = pairedTTest(x, y);
const ci = pairedBootstrapCI(x, y, { resamples: 1000, seed: 0 });
const result = {
  kind: 'search-runs-paired',
  metric: METRIC,
  seeds,
  queries: x.length,
  a: { run: a.name, arm: ARM_A, ranker: a.config.ranker, mean: mean(x) },
  b: { run: b.name, arm: ARM_B, ranker: b.config.ranker, mean: mean(y) },
  diff: t.meanDiff,
  relative: t.meanDiff / mean(x),
  tTest: { t: t.t, df: t.df, pValue: t.pValue },
  bootstrap: { lo: ci.lo, hi: ci.hi, pValue: ci.pValue, resamples: 1000 },
};
console.log(`${METRIC}: ${a.name}/${ARM_A} ${mean(x).toFixed(4)} vs ${b.name}/${ARM_B} ${mean(y).toFixed(4)}: Δ ${t.meanDiff >= 0 ? '+' : ''}${t.meanDiff.toFixed(4)} (${(100 * result.relative).toFixed(2)} %), p ${t.pValue.toPrecision(3)}, 95 % CI [${ci.lo.toFixed(4)}, ${ci.hi.toFixed(4)}], ${x.length} queries × ${seeds.length} seeds`);
if (OUT) writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
