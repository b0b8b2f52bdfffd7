/**
 * Search rankers on Home Depot (benchmark, not a test): BM25 vs LambdaMART vs pointwise GBDT vs
 * the neural ranker on a query-disjoint split (80/10/10 of the normalised queries, seeded), over
 * several seeds (seed s = split seed and model seed). NDCG@5/10 and MRR on the informative test
 * queries (≥ 2 distinct labels), RMSE over all test pairs for label-predicting rankers and for
 * the training mean; the paired t-test per query of LambdaMART against each other ranker; an
 * in-distribution row (pairs split at random within queries, as in the Kaggle setting) to place
 * the RMSE next to the competition's ≈ 0.432 (different protocol: it had descriptions and
 * attributes, which this copy lacks); LambdaMART fit time, scoring throughput, peak RSS.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/search-rankers.ts [--seeds 3] [--rankers bm25,lambdamart,gbdt-regression,neural]
 *     [--in-distribution-seeds 3] [--out bench/results/search-rankers-homedepot.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { groupQueries, inDistributionSplit, querySplit, readHomeDepot } from '../src/data/index.ts';
import type { LabelScale, Product, QueryGroup } from '../src/data/search/types.ts';
import { defaultSearchMetrics, evaluateSearch, informativeGroups, searchRmse } from '../src/eval/search.ts';
import { createRanker, type GbdtRanker, type NeuralRanker, type SearchRanker } from '../src/models/search/index.ts';
import { meanStd, pairedTTest } from '../src/stats/index.ts';
import { arg } from './args.ts';

const SEEDS = Number(arg('seeds', '3'));
const IN_DIST_SEEDS = Number(arg('in-distribution-seeds', String(SEEDS)));
const RANKERS = arg('rankers', 'bm25,lambdamart,gbdt-regression,neural').split(',');
const OUT = arg('out', 'bench/results/search-rankers-homedepot.json');
const DATA = arg('data', '../shared/data/homedepot-search/train.csv');


const RANKER_CONFIG: Record<string, Record<string, unknown>> = {};

function scoreAll(ranker: SearchRanker, groups: readonly QueryGroup[], products: ReadonlyMap<string, Product>): { scores: Float64Array[]; seconds: number } {
  const t0 = performance.now();
  const scores = groups.map((g) => ranker.score({ query: g.query, productIds: g.productIds }, products));
  return { scores, seconds: (performance.now() - t0) / 1000 };
}

function trainMeanRmse(train: readonly QueryGroup[], test: readonly QueryGroup[], scale: LabelScale): number {
  let s = 0;
  let n = 0;
  for (const g of train) for (const l of g.labels) (s += l), n++;
  const mean = s / n;
  return evaluateSearch(test, test.map((g) => new Float64Array(g.labels.length).fill(mean)), scale, [searchRmse], true).means.RMSE!;
}

const round = (x: number, d = 4): number => Number(x.toFixed(d));
const summary = (xs: number[]) => {
  const { mean, std } = meanStd(xs);
  return { mean: round(mean), std: round(std), perSeed: xs.map((x) => round(x)) };
};

interface RankerRun {
  readonly means: Record<string, number>;
  readonly perQuery: Record<string, Float64Array>;
  readonly fitSeconds: number;
  readonly scoreSeconds: number;
  readonly pairs: number;
  readonly extra: Record<string, unknown>;
}

async function runRanker(name: string, split: { readonly train: readonly QueryGroup[]; readonly valid: readonly QueryGroup[]; readonly test: readonly QueryGroup[] }, products: ReadonlyMap<string, Product>, scale: LabelScale, seed: number): Promise<RankerRun> {
  const ranker = createRanker(name, RANKER_CONFIG[name] ?? {});
  const t0 = performance.now();
  await ranker.fit({ train: split.train, valid: split.valid, products, labelScale: scale, seed });
  const fitSeconds = (performance.now() - t0) / 1000;
  const informative = informativeGroups(split.test);
  const { scores, seconds } = scoreAll(ranker, informative, products);
  const ev = evaluateSearch(informative, scores, scale, defaultSearchMetrics(false));
  const means: Record<string, number> = { ...ev.means };
  const perQuery = { ...ev.perQuery };
  if (ranker.predictsLabels) {
    const all = scoreAll(ranker, split.test, products);
    means.RMSE = evaluateSearch(split.test, all.scores, scale, [searchRmse], true).means.RMSE!;
  }
  const extra: Record<string, unknown> = {};
  if (name === 'lambdamart' || name === 'gbdt-regression') {
    const r = (ranker as GbdtRanker).report!;
    extra.trees = r.bestRounds;
    extra.roundsRun = r.rounds;
    extra.featureSeconds = round(r.featureSeconds, 2);
    extra.validScore = r.validScore === null ? null : round(r.validScore);
    extra.validMetric = r.validMetric;
    extra.featureGainShare = Object.fromEntries(
      Object.entries(r.featureGain)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([k, v]) => [k, round(v / Object.values(r.featureGain).reduce((s, x) => s + x, 0), 3)]),
    );
  }
  if (name === 'neural') {
    const r = (ranker as NeuralRanker).report!;
    extra.epochs = r.epochs;
    extra.bestEpoch = r.bestEpoch;
    extra.validNdcg10 = r.validNdcg10 === null ? null : round(r.validNdcg10);
  }
  console.error(`  ${name.padEnd(16)} NDCG@10 ${means['NDCG@10']!.toFixed(4)} MRR ${means.MRR!.toFixed(4)}${means.RMSE !== undefined ? ` RMSE ${means.RMSE.toFixed(4)}` : ''}  fit ${fitSeconds.toFixed(1)} s  ${JSON.stringify(extra).slice(0, 200)}`);
  return { means, perQuery, fitSeconds, scoreSeconds: seconds, pairs: informative.reduce((s, g) => s + g.productIds.length, 0), extra };
}

const tStart = performance.now();
const dataset = await readHomeDepot(DATA);
const data = { products: dataset.products, scale: dataset.labelScale };
const groups = groupQueries(dataset.judgements);
console.error(`homedepot: ${dataset.report.rowsIn} rows in = ${dataset.report.rowsKept} kept + ${dataset.report.rowsRejected} rejected; ${groups.length} queries, ${data.products.size} products`);

const perRanker: Record<string, RankerRun[]> = Object.fromEntries(RANKERS.map((r) => [r, []]));
const meanRmse: number[] = [];
const splitSizes: { train: number; valid: number; test: number; testInformative: number }[] = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const split = querySplit(dataset, { seed });
  splitSizes.push({ train: split.train.length, valid: split.valid.length, test: split.test.length, testInformative: informativeGroups(split.test).length });
  console.error(`seed ${seed}: ${split.train.length}/${split.valid.length}/${split.test.length} queries`);
  meanRmse.push(trainMeanRmse(split.train, split.test, data.scale));
  for (const name of RANKERS) perRanker[name]!.push(await runRanker(name, split, data.products, data.scale, seed));
}

const metricNames = ['NDCG@5', 'NDCG@10', 'MRR', 'RMSE'];
const table = Object.fromEntries(
  RANKERS.map((name) => {
    const runs = perRanker[name]!;
    const row: Record<string, unknown> = {};
    for (const m of metricNames) if (runs[0]!.means[m] !== undefined) row[m] = summary(runs.map((r) => r.means[m]!));
    row.fitSeconds = summary(runs.map((r) => r.fitSeconds));
    row.extra = runs.map((r) => r.extra);
    return [name, row];
  }),
);

/** Paired t-test per query of LambdaMART against each other ranker, per seed and per metric. */
const paired: Record<string, unknown> = {};
if (perRanker.lambdamart) {
  for (const other of RANKERS.filter((r) => r !== 'lambdamart')) {
    paired[`lambdamart vs ${other}`] = Object.fromEntries(
      ['NDCG@10', 'MRR'].map((m) => [
        m,
        perRanker.lambdamart!.map((lm, s) => {
          const t = pairedTTest(perRanker[other]![s]!.perQuery[m]!, lm.perQuery[m]!);
          return { seed: s + 1, queries: t.n, meanDiff: round(t.meanDiff), ci95: t.ci95.map((x) => round(x)), t: round(t.t, 2), pValue: t.pValue < 1e-300 ? 0 : Number(t.pValue.toPrecision(3)) };
        }),
      ]),
    );
  }
}

