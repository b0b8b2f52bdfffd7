import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { fitGbdt, lambdaRank, lambdaRankPairs, predictGbdt, predictGbdtRow, predictGbdtTree, squaredError, type GbdtTree } from '../../src/stats/index.ts';
import { evaluateSearch, searchNdcgAtK } from '../../src/eval/search.ts';

test('lambdarank: a hand-computed two-product group', () => {
  const o = lambdaRank({ labelMin: 0, sigma: 2, truncation: 10 });
  const grad = new Float64Array(2);
  const hess = new Float64Array(2);
  // Row 0 has label 2 (gain 3), row 1 label 0 (gain 0); equal scores, so row 0 ranks first.
  o.gradients(Float64Array.of(0, 0), { labels: [2, 0], groups: [0, 2] }, grad, hess);
  const delta = (3 * (1 - 1 / Math.log2(3))) / 3;
  const rho = 0.5;
  assert.ok(Math.abs(grad[0]! + 2 * rho * delta) < 1e-15);
  assert.ok(Math.abs(grad[1]! - 2 * rho * delta) < 1e-15);
  assert.ok(Math.abs(hess[0]! - 4 * rho * (1 - rho) * delta) < 1e-15);
  assert.equal(hess[0], hess[1]);
  // Equal labels: nothing to learn, gradient 0 and a tiny positive hessian.
  o.gradients(Float64Array.of(0.3, -1), { labels: [1, 1], groups: [0, 2] }, grad, hess);
  assert.deepEqual(Array.from(grad), [0, 0]);
  assert.ok(hess[0]! > 0 && hess[0]! < 1e-12);
});

test('lambdarank: the lambdas are the gradient of Σ ΔNDCG_ij · log(1 + e^{−σ(s_i − s_j)}) at the current ranking (finite differences, property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 3, 10), (m, seed, truncation) => {
      const rng = new Rng(seed);
      // Two groups; distinct, well-separated scores so a small step keeps the ranking.
      const n = 2 * m;
      const labels = Float64Array.from({ length: n }, () => 1 + rng.int(5) / 2);
      const scores = Float64Array.from({ length: n }, (_, i) => (i % m) * 0.37 + rng.next() * 0.1 - (i < m ? 0 : 0.05));
      const groups = [0, m, n];
      const o = { labelMin: 1, sigma: 1.3, truncation };
      const pairs = [...lambdaRankPairs(scores, labels, 0, m, o), ...lambdaRankPairs(scores, labels, m, n, o)];
      const cost = (s: Float64Array): number => pairs.reduce((c, p) => c + p.deltaNdcg * Math.log1p(Math.exp(-o.sigma * (s[p.i]! - s[p.j]!))), 0);
      const grad = new Float64Array(n);
      const hess = new Float64Array(n);
      lambdaRank(o).gradients(scores, { labels, groups }, grad, hess);
      const h = 1e-6;
      for (let i = 0; i < n; i++) {
        const up = scores.slice();
        const down = scores.slice();
        up[i]! += h;
        down[i]! -= h;
        const numeric = (cost(up) - cost(down)) / (2 * h);
        assert.ok(Math.abs(numeric - grad[i]!) < 1e-6, `row ${i}: numeric ${numeric} vs lambda ${grad[i]}`);
        assert.ok(hess[i]! > 0);
      }
    }),
    { numRuns: 40 },
  );
});

test('lambdarank: truncation leaves out pairs ranked wholly below the cut-off', () => {
  const scores = Float64Array.of(4, 3, 2, 1);
  const labels = [1, 1, 0, 3];
  const pairs = lambdaRankPairs(scores, labels, 0, 4, { labelMin: 0, sigma: 1, truncation: 2 });
  // Rows 2 and 3 are ranked 3rd and 4th: their pair (3 over 2) is below the cut-off.
  assert.ok(!pairs.some((p) => p.i === 3 && p.j === 2));
  assert.ok(pairs.some((p) => p.i === 3 && p.j === 0));
  assert.ok(pairs.every((p) => p.deltaNdcg > 0 && labels[p.i]! > labels[p.j]!));
});

test('squared error: the starting score is the (weighted) mean and the gradient is s − y', () => {
  assert.equal(squaredError.initialScore({ labels: [1, 2, 3] }), 2);
  assert.equal(squaredError.initialScore({ labels: [1, 3], weights: [3, 1] }), 1.5);
  const grad = new Float64Array(2);
  const hess = new Float64Array(2);
  squaredError.gradients(Float64Array.of(2, 2), { labels: [1, 3] }, grad, hess);
  assert.deepEqual(Array.from(grad), [1, -1]);
  assert.deepEqual(Array.from(hess), [1, 1]);
});

/** Groups of 8 rows; the label is a noisy step function of feature 0 crossed with feature 1; feature 2 is noise. */
function planted(groups: number, seed: number): { X: Float64Array; labels: Float64Array; bounds: number[]; n: number } {
  const rng = new Rng(seed);
  const n = groups * 8;
  const X = new Float64Array(n * 3);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next();
    const b = rng.next();
    X[i * 3] = a;
    X[i * 3 + 1] = b;
    X[i * 3 + 2] = rng.next();
    labels[i] = Math.min(3, Math.max(1, Math.round(1 + 2 * (a > 0.5 !== b > 0.5 ? a : 1 - a) + rng.normal() * 0.2)));
  }
  return { X, labels, bounds: Array.from({ length: groups + 1 }, (_, g) => g * 8), n };
}

test('lambdamart on the shared GBDT: held-out NDCG@10 well above random order; early-stopping hook sees every tree and can stop', () => {
  const train = planted(150, 1);
  const test = planted(60, 2);
  const seen: GbdtTree[] = [];
  const model = fitGbdt(train.X, train.n, 3, { labels: train.labels, groups: train.bounds }, { numTrees: 60, learningRate: 0.1, minSamplesLeaf: 5, seed: 3 }, lambdaRank({ labelMin: 1 }), (round, tree) => {
    seen.push(tree);
    return round === 39;
  });
  assert.equal(model.trees.length, 40, 'the hook stopped boosting after tree 40');
  assert.equal(seen.length, 40);
  assert.equal(model.objective, 'lambdarank');
  // predictGbdtTree sums to predictGbdtRow.
  let s = model.baseScore;
  for (const t of model.trees) s += predictGbdtTree(t, test.X, 0);
  assert.equal(s, predictGbdtRow(model, test.X, 0));
  const scores = predictGbdt(model, test.X, test.n);
  const groups = Array.from({ length: 60 }, (_, g) => ({ query: `q${g}`, key: `q${g}`, productIds: Array.from({ length: 8 }, (_, k) => `p${k}`), labels: test.labels.subarray(g * 8, g * 8 + 8) }));
  const slices = (v: Float64Array) => groups.map((_, g) => v.subarray(g * 8, g * 8 + 8));
  const scale = { min: 1, max: 3 };
  const learned = evaluateSearch(groups, slices(scores), scale, [searchNdcgAtK(10)]).means['NDCG@10']!;
  const rng = new Rng(9);
  const random = evaluateSearch(groups, slices(Float64Array.from({ length: test.n }, () => rng.next())), scale, [searchNdcgAtK(10)]).means['NDCG@10']!;
  assert.ok(learned > random + 0.15, `learned ${learned} vs random ${random}`);
  assert.ok(learned > 0.9, `learned ${learned}`);
});
