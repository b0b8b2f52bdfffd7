import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMetrics, drawSampledCandidates, fullRankingRanks, metricsFromRanks, ndcgAtK, hitRateAtK, meanReciprocalRank, sampledRanks, meanStd } from '../../src/eval/index.ts';
import type { EvalCase } from '../../src/data/index.ts';

/** A scorer with fixed scores: item i scores scores[i] for every history. */
function fixed(scores: number[]) {
  return { scoreAll: (h: readonly Int32Array[]) => { const out = new Float32Array(h.length * scores.length); h.forEach((_, i) => out.set(scores, i * scores.length)); return out; } };
}
const c = (history: number[], target: number, user = 0): EvalCase => ({ user, history: Int32Array.from(history), target });

test('metric values from ranks match hand computation', () => {
  assert.equal(hitRateAtK(10).fromRank(9), 1);
  assert.equal(hitRateAtK(10).fromRank(10), 0);
  assert.equal(ndcgAtK(10).fromRank(0), 1);
  assert.ok(Math.abs(ndcgAtK(10).fromRank(2) - 0.5) < 1e-12);
  assert.equal(meanReciprocalRank.fromRank(3), 0.25);
  for (const m of defaultMetrics()) { assert.equal(m.direction, 'higher'); assert.deepEqual(m.range, [0, 1]); }
  const { means, perQuery } = metricsFromRanks(Int32Array.from([0, 4, 30]), defaultMetrics());
  assert.ok(Math.abs(means['HR@5']! - 2 / 3) < 1e-12);
  assert.equal(means['HR@1'], undefined);
  assert.ok(Math.abs(means['HR@20']! - 2 / 3) < 1e-12);
  assert.ok(Math.abs(means['NDCG@5']! - (1 + 1 / Math.log2(6)) / 3) < 1e-12);
  assert.equal(perQuery['MRR']!.length, 3);
});

test('full ranking masks history items and breaks ties by item id', () => {
  // items 1..5; item 3 has the top score but is in the history, so target 2 moves up
  const m = fixed([0, 1, 5, 9, 2, 5]);
  const ranks = fullRankingRanks(m, [c([3], 2), c([], 2), c([3], 5)], 5);
  assert.deepEqual([...ranks], [0, 1, 1]); // target 5 ties with item 2 (lower id ranks first)
  const zero = fullRankingRanks(fixed([0, -1, -2, 9, -3, -4]), [c([3], 1)], 5, { exclude: 'zero' });
  assert.equal(zero[0], 1, "CoSeRec's zero masking lets a seen item with score 0 outrank a negative-score target");
  const none = fullRankingRanks(m, [c([3], 2)], 5, { exclude: 'none' });
  assert.equal(none[0], 1);
});

test('a target that is in the history is masked like the rest (no peeking at the target)', () => {
  const ranks = fullRankingRanks(fixed([0, 1, 2, 3]), [c([2], 2)], 3);
  assert.equal(ranks[0], 2);
});

test('scoreAll with the wrong width is a clear error', () => {
  const bad = { scoreAll: (h: readonly Int32Array[]) => new Float32Array(h.length * 3) };
  assert.throws(() => fullRankingRanks(bad, [c([1], 2)], 5), /numItems \+ 1/);
});

test('sampled candidates avoid the user items, are reproducible and rank correctly', () => {
  const cases = [c([1, 2], 3, 0), c([4], 5, 1)];
  const items = (x: EvalCase) => [...x.history, x.target];
  const a = drawSampledCandidates(cases, 50, 10, 7, items);
  const b = drawSampledCandidates(cases, 50, 10, 7, items);
  assert.deepEqual(a, b);
  for (let i = 0; i < cases.length; i++) {
    const negs = new Set(a.negatives[i]);
    assert.equal(negs.size, 10);
    for (const it of items(cases[i]!)) assert.ok(!negs.has(it));
  }
  const scores = Array.from({ length: 51 }, (_, i) => i); // higher id = higher score
  const ranks = sampledRanks(fixed(scores), cases, 50, a);
  assert.equal(ranks[0], a.negatives[0]!.filter((n) => n > 3).length);
  assert.throws(() => drawSampledCandidates(cases, 12, 10, 1, items), /unseen items/);
});

test('meanStd uses the sample standard deviation', () => {
  const { mean, std } = meanStd([1, 2, 3]);
  assert.equal(mean, 2);
  assert.equal(std, 1);
  assert.equal(meanStd([5]).std, 0);
});
