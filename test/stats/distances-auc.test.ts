import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/index.ts';
import { fitLogistic, jsDivergence, klDivergence, ksStatistic, ksStatisticAgainstCdf, normCdf, pearson, predictLogistic, quantileSorted, rocAuc, totalVariation, tvDistance } from '../../src/stats/index.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

const scoresAndLabels = fc
  .array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 60 })
  .map((rows) => ({ scores: rows.map((r) => r[0] / 4), labels: rows.map((r) => (r[1] ? 1 : 0)) }));

test('rocAuc: hand-computed values (ties count ½, one class only → 0.5)', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(rocAuc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  assert.equal(rocAuc([0.3, 0.9], [1, 1]), 0.5);
  assert.equal(rocAuc([0, 1], [0, 1]), 1);
});

test('rocAuc is in [0, 1], invariant to strictly increasing transforms and flips under negation (property)', () => {
  fc.assert(
    fc.property(scoresAndLabels, ({ scores, labels }) => {
      const auc = rocAuc(scores, labels);
      assert.ok(auc >= 0 && auc <= 1);
      assert.equal(rocAuc(scores.map((s) => Math.exp(s) * 3 + 1), labels), auc);
      assert.equal(rocAuc(scores.map((s) => s * s * s - 7), labels), auc);
      assert.ok(Math.abs(rocAuc(scores.map((s) => -s), labels) - (labels.some((l) => l) && labels.some((l) => !l) ? 1 - auc : 0.5)) < 1e-12);
    }),
  );
});

test('two-sample KS: symmetric, in [0, 1], 0 against itself, 1 for disjoint supports (property)', () => {
  const sample = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 });
  fc.assert(
    fc.property(sample, sample, (a, b) => {
      const d = ksStatistic(a, b);
      assert.ok(d >= 0 && d <= 1);
      assert.equal(ksStatistic(b, a), d);
      assert.equal(ksStatistic(a, a), 0);
      assert.equal(ksStatistic(a, a.map((x) => x + 100)), 1);
    }),
  );
});

test('one-sample KS against the normal CDF: the exact sup for a tiny sample', () => {
  // Sample {0}: ECDF jumps 0 → 1 at 0 where Φ = 0.5.
  assert.equal(ksStatisticAgainstCdf(Float64Array.of(0), normCdf, false), 0.5);
  // Integer model compares F at v ± 0.5.
  const d = ksStatisticAgainstCdf(Float64Array.of(0), normCdf, true);
  assert.ok(Math.abs(d - Math.max(Math.abs(1 - normCdf(0.5)), Math.abs(normCdf(-0.5)))) < 1e-15);
});

test('TV, KL, JS over count vectors: ranges, symmetry, scale invariance; tvDistance = totalVariation on the same cells (property)', () => {
  const counts = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(counts(n), counts(n))), ([p, q]) => {
      const tv = tvDistance(p, q);
      assert.ok(tv >= 0 && tv <= 1);
      assert.equal(tv, totalVariation(p, q));
      assert.equal(tvDistance(q, p), tv);
      assert.ok(Math.abs(totalVariation(p.map((x) => 3 * x), q) - tv) < 1e-12);
      const js = jsDivergence(p, q);
      assert.ok(js >= 0 && js <= 1);
      assert.ok(Math.abs(jsDivergence(q, p) - js) < 1e-12);
      assert.ok(klDivergence(p, q) >= 0);
    }),
  );
  assert.equal(totalVariation([1, 1], [1, 1, 0, 0]), 0, 'missing cells count as 0');
  assert.throws(() => tvDistance([1], [1, 1]), ConfigError);
});

