import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/index.ts';
import { headItems, historyLengthLabels, pairedTTest, segmentByHistoryLength, segmentByTargetCount, segmentByTargetPopularity, segmentedLift } from '../../src/eval/index.ts';

const f64 = (xs: number[]) => Float64Array.from(xs);

test('history-length segments: ≤5, 6–10, >10 by default', () => {
  assert.deepEqual(historyLengthLabels(), ['≤5', '6–10', '>10']);
  assert.deepEqual(segmentByHistoryLength(Int32Array.from([0, 1, 5, 6, 10, 11, 200])), ['≤5', '≤5', '≤5', '6–10', '6–10', '>10', '>10']);
  assert.deepEqual(historyLengthLabels([2, 3, 8]), ['≤2', '3', '4–8', '>8']);
  assert.deepEqual(segmentByHistoryLength(Int32Array.from([3, 9, 2, 4]), [2, 3, 8]), ['3', '>8', '≤2', '4–8']);
  assert.throws(() => segmentByHistoryLength(Int32Array.from([1]), [5, 5]), ConfigError);
  assert.throws(() => segmentByHistoryLength(Int32Array.from([1]), []), ConfigError);
  assert.throws(() => segmentByHistoryLength(Int32Array.from([-1])), ConfigError);
});

test('history-length labels agree with the edges (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 50 }), (lens) => {
      const labels = segmentByHistoryLength(Int32Array.from(lens));
      lens.forEach((l, i) => assert.equal(labels[i], l <= 5 ? '≤5' : l <= 10 ? '6–10' : '>10'));
    }),
  );
});

test('head = the ⌈20 %⌉ most-counted items, ties by lower id', () => {
  // items 1..10 (index 0 is padding and ignored even when large)
  const counts = [999, 5, 9, 1, 9, 0, 3, 2, 2, 7, 4];
  const head = headItems(counts);
  assert.deepEqual([...head.keys()].filter((i) => head[i]), [2, 4]); // counts 9, 9
  // tie at the boundary: items 2 and 4 both count 9, only one fits in a 10 % head → lower id wins
  const tenth = headItems(counts, 0.1);
  assert.deepEqual([...tenth.keys()].filter((i) => tenth[i]), [2]);
  // 11 items, 20 % → ⌈2.2⌉ = 3 head items
  const h11 = headItems([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...h11.keys()].filter((i) => h11[i]), [1, 2, 3]);
  // 0.3 × 10 is 3.0000000000000004 in floating point: still 3 items, not 4
  assert.equal(headItems([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.3).reduce((s, v) => s + v, 0), 3);
  assert.deepEqual(segmentByTargetPopularity(Int32Array.from([2, 4, 9, 5, 1]), counts), ['head', 'head', 'tail', 'tail', 'tail']);
  assert.deepEqual(segmentByTargetPopularity(Int32Array.from([1, 10]), counts, 0), ['tail', 'tail']);
  assert.deepEqual(segmentByTargetPopularity(Int32Array.from([1, 10]), counts, 1), ['head', 'head']);
  assert.throws(() => segmentByTargetPopularity(Int32Array.from([11]), counts), ConfigError);
  assert.throws(() => segmentByTargetPopularity(Int32Array.from([0]), counts), ConfigError);
  assert.throws(() => segmentByTargetPopularity(Int32Array.from([1]), counts, 1.5), ConfigError);
  assert.throws(() => segmentByTargetPopularity(Int32Array.from([1]), Float64Array.from([0, -1])), ConfigError);
});

test("segmentByTargetCount buckets queries by their target's training count, with history-length style names", () => {
  const counts = [0, 0, 5, 6, 40];
  assert.deepEqual(segmentByTargetCount(Int32Array.from([1, 2, 3, 4]), counts), ['≤5', '≤5', '>5', '>5']);
  assert.deepEqual(segmentByTargetCount(Int32Array.from([1, 2, 3, 4]), counts, [0, 10]), ['≤0', '1–10', '1–10', '>10']);
  assert.throws(() => segmentByTargetCount(Int32Array.from([5]), counts), ConfigError, 'a target outside the catalogue');
  assert.throws(() => segmentByTargetCount(Int32Array.from([0]), counts), ConfigError, 'the padding slot is no item');
  assert.throws(() => segmentByTargetCount(Int32Array.from([1]), [0, -2]), ConfigError, 'a negative count');
});

test('head set properties: size ⌈share × N⌉ and every head item counts at least as much as every tail item', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 80 }), fc.double({ min: 0, max: 1, noNaN: true }), (c, share) => {
      const counts = [0, ...c];
      const head = headItems(counts, share);
      const ids = c.map((_, i) => i + 1);
      const inHead = ids.filter((i) => head[i]);
      const inTail = ids.filter((i) => !head[i]);
      assert.equal(inHead.length, share === 0 ? 0 : Math.max(1, Math.min(c.length, Math.ceil(share * c.length - 1e-9))));
      const minHead = Math.min(...inHead.map((i) => counts[i]!));
      for (const t of inTail) {
        assert.ok(counts[t]! <= minHead);
        // a tail item tied with a head item has a higher id than every tied head item
        for (const h of inHead) if (counts[h] === counts[t]) assert.ok(h < t);
      }
    }),
  );
});

