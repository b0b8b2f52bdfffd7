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

  const fresh = sequencePrivacyReport(train, holdout, markovSequences(1000, 2000, 99), { seed: 0 });
  close(fresh.membershipInference.auc.value, 0.5, 0.05, 'fresh MIA');
  close(fresh.ngrams[0]!.synthetic.value, fresh.ngrams[0]!.holdoutBaseline.value, 0.05, '3-gram overlap vs holdout');
  assert.ok(fresh.exactCopies.share.value <= fresh.exactCopies.holdoutBaseline.share.value + 0.02);
  assert.equal(fresh.ngrams[0]!.n, 3);
  assert.equal(fresh.ngrams[1]!.n, 4);
});