test('logistic regression: separates a linear boundary, deterministic, probabilities in (0, 1)', () => {
  const n = 200;
  const X = new Float64Array(n * 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = ((i * 37) % 101) / 10 - 5;
    const b = ((i * 59) % 97) / 10 - 5;
    X[2 * i] = a;
    X[2 * i + 1] = b;
    y[i] = a + 0.5 * b + (((i * 13) % 7) - 3) / 3 > 0 ? 1 : 0;
  }
  const w = new Float64Array(n).fill(1);
  const m = fitLogistic(X, n, 2, y, w);
  const again = fitLogistic(X, n, 2, y, w);
  assert.deepEqual([...m.coef], [...again.coef]);
  const p = Array.from({ length: n }, (_, i) => predictLogistic(m, X, 2 * i));
  assert.ok(p.every((v) => v > 0 && v < 1));
  assert.ok(rocAuc(p, y) > 0.95);
  assert.ok(m.coef[1]! > m.coef[2]! && m.coef[2]! > 0, 'the heavier feature gets the larger weight');
});

test('KS and TV match hand-computed values', () => {
  assert.equal(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6]), 0.5);
  // Ties step both CDFs together: at 1 → 2/3 vs 1/3; at 2 → 1 vs 1.
  close(ksStatistic([1, 1, 2], [2, 1, 2]), 1 / 3, 1e-15);
  assert.equal(ksStatistic([1, 2], [1, 2]), 0);
  assert.equal(ksStatistic([1, 2], [3, 4]), 1);
  assert.equal(ksStatistic([], [1]), 1);
  close(totalVariation([2, 1, 1], [1, 1, 2]), 0.25, 1e-15);
  assert.equal(totalVariation([1, 0], [0, 5]), 1);
  assert.equal(totalVariation([3, 3], [1, 1]), 0);
  close(quantileSorted([1, 2, 3, 4, 5], 0.05), 1.2, 1e-12);
  close(pearson([1, 2, 3], [2, 4, 7])!, 0.9933992677987828, 1e-12);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), null);
  // Missing cells (NaN) are dropped pairwise.
  close(pearson([1, 2, Number.NaN, 3], [2, 4, 100, 6])!, 1, 1e-12);
});

test('KS is symmetric, in [0, 1], and 0 against itself (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 30 }), (a, b) => {
      const d = ksStatistic(a, b);
      assert.ok(d >= 0 && d <= 1);
      assert.equal(d, ksStatistic(b, a));
      assert.equal(ksStatistic(a, [...a].reverse()), 0);
      // Brute force: sup over the pooled values of |F_a − F_b|.
      let sup = 0;
      for (const x of [...a, ...b]) sup = Math.max(sup, Math.abs(a.filter((v) => v <= x).length / a.length - b.filter((v) => v <= x).length / b.length));
      close(d, sup, 1e-12);
    }),
    { numRuns: 200 },
  );
});

describe('divergence primitives', () => {
  it('known values', () => {
    assert.equal(tvDistance([1, 0], [0, 1]), 1);
    assert.equal(jsDivergence([1, 0], [0, 1]), 1);
    assert.equal(tvDistance([2, 2], [1, 1]), 0);
    assert.ok(Math.abs(tvDistance([3, 1], [1, 3]) - 0.5) < 1e-12);
    assert.ok(Math.abs(klDivergence([1, 1], [1, 3]) - (0.5 * Math.log2(0.5 / 0.25) + 0.5 * Math.log2(0.5 / 0.75))) < 1e-5);
    // Smoothing keeps KL finite when q lacks p's mass; larger ε → smaller KL.
    const k6 = klDivergence([1, 1], [1, 0]);
    const k3 = klDivergence([1, 1], [1, 0], 1e-3);
    assert.ok(Number.isFinite(k6) && k6 > k3 && k3 > 0);
    assert.equal(tvDistance([0, 0], [0, 0]), 0);
  });

  it('ConfigError for mismatched cells or bad ε', () => {
    assert.throws(() => tvDistance([1], [1, 2]), ConfigError);
    assert.throws(() => klDivergence([1], [1], 0), ConfigError);
    assert.throws(() => klDivergence([1], [1], 1), ConfigError);
  });
});