test('segmentedLift reports a hurt segment as plainly as a helped one', () => {
  // segment 'short': treatment clearly better; 'long': clearly worse; 'mid': noise
  const a: number[] = [];
  const b: number[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 40; i++) {
    a.push(0.3 + 0.01 * (i % 5));
    b.push(0.5 + 0.01 * (i % 3));
    labels.push('short');
    a.push(0.6 + 0.01 * (i % 4));
    b.push(0.4 + 0.01 * (i % 6));
    labels.push('long');
    a.push(0.5 + (i % 2 ? 0.1 : -0.1));
    b.push(0.5 + (i % 3 ? 0.1 : -0.1));
    labels.push('mid');
  }
  const rows = segmentedLift(f64(a), f64(b), labels, { name: 'NDCG@10', direction: 'higher' }, { order: ['short', 'mid', 'long', 'empty'] });
  assert.deepEqual(rows.map((r) => r.segment), ['short', 'mid', 'long', 'empty']);
  const [short, mid, long, empty] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  assert.equal(short.verdict, 'helps');
  assert.ok(short.lift > 0);
  assert.equal(long.verdict, 'hurts');
  assert.ok(long.lift < 0 && long.diff < 0);
  assert.equal(mid.verdict, 'no significant difference');
  assert.equal(empty.n, 0);
  assert.equal(empty.verdict, 'too few queries');
  assert.equal(short.n, 40);
  // per-segment p is the paired t-test on that segment's queries
  const idx = labels.flatMap((l, i) => (l === 'long' ? [i] : []));
  const t = pairedTTest(f64(idx.map((i) => a[i]!)), f64(idx.map((i) => b[i]!)));
  assert.equal(long.pValue, t.pValue);
  assert.ok(long.pHolm >= long.pValue);
  // for a lower-is-better metric the same numbers flip the verdicts
  const lower = segmentedLift(f64(a), f64(b), labels, { direction: 'lower' });
  assert.deepEqual(lower.map((r) => [r.segment, r.verdict]), [['short', 'hurts'], ['long', 'helps'], ['mid', 'no significant difference']]);
  assert.ok(lower[0]!.lift < 0);
});

test('segmentedLift validation and tiny segments', () => {
  const rows = segmentedLift(f64([0, 1, 0.5]), f64([1, 1, 0]), ['x', 'x', 'y'], { direction: 'higher' });
  assert.equal(rows[1]!.segment, 'y');
  assert.equal(rows[1]!.verdict, 'too few queries');
  assert.ok(Number.isNaN(rows[1]!.pValue));
  assert.equal(rows[1]!.lift, -1);
  assert.throws(() => segmentedLift(f64([0, 1]), f64([1, 1]), ['x'], { direction: 'higher' }), ConfigError);
  assert.throws(() => segmentedLift(f64([0, 1]), f64([1, 1]), ['x', 'z'], { direction: 'higher' }, { order: ['x'] }), ConfigError);
});
