/**
 * The teacher's score → label calibration: monotone, on the scale, the least-squares monotone fit
 * (isotonic) or line (linear), independent of input order, and fitted on the groups it is given only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DataValidationError } from '../../src/core/index.ts';
import type { Product, QueryGroup } from '../../src/data/search/index.ts';
import { fitScoreCalibration, fitTeacherCalibration } from '../../src/llm/teacher-calibration.ts';
import type { RankerQuery, SearchRanker } from '../../src/models/search/index.ts';

const scale = { min: 1, max: 3 };
const pairsArb = fc
  .array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 8 })), { minLength: 1, maxLength: 60 })
  .map((ps) => ({ scores: ps.map(([s]) => s / 10), labels: ps.map(([, l]) => 1 + l / 4) }));

for (const kind of ['isotonic', 'linear'] as const) {
  test(`${kind} calibration: monotone non-decreasing, on the label scale, the same map whatever the input order`, () => {
    fc.assert(
      fc.property(pairsArb, fc.integer({ min: 0, max: 1000 }), ({ scores, labels }, shift) => {
        const c = fitScoreCalibration(scores, labels, kind, scale);
        const probes = Array.from({ length: 41 }, (_, i) => -6 + (12 * i) / 40);
        const values = probes.map((p) => c.apply(p));
        for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]! - 1e-12, `not monotone at ${probes[i]}`);
        for (const v of values) assert.ok(v >= scale.min && v <= scale.max);
        // A rotated input gives the same map (equal scores are pooled, no order-dependent step).
        const k = shift % scores.length;
        const rotated = fitScoreCalibration([...scores.slice(k), ...scores.slice(0, k)], [...labels.slice(k), ...labels.slice(0, k)], kind, scale);
        for (const p of [...probes, ...scores]) assert.ok(Math.abs(rotated.apply(p) - c.apply(p)) < 1e-9);
      }),
    );
  });
}

test('isotonic calibration is pool-adjacent-violators: a violating pair is averaged, equal scores get one label, ends extend', () => {
  const c = fitScoreCalibration([1, 2, 3, 4, 4], [1, 3, 2, 2, 3], 'isotonic', scale);
  assert.deepEqual([1, 2, 3, 4].map((s) => c.apply(s)), [1, 2.5, 2.5, 2.5]);
  assert.equal(c.apply(-100), 1);
  assert.equal(c.apply(100), 2.5);
  assert.equal(c.apply(2.7), 2.5, 'between fitted scores: the lower one’s value');
  assert.equal(c.pairs, 5);
  // It is the best monotone fit in squared error: no worse than the linear map on the same pairs.
  fc.assert(
    fc.property(pairsArb, ({ scores, labels }) => {
      const iso = fitScoreCalibration(scores, labels, 'isotonic', { min: 0, max: 10 });
      const lin = fitScoreCalibration(scores, labels, 'linear', { min: 0, max: 10 });
      assert.ok(iso.rmse <= lin.rmse + 1e-9);
    }),
  );
});

test('linear calibration: an exact line is recovered; a falling relation becomes the mean label (never decreasing)', () => {
  const up = fitScoreCalibration([0, 1, 2, 3], [1, 1.5, 2, 2.5], 'linear', scale);
  assert.ok(Math.abs(up.apply(1.5) - 1.75) < 1e-12);
  assert.ok(up.rmse < 1e-12);
  assert.equal(up.apply(100), 3, 'clamped to the scale');
  const down = fitScoreCalibration([0, 1, 2, 3], [3, 2.5, 2, 1.5], 'linear', scale);
  assert.equal(down.apply(-5), 2.25);
  assert.equal(down.apply(5), 2.25);
});

test('bad input is a DataValidationError naming what is wrong, not a NaN map', () => {
  assert.throws(() => fitScoreCalibration([], [], 'isotonic', scale), (e: unknown) => e instanceof DataValidationError && /no \(score, label\) pairs/.test(e.message));
  assert.throws(() => fitScoreCalibration([1, 2], [1], 'linear', scale), DataValidationError);
  assert.throws(() => fitScoreCalibration([1, Number.NaN], [1, 2], 'isotonic', scale), (e: unknown) => e instanceof DataValidationError && /pair 1/.test(e.message));
});

test('fitTeacherCalibration scores exactly the groups it is given (the training pairs), each as one query', () => {
  const products = new Map<string, Product>(['a', 'b', 'c'].map((id) => [id, { id, title: `title ${id}` } as Product]));
  const scored: RankerQuery[] = [];
  // A pairwise-style teacher: scores are far off the label scale, only their order carries information.
  const teacher: SearchRanker = {
    name: 'spy',
    predictsLabels: false,
    fit: async () => {},
    save: () => '{}',
    score: (q) => {
      scored.push(q);
      return Float64Array.from(q.productIds, (id) => ({ a: 40, b: -7, c: 12 })[id]!);
    },
  };
  const train: QueryGroup[] = [
    { query: 'one', key: 'one', productIds: ['a', 'b'], labels: Float64Array.from([3, 1]) },
    { query: 'two', key: 'two', productIds: ['c', 'b', 'a'], labels: Float64Array.from([2, 1, 3]) },
  ];
  const c = fitTeacherCalibration(teacher, train, products, 'isotonic', scale);
  assert.deepEqual(scored.map((q) => q.query), ['one', 'two']);
  assert.deepEqual(scored.map((q) => [...q.productIds]), [['a', 'b'], ['c', 'b', 'a']]);
  assert.equal(c.pairs, 5);
  assert.deepEqual([40, -7, 12].map((s) => c.apply(s)), [3, 1, 2]);
});
