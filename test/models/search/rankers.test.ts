import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelToken, InterruptedError, ModelStateError, Rng } from '../../../src/core/index.ts';
import type { QueryGroup } from '../../../src/data/search/types.ts';
import { defaultSearchMetrics, evaluateSearch, searchRmse } from '../../../src/eval/search.ts';
import { Bm25Field, createRanker, type GbdtRanker, SEARCH_FEATURE_NAMES, SearchFeatureExtractor, SEARCH_FEATURE_DEFAULTS, type SearchRanker, stem, tokenize, WordEmbeddings } from '../../../src/models/search/index.ts';
import { jacobiEigen } from '../../../src/models/search/embeddings.ts';
import { pairedTTest } from '../../../src/stats/index.ts';
import { plantedSearch } from './fixture.ts';

test('tokenizer: lower case, splits letters from digits and on punctuation, keeps decimals; light plural stemming', () => {
  assert.deepEqual(tokenize('BEHR 1-gal. #SC-141 128GB 2.5 in.'), ['behr', '1', 'gal', 'sc', '141', '128', 'gb', '2.5', 'in']);
  assert.deepEqual(tokenize('  '), []);
  assert.deepEqual(['batteries', 'boxes', 'brushes', 'screws', 'glass', 'bus', 'gas', '2x4s'].map(stem), ['battery', 'box', 'brush', 'screw', 'glass', 'bus', 'gas', '2x4']);
});

test('bm25: hand-computed score; repeated query terms count once; an unseen term gets the largest idf', () => {
  const docs = [['red', 'drill'], ['blue', 'drill', 'kit'], ['red', 'saw']];
  const f = Bm25Field.fit(docs, { k1: 1.2, b: 0.75 });
  const idf = (df: number) => Math.log(1 + (3 - df + 0.5) / (df + 0.5));
  const avg = 7 / 3;
  const tfPart = (tf: number, len: number) => (tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * len) / avg));
  const expected = idf(2) * tfPart(1, 2) + idf(2) * tfPart(1, 2);
  assert.ok(Math.abs(f.score(['red', 'drill'], docs[0]!) - expected) < 1e-12);
  assert.equal(f.score(['red', 'red', 'drill'], docs[0]!), f.score(['red', 'drill'], docs[0]!));
  assert.ok(f.idf('never') > f.idf('kit'));
  assert.equal(f.score(['never'], docs[0]!), 0);
});

test('jacobi eigendecomposition: A v = λ v for a random symmetric matrix', () => {
  const rng = new Rng(4);
  const n = 7;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = rng.normal();
  const { values, vectors } = jacobiEigen(A, n);
  for (let e = 0; e < n; e++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += A[i * n + j]! * vectors[j * n + e]!;
      assert.ok(Math.abs(av - values[e]! * vectors[i * n + e]!) < 1e-9);
    }
  }
});

test('word embeddings: deterministic by seed; words that co-occur are closer than words that never do', () => {
  const titles: string[][] = [];
  const rng = new Rng(2);
  for (let i = 0; i < 300; i++) titles.push(rng.next() < 0.5 ? ['cordless', 'drill', 'battery', `x${rng.int(20)}`] : ['kitchen', 'faucet', 'chrome', `x${rng.int(20)}`]);
  const fit = (seed: number) => WordEmbeddings.fit({ titles, queries: [], pairs: [] }, { dim: 4, minCount: 2, window: 4, iterations: 8, maxVocab: 1000 }, new Rng(seed));
  const a = fit(1);
  assert.deepEqual(Buffer.from(fit(1).vectors.buffer), Buffer.from(a.vectors.buffer));
  const cos = (x: string, y: string) => a.vector(x)!.reduce((s, v, i) => s + v * a.vector(y)![i]!, 0);
  assert.ok(cos('drill', 'battery') > cos('drill', 'faucet') + 0.3, `${cos('drill', 'battery')} vs ${cos('drill', 'faucet')}`);
  const restored = WordEmbeddings.fromState(JSON.parse(JSON.stringify(a.state)));
  assert.deepEqual(Array.from(restored.vector('drill')!), Array.from(a.vector('drill')!));
});

test('search features: one named column each; BM25 statistics come from training products only; "vs max" features are ≤ 0', () => {
  const data = plantedSearch(60, 3);
  const fx = SearchFeatureExtractor.fit(data.train, data.products, data.scale, { ...SEARCH_FEATURE_DEFAULTS, embeddingDim: 4 }, 1);
  assert.equal(new Set(SEARCH_FEATURE_NAMES).size, SEARCH_FEATURE_NAMES.length);
  const trainIds = new Set(data.train.flatMap((g) => g.productIds));
  assert.equal(fx.state.title.documents, trainIds.size, 'N counts the training groups\u2019 products, not the catalogue');
  const g = data.test[0]!;
  const X = fx.features(g.query, g.productIds, data.products);
  assert.equal(X.length, g.productIds.length * SEARCH_FEATURE_NAMES.length);
  const d = SEARCH_FEATURE_NAMES.length;
  const at = SEARCH_FEATURE_NAMES.indexOf('bm25_title_vs_max');
  let zero = 0;
  for (let r = 0; r < g.productIds.length; r++) {
    assert.ok(X[r * d + at]! <= 0);
    if (X[r * d + at] === 0) zero++;
  }
  assert.ok(zero >= 1);
});

