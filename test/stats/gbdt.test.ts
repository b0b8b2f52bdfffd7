import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ModelStateError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/index.ts';
import { fitGbdt, fitLogistic, gbdtFeatureGain, gbdtPairGain, loadGbdt, predictGbdt, predictLogistic, rocAuc, saveGbdt, type GbdtObjective } from '../../src/stats/index.ts';

/** XOR of the signs of two features (plus 3 noise features): no linear score separates it. */
function xor(n: number, seed: number): { X: Float64Array; y: Uint8Array; d: number } {
  const rng = new Rng(seed);
  const d = 5;
  const X = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) X[i * d + f] = rng.normal();
    y[i] = X[i * d]! * X[i * d + 1]! > 0 ? 1 : 0;
  }
  return { X, y, d };
}

test('gbdt: learns an XOR interaction a linear model cannot (held-out AUC ≈ 1 vs ≈ 0.5); the two XOR features carry the gain', () => {
  const train = xor(2000, 1);
  const held = xor(1000, 2);
  const model = fitGbdt(train.X, 2000, train.d, { labels: train.y }, { numTrees: 40, seed: 3 });
  const treesAuc = rocAuc(predictGbdt(model, held.X, 1000), held.y);
  const lin = fitLogistic(train.X, 2000, train.d, train.y, new Float64Array(2000).fill(1), { l2: 1e-3 });
  const linScores = Array.from({ length: 1000 }, (_, i) => predictLogistic(lin, held.X, i * train.d));
  const linearAuc = rocAuc(linScores, held.y);
  assert.ok(treesAuc > 0.97, `trees ${treesAuc}`);
  assert.ok(Math.abs(linearAuc - 0.5) < 0.07, `linear ${linearAuc}`);
  const gain = gbdtFeatureGain(model);
  assert.ok(gain[0]! + gain[1]! > 0.9 * gain.reduce((a, b) => a + b, 0), `gain ${[...gain]}`);
});

test('gbdt: same seed + data ⇒ identical model and predictions; another seed (with subsampling) differs', () => {
  const { X, y, d } = xor(600, 4);
  const params = { numTrees: 15, subsample: 0.7, colsample: 0.6, seed: 11 };
  const a = fitGbdt(X, 600, d, { labels: y }, params);
  const b = fitGbdt(X, 600, d, { labels: y }, params);
  assert.equal(saveGbdt(a), saveGbdt(b));
  assert.deepEqual(predictGbdt(a, X, 600), predictGbdt(b, X, 600));
  const c = fitGbdt(X, 600, d, { labels: y }, { ...params, seed: 12 });
  assert.notEqual(saveGbdt(c), saveGbdt(a));
});

test('gbdt: save → load gives identical predictions, missing values included; a malformed model is a ModelStateError', () => {
  const { X, y, d } = xor(500, 5);
  for (let i = 0; i < X.length; i += 7) X[i] = NaN;
  const model = fitGbdt(X, 500, d, { labels: y }, { numTrees: 10, seed: 1 });
  const text = saveGbdt(model);
  const back = loadGbdt(text);
  assert.deepEqual(predictGbdt(back, X, 500), predictGbdt(model, X, 500));
  assert.equal(saveGbdt(back), text);
  assert.throws(() => loadGbdt('{"kind":"other"}'), ModelStateError);
  assert.throws(() => loadGbdt('not json'), ModelStateError);
});

test('gbdt: missing values learn a direction — a feature that is NaN exactly for the positives separates them', () => {
  const rng = new Rng(9);
  const n = 400;
  const X = new Float64Array(n * 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    X[i * 2] = y[i] ? NaN : rng.normal();
    X[i * 2 + 1] = rng.normal();
  }
  const model = fitGbdt(X, n, 2, { labels: y }, { numTrees: 5, seed: 0 });
  assert.equal(rocAuc(predictGbdt(model, X, n), y), 1);
  assert.deepEqual(predictGbdt(model, Float64Array.of(NaN, 0), 1)[0]! > 0, true);
});

test('gbdt: the objective is pluggable and sees the query groups (the hook a ranking objective uses)', () => {
  const { X, y, d } = xor(300, 6);
  const groups = Int32Array.from({ length: 31 }, (_, g) => g * 10);
  let seen: ArrayLike<number> | undefined;
  const squared: GbdtObjective = {
    name: 'squared-error',
    initialScore: () => 0,
    gradients(scores, target, grad, hess) {
      seen = target.groups;
      for (let i = 0; i < scores.length; i++) {
        grad[i] = scores[i]! - target.labels[i]!;
        hess[i] = 1;
      }
    },
  };
  const model = fitGbdt(X, 300, d, { labels: y, groups }, { numTrees: 30, seed: 0 }, squared);
  assert.equal(seen, groups);
  assert.equal(model.objective, 'squared-error');
  assert.ok(rocAuc(predictGbdt(model, X, 300), y) > 0.95);
});

test('gbdt: predictions finite, importances non-negative and summing to the gain of all splits (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 80 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.double({ min: 0.3, max: 1, noNaN: true }),
      (n, d, seed, subsample) => {
        const rng = new Rng(seed);
        const X = Float64Array.from({ length: n * d }, () => (rng.next() < 0.1 ? NaN : rng.next() < 0.3 ? rng.int(3) : rng.normal() * 1e3));
        const y = Uint8Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
        const model = fitGbdt(X, n, d, { labels: y }, { numTrees: 5, minSamplesLeaf: 1, maxLeaves: 6, subsample, colsample: 0.5, seed });
        assert.ok(predictGbdt(model, X, n).every(Number.isFinite));
        const gain = gbdtFeatureGain(model);
        assert.ok(gain.every((g) => g >= 0));
        let total = 0;
        for (const t of model.trees) for (const g of t.gain) total += g;
        assert.ok(Math.abs(gain.reduce((a, b) => a + b, 0) - total) <= 1e-9 * Math.max(1, total));
      },
    ),
    { numRuns: 60 },
  );
});

test('gbdt: bad parameters are RangeErrors naming the parameter', () => {
  const { X, y, d } = xor(20, 1);
  assert.throws(() => fitGbdt(X, 20, d, { labels: y }, { maxBins: 300 }), /maxBins/);
  assert.throws(() => fitGbdt(X, 20, d, { labels: y }, { subsample: 0 }), /subsample/);
});

test('gbdt: the pair gain names the two XOR features as the interacting pair', () => {
  const train = xor(2000, 1);
  const model = fitGbdt(train.X, 2000, train.d, { labels: train.y }, { numTrees: 40, seed: 3 });
  const pairs = [...gbdtPairGain(model)].sort((a, b) => b[1] - a[1]);
  assert.ok(pairs.length > 0);
  assert.equal(pairs[0]![0], '0,1', `top pairs ${JSON.stringify(pairs.slice(0, 3))}`);
  const total = pairs.reduce((s, [, g]) => s + g, 0);
  assert.ok(pairs[0]![1] / total > 0.5, `XOR pair share ${pairs[0]![1] / total}`);
});
