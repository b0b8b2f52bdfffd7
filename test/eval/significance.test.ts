import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/index.ts';
import { combineSeeds, relativeLift, hitRateAtK } from '../../src/eval/index.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
const f64 = (xs: number[]) => Float64Array.from(xs);

test('combineSeeds averages per query and refuses misaligned seeds', () => {
  const out = combineSeeds([f64([1, 0, 0.5]), f64([0, 0, 0.25]), f64([1, 1, 0])]);
  close(out[0]!, 2 / 3, 1e-15);
  close(out[1]!, 1 / 3, 1e-15);
  close(out[2]!, 0.25, 1e-15);
  assert.deepEqual([...combineSeeds([f64([0.3, 0.7])])], [0.3, 0.7]);
  assert.throws(() => combineSeeds([]), ConfigError);
  assert.throws(() => combineSeeds([f64([1, 2]), f64([1])]), ConfigError);
});

test('relativeLift is positive exactly when the treatment is better, for either direction', () => {
  close(relativeLift(0.2, 0.25), 0.25, 1e-12);
  close(relativeLift(0.2, 0.15, 'higher'), -0.25, 1e-12);
  close(relativeLift(0.2, 0.25, hitRateAtK(10)), 0.25, 1e-12);
  close(relativeLift(10, 8, 'lower'), 0.2, 1e-12, 'a lower loss is a gain');
  close(relativeLift(10, 12, { direction: 'lower' }), -0.2, 1e-12);
  close(relativeLift(-2, -1, 'higher'), 0.5, 1e-12, 'negative base keeps the sign');
  assert.equal(relativeLift(0, 0), 0);
  assert.equal(relativeLift(0, 0.1), Number.POSITIVE_INFINITY);
  assert.equal(relativeLift(0, 0.1, 'lower'), Number.NEGATIVE_INFINITY);
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('higher' as const, 'lower' as const), (base, treated, dir) => {
      const lift = relativeLift(base, treated, dir);
      const better = dir === 'higher' ? treated > base : treated < base;
      assert.equal(lift > 0, better);
    }),
  );
});
