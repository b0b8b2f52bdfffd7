import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ModelStateError } from '../../src/core/index.ts';
import type { QueryGroup } from '../../src/data/search/types.ts';
import { defaultSearchMetrics, evaluateSearch, informativeGroups, rankedOrder, searchMrr, searchNdcgAtK, searchRmse } from '../../src/eval/search.ts';

const HD = { min: 1, max: 3 };
const group = (key: string, labels: number[]): QueryGroup => ({ query: key, key, productIds: labels.map((_, i) => `${key}-${i}`), labels: Float64Array.from(labels) });

test('search NDCG: hand-computed exponential gains over labels shifted to the scale minimum', () => {
  // Labels 3, 1, 2 (gains 3, 0, 1); the ranker puts them in order 2nd, 3rd, 1st.
  const labels = [3, 1, 2];
  const scores = [0.1, 0.9, 0.5]; // ranked: label 1, label 2, label 3
  const dcg = 0 / Math.log2(2) + 1 / Math.log2(3) + 3 / Math.log2(4);
  const idcg = 3 / Math.log2(2) + 1 / Math.log2(3) + 0;
  assert.ok(Math.abs(searchNdcgAtK(10).perQuery(scores, labels, HD) - dcg / idcg) < 1e-12);
  // Cut at 1: only the top product counts (gain 0 here).
  assert.equal(searchNdcgAtK(1).perQuery(scores, labels, HD), 0);
  // The ideal order scores 1.
  assert.equal(searchNdcgAtK(5).perQuery([3, 1, 2], labels, HD), 1);
});

test('search NDCG: a query whose products share one label, or all sit at the scale minimum, is 1 and not informative', () => {
  assert.equal(searchNdcgAtK(10).perQuery([1, 2, 3], [2, 2, 2], HD), 1);
  assert.equal(searchNdcgAtK(10).perQuery([1, 2, 3], [1, 1, 1], HD), 1);
  const groups = [group('a', [2, 2]), group('b', [1, 3]), group('c', [3])];
  assert.deepEqual(informativeGroups(groups).map((g) => g.key), ['b']);
});

test('search metrics: ties are pessimistic — a constant scorer gets the worst order, whatever the product order', () => {
  const labels = [3, 2, 1];
  assert.deepEqual(Array.from(rankedOrder([0, 0, 0], labels)), [2, 1, 0]);
  const worst = searchNdcgAtK(10).perQuery([1, 2, 3], labels, HD);
  assert.equal(searchNdcgAtK(10).perQuery([0, 0, 0], labels, HD), worst);
  assert.equal(searchMrr().perQuery([0, 0, 0], labels, HD), 1 / 3);
});

test('search MRR: first product reaching the threshold (2.5 on 1–3 by default), 0 when none does', () => {
  assert.equal(searchMrr().perQuery([3, 2, 1], [2.33, 2.67, 3], HD), 1 / 2);
  assert.equal(searchMrr().perQuery([3, 2, 1], [2.33, 2, 1], HD), 0);
  assert.equal(searchMrr(2).perQuery([3, 2, 1], [2.33, 2, 1], HD), 1);
});

test('search RMSE: per query its own RMSE, the aggregate pooled over pairs; needs label predictions', () => {
  const groups = [group('a', [1, 3]), group('b', [2])];
  const ev = evaluateSearch(groups, [Float64Array.of(2, 2), Float64Array.of(2)], HD, [searchRmse], true);
  assert.deepEqual(Array.from(ev.perQuery.RMSE!), [1, 0]);
  assert.ok(Math.abs(ev.means.RMSE! - Math.sqrt(2 / 3)) < 1e-12);
  assert.throws(() => evaluateSearch(groups, [Float64Array.of(2, 2), Float64Array.of(2)], HD, [searchRmse], false), /label scale/);
});

test('search metrics: per-query vectors are aligned with the groups; non-finite scores are a ModelStateError', () => {
  const groups = [group('a', [1, 3]), group('b', [3, 1, 2])];
  const ev = evaluateSearch(groups, [Float64Array.of(0, 1), Float64Array.of(0, 1, 2)], HD, defaultSearchMetrics(false));
  assert.deepEqual(Object.keys(ev.perQuery), ['NDCG@5', 'NDCG@10', 'MRR']);
  assert.equal(ev.perQuery['NDCG@10']![0], 1);
  assert.ok(ev.perQuery['NDCG@10']![1]! < 1);
  assert.equal(ev.means['NDCG@10'], (ev.perQuery['NDCG@10']![0]! + ev.perQuery['NDCG@10']![1]!) / 2);
  assert.throws(() => evaluateSearch(groups, [Float64Array.of(0, NaN), Float64Array.of(0, 1, 2)], HD), ModelStateError);
  assert.throws(() => evaluateSearch(groups, [Float64Array.of(0, 1)], HD), RangeError);
});

test('search NDCG: in [0, 1], 1 for the ideal order, invariant to a monotone transform of the scores (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(1, 1.33, 1.67, 2, 2.33, 2.67, 3), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 16 }), (rows) => {
      const labels = rows.map((r) => r[0]);
      const scores = rows.map((r) => r[1]);
      for (const k of [5, 10]) {
        const v = searchNdcgAtK(k).perQuery(scores, labels, HD);
        assert.ok(v >= 0 && v <= 1 + 1e-12);
        assert.equal(searchNdcgAtK(k).perQuery(labels, labels, HD), 1);
        assert.equal(searchNdcgAtK(k).perQuery(scores.map((s) => 3 * s + 7) /* exact on small integers, ties kept */, labels, HD), v);
      }
      const mrr = searchMrr().perQuery(scores, labels, HD);
      assert.ok(mrr >= 0 && mrr <= 1);
    }),
  );
});
