/**
 * How much a ranker gains from more REAL labelled queries: the same query-disjoint Home Depot split
 * as the search experiments (seed 0, 80/10/10; validation and test untouched), the training part cut
 * to n queries exactly as `split.maxTrainQueries` cuts it, for several n and seeds. The gain from
 * 50 real queries to n real queries is the most any expansion of the 50 could be expected to give:
 * augmented or generated queries are at best as informative as real judged ones. Nothing is selected
 * here, so test is read beside validation; each ranker early-stops on validation as in the experiments.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/search-label-curve.ts [--rankers knrm,neural,lambdamart] [--sizes 50,100,200,500,1000,2000,all] [--seeds 3] [--data homedepot|crowdflower] [--out bench/results/search-label-curve-homedepot.json]
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';
import { loadSearchDataset } from '../src/data/search/index.ts';
import { evaluateSearch, informativeGroups, searchNdcgAtK } from '../src/eval/index.ts';
import { searchSplitOf, searchSplitSchema } from '../src/experiment/index.ts';
import { createRanker } from '../src/models/search/index.ts';
import { arg, threadsPrefix } from './args.ts';

/** The rankers as the 50-query experiments configure them (K-NRM with frozen embeddings, examples/experiments/homedepot-doc2query-knrm.yaml). */
const RANKER_CONFIGS: Record<string, Record<string, unknown>> = { knrm: { embeddingLr: 0 } };
const DATA: Record<string, { path: string; format: 'homedepot' | 'crowdflower' }> = {
  homedepot: { path: '../shared/data/homedepot-search/train.csv', format: 'homedepot' },
  crowdflower: { path: '../shared/data/crowdflower-search/train.csv', format: 'crowdflower' },
};

const dataName = arg('data', 'homedepot');
const data = DATA[dataName];
if (!data) throw new Error(`--data must be one of ${Object.keys(DATA).join(', ')}`);
const rankers = arg('rankers', 'knrm,neural,lambdamart').split(',');
const sizes = arg('sizes', '50,100,200,500,1000,2000,all').split(',');
const seeds = Number(arg('seeds', '3'));
const outPath = arg('out', `bench/results/search-label-curve-${dataName}.json`);
const load0 = loadavg();

const dataset = await loadSearchDataset(resolve(data.path), { format: data.format });
const metric = searchNdcgAtK(10);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const round = (x: number) => Number(x.toFixed(4));

const rows: Record<string, unknown>[] = [];
// Validation and test are the same for every size: only the training part is cut.
const { full } = searchSplitOf(searchSplitSchema.parse({}), dataset);
const validGroups = informativeGroups(full.valid);
const testGroups = informativeGroups(full.test);
for (const size of sizes) {
  const { split } = searchSplitOf(searchSplitSchema.parse(size === 'all' ? {} : { maxTrainQueries: Number(size) }), dataset);
  for (const name of rankers) {
    const valid: number[] = [];
    const test: number[] = [];
    const seconds: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const t = performance.now();
      const ranker = createRanker(name, RANKER_CONFIGS[name] ?? {});
      await ranker.fit({ train: split.train, valid: split.valid, products: split.products, labelScale: split.labelScale, seed });
      seconds.push((performance.now() - t) / 1000);
      const ndcg = (groups: typeof testGroups) => evaluateSearch(groups, groups.map((g) => ranker.score({ query: g.query, productIds: g.productIds }, split.products)), split.labelScale, [metric]).means[metric.name]!;
      valid.push(ndcg(validGroups));
      test.push(ndcg(testGroups));
    }
    const row = { ranker: name, trainQueries: split.train.length, valid: round(mean(valid)), validStd: round(sd(valid)), test: round(mean(test)), testStd: round(sd(test)), perSeed: { valid: valid.map(round), test: test.map(round) }, fitSeconds: Number(mean(seconds).toFixed(1)) };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}

// Each ranker's gain over its own smallest size, relative: the ceiling on what expansion of that size can add.
const smallest = new Map<string, { valid: number; test: number }>();
for (const r of rows as { ranker: string; valid: number; test: number }[]) if (!smallest.has(r.ranker)) smallest.set(r.ranker, r);
const curve = (rows as { ranker: string; trainQueries: number; valid: number; test: number }[]).map((r) => ({
  ...r,
  validGainOverSmallest: round(r.valid / smallest.get(r.ranker)!.valid - 1),
  testGainOverSmallest: round(r.test / smallest.get(r.ranker)!.test - 1),
}));
writeJsonAtomic(outPath, {
  command: `${threadsPrefix()}node --import tsx bench/search-label-curve.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  data: data.path,
  split: { kind: 'query', seed: 0, fractions: '0.8/0.1/0.1', evaluatedQueries: { valid: validGroups.length, test: testGroups.length } },
  metric: 'NDCG@10 on informative queries (≥ 2 distinct labels), mean over seeds',
  machine: { loadavgBefore: load0.map((x) => Number(x.toFixed(2))), loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))) },
  curve,
});
console.error(`written: ${outPath}`);