let speed: Record<string, unknown> | null = null;
if (perRanker.lambdamart) {
  const runs = perRanker.lambdamart;
  speed = {
    lambdamartFitSeconds: summary(runs.map((r) => r.fitSeconds)),
    lambdamartFeatureSeconds: summary(runs.map((r) => r.extra.featureSeconds as number)),
    lambdamartScoringPairsPerSecond: Math.round(runs.reduce((s, r) => s + r.pairs, 0) / runs.reduce((s, r) => s + r.scoreSeconds, 0)),
    note: 'fit = feature fitting (BM25 statistics, word embeddings) + feature extraction for train and validation + boosting with early stopping; scoring = features + trees, one query at a time, on the informative test queries',
  };
}

// In-distribution row: pairs split at random within queries (queries shared between train and test).
const inDistribution: Record<string, unknown> = {};
if (IN_DIST_SEEDS > 0) {
  // RMSE is what places the ranker next to the Kaggle anchor, so the label-predicting ranker runs
  // here (NDCG on this split is not comparable: each test query keeps only ~10 % of its products).
  const runs: Record<string, RankerRun[]> = { 'gbdt-regression': [] };
  const meanRef: number[] = [];
  for (let seed = 1; seed <= IN_DIST_SEEDS; seed++) {
    const split = inDistributionSplit(dataset, { seed });
    console.error(`in-distribution seed ${seed}: ${split.train.length}/${split.valid.length}/${split.test.length} query groups`);
    meanRef.push(trainMeanRmse(split.train, split.test, data.scale));
    for (const name of Object.keys(runs)) if (RANKERS.includes(name)) runs[name]!.push(await runRanker(name, split, data.products, data.scale, seed));
  }
  inDistribution.protocol = 'inDistributionSplit (src/data/search): the pairs of each query spread over train/valid/test (80/10/10, stratified per query, seeded); test queries are also training queries; titles only';
  inDistribution.trainMeanRmse = summary(meanRef);
  for (const [name, rs] of Object.entries(runs)) {
    if (rs.length === 0) continue;
    const row: Record<string, unknown> = {};
    for (const m of metricNames) if (rs[0]!.means[m] !== undefined) row[m] = summary(rs.map((r) => r.means[m]!));
    inDistribution[name] = row;
  }
  inDistribution.kaggleAnchor = { rmse: 0.432, note: 'winning private leaderboard RMSE of the 2016 competition: its own test split, with product descriptions and attributes we do not have; for orientation only' };
}

