import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { pairedBootstrapCI, pairedTTest } from '../../src/stats/index.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
const f64 = (xs: number[]) => Float64Array.from(xs);

test('paired t-test: hand-computed example', () => {
  // differences 1, 2, 3, 4: mean 2.5, sd √(5/3), t = 2.5 / (sd/2) = 3.8729833, df 3
  const r = pairedTTest(f64([0, 0, 0, 0]), f64([1, 2, 3, 4]));
  assert.equal(r.n, 4);
  assert.equal(r.df, 3);
  close(r.meanDiff, 2.5, 1e-15);
  close(r.sdDiff, Math.sqrt(5 / 3), 1e-14);
  close(r.t, 3.872983346207417, 1e-12);
  close(r.pValue, 0.030466, 1e-5);
  const half = 3.182446305284263 * Math.sqrt(5 / 3) / 2;
  close(r.ci95[0], 2.5 - half, 1e-8);
  close(r.ci95[1], 2.5 + half, 1e-8);
});

test('paired t-test edge cases: zero differences, constant differences, bad input', () => {
  const same = pairedTTest(f64([0.5, 0.25, 1]), f64([0.5, 0.25, 1]));
  assert.equal(same.pValue, 1);
  assert.equal(same.sdDiff, 0);
  assert.equal(same.t, 0);
  assert.deepEqual(same.ci95, [0, 0]);
  const shifted = pairedTTest(f64([0.1, 0.2, 0.3, 0.4]), f64([0.2, 0.3, 0.4, 0.5]).map((_, i) => [0.1, 0.2, 0.3, 0.4][i]! + 0.1));
  assert.equal(shifted.sdDiff, 0);
  assert.equal(shifted.pValue, 0);
  assert.equal(shifted.t, Number.POSITIVE_INFINITY);
  // the same per-query values averaged in another order differ by rounding only: still p = 1
  const x = f64([0.1, 0.2, 0.3, 0.7, 0.05]);
  const y = x.map((v) => (v * 3) / 3 + 0.1 - 0.1);
  assert.ok(x.some((v, i) => v !== y[i]), 'the fixture does carry rounding noise');
  const noisy = pairedTTest(x, y);
  assert.equal(noisy.pValue, 1);
  assert.equal(noisy.meanDiff, 0);
  assert.throws(() => pairedTTest(f64([1, 2]), f64([1, 2, 3])), (e: unknown) => e instanceof ConfigError && /same queries/.test(e.message));
  assert.throws(() => pairedTTest(f64([1]), f64([2])), (e: unknown) => e instanceof ConfigError && /at least 2/.test(e.message));
  assert.throws(() => pairedTTest(f64([1, Number.NaN]), f64([2, 3])), ConfigError);
});

const pairs = fc.integer({ min: 2, max: 60 }).chain((n) =>
  fc.tuple(
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
  ),
);

test('paired t-test properties: p in [0, 1], CI contains the mean, swapping negates the mean and keeps p', () => {
  fc.assert(
    fc.property(pairs, ([xa, xb]) => {
      const a = f64(xa);
      const b = f64(xb);
      const r = pairedTTest(a, b);
      assert.ok(r.pValue >= 0 && r.pValue <= 1);
      assert.ok(r.ci95[0] <= r.meanDiff && r.meanDiff <= r.ci95[1]);
      const s = pairedTTest(b, a);
      close(s.meanDiff, -r.meanDiff, 1e-12);
      close(s.pValue, r.pValue, 1e-12);
      // the 95 % CI excludes 0 exactly when p < 0.05
      if (Math.abs(r.pValue - 0.05) > 1e-6) assert.equal(r.pValue < 0.05, r.ci95[0] > 0 || r.ci95[1] < 0);
    }),
    { numRuns: 150 },
  );
});

test('bootstrap: deterministic by seed, agrees with the t-test on a clear effect', () => {
  const rng = new Rng(7);
  const n = 400;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng.next();
    b[i] = a[i]! + 0.05 + 0.2 * rng.normal();
  }
  const r1 = pairedBootstrapCI(a, b, { seed: 3 });
  const r2 = pairedBootstrapCI(a, b, { seed: 3 });
  assert.deepEqual(r1, r2);
  const r3 = pairedBootstrapCI(a, b, { seed: 4 });
  assert.notDeepEqual(r1, r3);
  const t = pairedTTest(a, b);
  assert.equal(r1.meanDiff, t.meanDiff);
  assert.ok(r1.lo > 0, 'a clear positive effect excludes 0');
  close(r1.lo, t.ci95[0], 0.01);
  close(r1.hi, t.ci95[1], 0.01);
  assert.equal(r1.pValue, 2 / 1001, 'no resample crosses 0: the +1 correction gives the smallest p');
  const narrow = pairedBootstrapCI(a, b, { seed: 3, confidence: 0.5, resamples: 200 });
  assert.ok(narrow.hi - narrow.lo < r1.hi - r1.lo);
});

test('bootstrap edge cases', () => {
  const same = pairedBootstrapCI(f64([0.1, 0.5, 1]), f64([0.1, 0.5, 1]), { seed: 1, resamples: 50 });
  assert.deepEqual(same, { meanDiff: 0, lo: 0, hi: 0, pValue: 1 });
  assert.throws(() => pairedBootstrapCI(f64([1, 2]), f64([1]), { seed: 1 }), ConfigError);
  assert.throws(() => pairedBootstrapCI(f64([1, 2]), f64([1, 2]), { seed: 1, resamples: 0 }), ConfigError);
  assert.throws(() => pairedBootstrapCI(f64([1, 2]), f64([1, 2]), { seed: 1, confidence: 1 }), ConfigError);
});

test('bootstrap properties: p in (0, 1], interval brackets the mean on symmetric data, swapping mirrors it', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 0, max: 1000 }), ([xa, xb], seed) => {
      const a = f64(xa);
      const b = f64(xb);
      const r = pairedBootstrapCI(a, b, { seed, resamples: 200 });
      assert.ok(r.pValue > 0 && r.pValue <= 1);
      assert.ok(r.lo <= r.hi);
      const s = pairedBootstrapCI(b, a, { seed, resamples: 200 });
      close(s.meanDiff, -r.meanDiff, 1e-12);
      close(s.lo, -r.hi, 1e-12);
      close(s.hi, -r.lo, 1e-12);
      assert.equal(s.pValue, r.pValue);
    }),
    { numRuns: 60 },
  );
});
