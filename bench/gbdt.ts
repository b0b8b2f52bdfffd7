/**
 * Gradient-boosted trees benchmark (not a test): fit time, prediction throughput and peak RSS of
 * src/stats/gbdt.ts on a seeded synthetic binary task (32,000 rows × 30 features, 100 trees,
 * default parameters; the label depends on feature interactions and 2 % of the cells are missing).
 * One core (no threads are used).
 *
 *   node --import tsx bench/gbdt.ts [--rows 32000] [--features 30] [--trees 100] [--out bench/results/gbdt.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng } from '../src/core/rng.ts';
import { fitGbdt, predictGbdt, rocAuc } from '../src/stats/index.ts';
import { arg } from './args.ts';

const N = Number(arg('rows', '32000'));
const D = Number(arg('features', '30'));
const TREES = Number(arg('trees', '100'));
const OUT = arg('out', 'bench/results/gbdt.json');

function task(n: number, seed: number): { X: Float64Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const X = new Float64Array(n * D);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < D; f++) X[i * D + f] = f % 3 === 0 ? rng.int(12) : rng.normal();
    const logit = 1.5 * Math.sign(X[i * D + 1]! * X[i * D + 2]!) + (X[i * D + 3]! % 4 === 0 ? 1 : -0.5) + 0.5 * X[i * D + 4]! ** 2 - 0.5;
    y[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    for (let f = 0; f < D; f++) if (rng.next() < 0.02) X[i * D + f] = NaN;
  }
  return { X, y };
}

const train = task(N, 1);
const test = task(8000, 2);
const t0 = performance.now();
const model = fitGbdt(train.X, N, D, { labels: train.y }, { numTrees: TREES, seed: 0 });
const fitSeconds = (performance.now() - t0) / 1000;
const t1 = performance.now();
const scores = predictGbdt(model, test.X, 8000);
const predictSeconds = (performance.now() - t1) / 1000;
const result = {
  bench: 'gbdt',
  rows: N,
  features: D,
  trees: TREES,
  params: model.params,
  fitSeconds: Number(fitSeconds.toFixed(3)),
  predictRowsPerSecond: Math.round(8000 / predictSeconds),
  testAuc: Number(rocAuc(scores, test.y).toFixed(4)),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  node: process.version,
  note: 'one core; fit includes binning; predict on 8,000 held-out rows of the same task',
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