const result = {
  bench: 'search-rankers-homedepot',
  command: `SAMPLIFY_THREADS=${process.env.SAMPLIFY_THREADS ?? ''} node --import tsx bench/search-rankers.ts ${process.argv.slice(2).join(' ')}`.replace(/\s+$/, ''),
  data: { file: 'homedepot-search/train.csv', rowsIn: dataset.report.rowsIn, rowsKept: dataset.report.rowsKept, rejectedByCode: dataset.report.rejectedByCode, pairs: dataset.judgements.length, queries: groups.length, products: data.products.size, labelScale: data.scale, reader: 'readHomeDepot (src/data/search)' },
  protocol: {
    split: 'querySplit (src/data/search): query-disjoint 80/10/10 of the normalised queries (normalizeQuery), seeded; seed s = split seed = model seed',
    seeds: SEEDS,
    metrics: 'NDCG@5/10 (gain 2^(label−1)−1, pessimistic ties) and MRR (first product with label ≥ 2.5) on informative test queries (≥ 2 distinct labels); RMSE over all test pairs',
    splitSizes,
  },
  rankers: table,
  trainMeanRmse: summary(meanRmse),
  pairedTests: paired,
  speed,
  inDistribution,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  totalSeconds: round((performance.now() - tStart) / 1000, 1),
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
