import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.ts';
import { ItemSetIndex, sequencePrivacyReport } from '../../src/eval/index.ts';
import { markovSequences } from './quality-fixtures.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

test('item-set index: exact nearest Jaccard distance', () => {
  const rng = new Rng(3);
  const ref = Array.from({ length: 200 }, () => Int32Array.from({ length: rng.int(6) }, () => 1 + rng.int(30)));
  const q = Array.from({ length: 50 }, () => Int32Array.from({ length: 1 + rng.int(6) }, () => 1 + rng.int(30)));
  const got = new ItemSetIndex(ref, 30).nearestDistances(q);
  q.forEach((s, i) => {
    const a = new Set(s);
    let best = 1;
    for (const r of ref) {
      const b = new Set(r);
      const inter = [...a].filter((x) => b.has(x)).length;
      best = Math.min(best, 1 - inter / (a.size + b.size - inter));
    }
    close(got[i]!, best, 1e-12, `query ${i}`);
  });
  // The index names the first reference at that distance.
  const jaccard = (a: Int32Array, b: Int32Array): number => {
    const x = new Set(a);
    const y = new Set(b);
    const inter = [...x].filter((v) => y.has(v)).length;
    return 1 - inter / (x.size + y.size - inter);
  };
  const { distance, index } = new ItemSetIndex(ref, 30).nearest(q);
  q.forEach((s, i) => {
    if (distance[i]! >= 1) return assert.equal(index[i], -1);
    const first = ref.findIndex((r) => r.length > 0 && Math.abs(jaccard(s, r) - distance[i]!) < 1e-12);
    assert.equal(index[i], first, `query ${i}`);
  });
});

test('sequence privacy: copied training users are caught; fresh users look like the holdout', () => {
  const all = markovSequences(3000, 2000, 1);
  const train = all.slice(0, 2000);
  const holdout = all.slice(2000);
  const copies = train.filter((_, i) => i % 2 === 0);
  const r = sequencePrivacyReport(train, holdout, copies, { seed: 0 });
  assert.equal(r.exactCopies.count, 1000);
  assert.equal(r.exactCopies.share.value, 1);
  for (const g of r.ngrams) assert.equal(g.synthetic.value, 1);
  assert.ok(r.ngrams[0]!.holdoutBaseline.value < 0.9);
  assert.equal(r.dcr.syntheticToTrain.median, 0);
  assert.ok(r.membershipInference.auc.value > 0.7, `MIA ${r.membershipInference.auc.value}`);
  // Examples: the closest five are copies shown beside the very training user they copy.
  const ex = r.nearestExamples.rows;
  assert.equal(ex.length, 10);
  assert.deepEqual(ex.map((e) => e.why), [...Array(5).fill('closest'), ...Array(5).fill('random')]);
  for (const e of ex) {
    assert.equal(e.distance, 0);
    assert.deepEqual(new Set(e.nearest), new Set(e.synthetic));
  }

  const fresh = sequencePrivacyReport(train, holdout, markovSequences(1000, 2000, 99), { seed: 0 });
  close(fresh.membershipInference.auc.value, 0.5, 0.05, 'fresh MIA');
  close(fresh.ngrams[0]!.synthetic.value, fresh.ngrams[0]!.holdoutBaseline.value, 0.05, '3-gram overlap vs holdout');
  assert.ok(fresh.exactCopies.share.value <= fresh.exactCopies.holdoutBaseline.share.value + 0.02);
  assert.equal(fresh.ngrams[0]!.n, 3);
  assert.equal(fresh.ngrams[1]!.n, 4);
});
