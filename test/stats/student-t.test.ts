import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lnGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSidedP } from '../../src/stats/index.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

test('ln Γ and the incomplete beta match closed forms', () => {
  close(lnGamma(1), 0, 1e-14);
  close(lnGamma(2), 0, 1e-14);
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
  close(lnGamma(10), Math.log(362880), 1e-13);
  close(lnGamma(100.5), 361.43554046777757, 1e-10);
  // I_x(2,3) = Σ_{j=2..4} C(4,j) x^j (1−x)^{4−j}
  close(regularizedIncompleteBeta(0.3, 2, 3), 0.3483, 1e-13);
  close(regularizedIncompleteBeta(0.9, 2, 3), 6 * 0.81 * 0.01 + 4 * 0.729 * 0.1 + 0.6561, 1e-13);
  // I_x(a,1) = x^a, I_x(1,b) = 1 − (1−x)^b
  close(regularizedIncompleteBeta(0.4, 3.5, 1), 0.4 ** 3.5, 1e-13);
  close(regularizedIncompleteBeta(0.4, 1, 7), 1 - 0.6 ** 7, 1e-13);
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  assert.throws(() => regularizedIncompleteBeta(1.5, 2, 3), RangeError);
});

test('Student-t p-values and quantiles match tabulated values', () => {
  close(studentTTwoSidedP(2.0, 10), 0.07338803477, 1e-9, 't=2, df=10');
  close(studentTTwoSidedP(-2.0, 10), 0.07338803477, 1e-9, 't=−2, df=10');
  close(studentTTwoSidedP(1.96, 1e6), 0.05, 2e-5, 't=1.96, df=1e6');
  close(studentTTwoSidedP(2.228138851986, 10), 0.05, 1e-10, 'critical value df=10');
  close(studentTTwoSidedP(12.706204736, 1), 0.05, 1e-9, 'critical value df=1');
  close(studentTTwoSidedP(5, 1e7), 5.733031e-7, 1e-10, 'near-normal tail');
  assert.equal(studentTTwoSidedP(0, 10), 1);
  assert.equal(studentTTwoSidedP(Number.POSITIVE_INFINITY, 3), 0);
  close(studentTQuantile(0.975, 10), 2.228138851986, 1e-9);
  close(studentTQuantile(0.975, 1), 12.706204736, 1e-8);
  close(studentTQuantile(0.975, 1e6), 1.959966, 1e-5);
  close(studentTQuantile(0.025, 3), -3.182446305, 1e-8);
  assert.equal(studentTQuantile(0.5, 4), 0);
  assert.throws(() => studentTTwoSidedP(1, 0), RangeError);
});

test('Student-t CDF equals the closed forms for df = 1 (Cauchy) and df = 2', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), (t) => {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `df=1 t=${t}`);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df=2 t=${t}`);
    }),
    { numRuns: 300 },
  );
});

test('the quantile inverts the CDF', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.integer({ min: 1, max: 500 }), (p, df) => {
      close(studentTCdf(studentTQuantile(p, df), df), p, 1e-10);
    }),
    { numRuns: 60 },
  );
});
