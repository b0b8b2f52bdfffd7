import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { digamma, gammaP, lnGamma, normCdf, normPpf, regularizedIncompleteBeta, studentTQuantile, studentTTwoSidedP } from '../../src/stats/index.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what} expected ${expected} ± ${tol}, got ${actual}`);

// Reference values: mpmath at 30 digits, and the usual printed tables (normal, t, chi-square).
test('ln Γ, digamma: known values', () => {
  close(lnGamma(0.001), 6.907178885383854, 1e-14, 'lnΓ(0.001)');
  close(lnGamma(3.7), 1.4280723266653881, 1e-14, 'lnΓ(3.7)');
  close(lnGamma(100), 359.1342053695754, 1e-14, 'lnΓ(100)');
  assert.equal(lnGamma(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  assert.throws(() => lnGamma(0), RangeError);
  assert.throws(() => lnGamma(-1.5), RangeError);
  close(digamma(1), -0.5772156649015329, 1e-10, 'ψ(1) = −γ (the series stops at 1e-11)');
  close(digamma(0.5), -1.9635100260214235, 1e-10, 'ψ(0.5)');
  close(digamma(10), 2.251752589066721, 1e-10, 'ψ(10)');
});

test('normal table: Φ(1.96), Φ(−3), and the quantiles of 0.95 / 0.975', () => {
  close(normCdf(1.96), 0.9750021048517795, 1e-15);
  close(normCdf(-3), 0.0013498980316300946, 1e-15);
  close(normPpf(0.975), 1.959963984540054, 1e-14);
  close(normPpf(0.95), 1.6448536269514722, 1e-14);
  assert.equal(normPpf(0), Number.NEGATIVE_INFINITY);
  assert.equal(normPpf(1), Number.POSITIVE_INFINITY);
});

test('chi-square table through the incomplete gamma: P(χ²_k ≤ x) = P(k/2, x/2)', () => {
  close(gammaP(0.5, 3.841458820694124 / 2), 0.95, 1e-13, 'χ²₁ 95 %');
  close(gammaP(5, 18.307038053275146 / 2), 0.95, 1e-13, 'χ²₁₀ 95 %');
  assert.equal(gammaP(2, 0), 0);
});

test('t table: two-sided 5 % critical values', () => {
  for (const [df, t] of [[1, 12.706204736174698], [5, 2.570581835636314], [30, 2.042272456301238], [120, 1.979930405052777]] as const) {
    close(studentTTwoSidedP(t, df), 0.05, 1e-11, `df=${df}`);
    close(studentTQuantile(0.975, df), t, 1e-9, `quantile df=${df}`);
  }
});

test('incomplete beta: known values, and the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) (property)', () => {
  close(regularizedIncompleteBeta(0.2, 0.5, 2.5), 0.685627362352983, 1e-14);
  close(regularizedIncompleteBeta(0.45, 30, 40), 0.6447480085585681, 1e-13);
  fc.assert(
    fc.property(fc.double({ min: 0.05, max: 60, noNaN: true }), fc.double({ min: 0.05, max: 60, noNaN: true }), fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), (a, b, x) => {
      const i = regularizedIncompleteBeta(x, a, b);
      assert.ok(i >= 0 && i <= 1);
      // x away from 0 and 1, so that 1 − x is exact enough for the two sides to be comparable.
      assert.ok(Math.abs(i + regularizedIncompleteBeta(1 - x, b, a) - 1) < 1e-11);
    }),
  );
});

test('incomplete beta is non-decreasing in x (property)', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.1, max: 20, noNaN: true }), fc.double({ min: 0.1, max: 20, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b, x, y) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      assert.ok(regularizedIncompleteBeta(lo, a, b) <= regularizedIncompleteBeta(hi, a, b) + 1e-14);
    }),
  );
});

test('special functions: Φ and Φ⁻¹ invert each other; gamma and beta CDFs match known values', () => {
  for (const u of [1e-10, 1e-4, 0.01, 0.2, 0.5, 0.77, 0.999, 1 - 1e-9]) assert.ok(Math.abs(normCdf(normPpf(u)) - u) < 1e-12 * Math.max(1, u / 1e-3), `u=${u}`);
  assert.ok(Math.abs(normCdf(1.959963984540054) - 0.975) < 1e-14);
  assert.ok(Math.abs(normCdf(-6) - 9.865876450376946e-10) < 1e-20);
  assert.ok(Math.abs(gammaP(1, 2) - (1 - Math.exp(-2))) < 1e-13);
  assert.ok(Math.abs(gammaP(3, 5) - 0.8753479805169189) < 1e-12);
  assert.ok(Math.abs(regularizedIncompleteBeta(0.4, 2, 3) - 0.5248) < 1e-12);
  assert.ok(Math.abs(regularizedIncompleteBeta(0.5, 0.5, 0.5) - 0.5) < 1e-12);
});
