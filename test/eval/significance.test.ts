import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/index.ts';
import { combineSeeds, describeSeedLevel, relativeLift, hitRateAtK, pairedTTest, seedLevelTest } from '../../src/eval/index.ts';

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

test('seedLevelTest pairs runs by seed: differences, seeds better in the metric\'s direction, a t-test over seeds', () => {
  const s = seedLevelTest([0.065, 0.066, 0.065], [0.0653, 0.0662, 0.0676]);
  assert.equal(s.n, 3);
  assert.equal(s.better, 3);
  close(s.diffs[2]!, 0.0026, 1e-12);
  close(s.meanDiff, (0.0003 + 0.0002 + 0.0026) / 3, 1e-12);
  close(s.pValue!, pairedTTest(f64([0.065, 0.066, 0.065]), f64([0.0653, 0.0662, 0.0676])).pValue, 1e-15);
  assert.ok(s.pValue! > 0.05, 'three small, uneven gains are no seed-level evidence');
  assert.equal(describeSeedLevel(s), `3/3 (p ${s.pValue!.toFixed(2)})`);
  const lower = seedLevelTest([1, 1], [0.9, 1.2], 'lower');
  assert.equal(lower.better, 1, 'for a lower-is-better metric a drop is the better seed');
  const one = seedLevelTest([0.1], [0.2]);
  assert.equal(one.pValue, null, 'one seed: no test');
  assert.equal(describeSeedLevel(one), '1/1');
  assert.throws(() => seedLevelTest([0.1, 0.2], [0.1]), ConfigError);
  assert.throws(() => seedLevelTest([], []), ConfigError);
});