async function fitAndScore(name: string, config: Record<string, unknown>, data: ReturnType<typeof plantedSearch>, seed = 1): Promise<{ ranker: SearchRanker; scores: Float64Array[] }> {
  const ranker = createRanker(name, config);
  await ranker.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: data.scale, seed });
  return { ranker, scores: data.test.map((g) => ranker.score(g, data.products)) };
}

const SMALL_TREES = { numTrees: 80, learningRate: 0.1, minSamplesLeaf: 5, patience: 20, features: { embeddingDim: 8 } };

test('lambdamart beats BM25 and a random order on the planted problem (NDCG@5, paired t-test per query); gbdt-regression beats the training mean on RMSE', async () => {
  const data = plantedSearch(160, 7);
  const ndcg = (scores: Float64Array[]) => evaluateSearch(data.test, scores, data.scale, defaultSearchMetrics(false)).perQuery['NDCG@5']!;
  const bm25 = ndcg((await fitAndScore('bm25', {}, data)).scores);
  const lm = await fitAndScore('lambdamart', SMALL_TREES, data);
  const lambdamart = ndcg(lm.scores);
  const rng = new Rng(5);
  const random = ndcg(data.test.map((g) => Float64Array.from(g.productIds, () => rng.next())));
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(lambdamart) > mean(bm25) + 0.1, `lambdamart ${mean(lambdamart)} vs bm25 ${mean(bm25)}`);
  assert.ok(mean(lambdamart) > mean(random) + 0.1, `lambdamart ${mean(lambdamart)} vs random ${mean(random)}`);
  assert.ok(pairedTTest(bm25, lambdamart).pValue < 0.001);
  const report = (lm.ranker as GbdtRanker).report!;
  assert.ok(report.bestRounds >= 1 && report.bestRounds <= report.rounds);
  assert.ok(report.validScore !== null && report.validScore > 0.9, `valid NDCG@10 ${report.validScore}`);

  const reg = await fitAndScore('gbdt-regression', SMALL_TREES, data);
  assert.equal(reg.ranker.predictsLabels, true);
  const rmse = evaluateSearch(data.test, reg.scores, data.scale, [searchRmse], true).means.RMSE!;
  let s = 0;
  let n = 0;
  for (const g of data.train) for (const l of g.labels) (s += l), n++;
  const meanRmse = evaluateSearch(data.test, data.test.map((g: QueryGroup) => new Float64Array(g.labels.length).fill(s / n)), data.scale, [searchRmse], true).means.RMSE!;
  assert.ok(rmse < meanRmse * 0.7, `regression RMSE ${rmse} vs training mean ${meanRmse}`);
});

test('neural ranker beats BM25 on the planted problem (NDCG@5)', async () => {
  const data = plantedSearch(160, 7);
  const ndcg = (scores: Float64Array[]) => evaluateSearch(data.test, scores, data.scale, defaultSearchMetrics(false)).means['NDCG@5']!;
  const bm25 = ndcg((await fitAndScore('bm25', {}, data)).scores);
  const neural = ndcg((await fitAndScore('neural', { epochs: 15, lr: 0.01, batchGroups: 8, hidden: [16], features: { embeddingDim: 8 } }, data)).scores);
  assert.ok(neural > bm25 + 0.1, `neural ${neural} vs bm25 ${bm25}`);
});

test('neural ranker: a fit that finds a shorter run\u2019s checkpoint resumes and ends with the scores of an uninterrupted fit', async () => {
  const data = plantedSearch(40, 5);
  const tmp = mkdtempSync(join(tmpdir(), 'samplify-search-neural-'));
  try {
    const config = { hidden: [8], batchGroups: 8, patience: 10, features: { embeddingDim: 4 } };
    const fit = async (epochs: number, checkpointDir?: string) => {
      const r = createRanker('neural', { ...config, epochs });
      await r.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: data.scale, seed: 2, ...(checkpointDir ? { checkpointDir } : {}) });
      return data.test.map((g) => Array.from(r.score(g, data.products)));
    };
    await fit(2, tmp);
    const resumed = await fit(4, tmp);
    assert.deepEqual(resumed, await fit(4));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('rankers honour a cancel token: InterruptedError, not a half-fitted model', async () => {
  const data = plantedSearch(30, 6);
  const cancel = new CancelToken();
  cancel.cancel();
  for (const name of ['lambdamart', 'neural']) {
    const r = createRanker(name, { features: { embeddingDim: 4 }, ...(name === 'neural' ? { epochs: 2 } : { numTrees: 5, minSamplesLeaf: 3 }) });
    await assert.rejects(r.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: data.scale, seed: 1, cancel }), InterruptedError);
    assert.throws(() => r.save(), ModelStateError, `${name} is not left half-fitted`);
  }
});
