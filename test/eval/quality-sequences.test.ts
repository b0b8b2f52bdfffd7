import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.ts';
import { sequenceQualityReport } from '../../src/eval/index.ts';
import { markovSequences } from './quality-fixtures.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
const seqs = (xs: number[][]) => xs.map((s) => Int32Array.from(s));

test('sequence fidelity against hand-computed values', () => {
  const real = seqs([[1, 2, 3], [1, 2], [4]]);
  const syn = seqs([[1, 2], [2, 3], [5, 1]]);
  const r = sequenceQualityReport(real, syn, { seed: 0, detection: false, numItems: 5 });
  // Lengths {3,2,1} vs {2,2,2}: TV = ½(1/3 + 2/3·… ) = ½(|1/3−0| + |1/3−1| + |1/3−0|) = 2/3.
  close(r.length.tvComplement.value, 1 / 3, 1e-12);
  // KS: at 1 → 1/3 vs 0, at 2 → 2/3 vs 1 → sup 1/3.
  close(r.length.ksComplement.value, 2 / 3, 1e-12);
  // Items real {1:2,2:2,3:1,4:1}/6, synthetic {1:2,2:2,3:1,5:1}/6: TV = ½(1/6 + 1/6).
  close(r.itemPopularity.tvComplement.value, 5 / 6, 1e-12);
  // Transitions real {1→2: 2, 2→3: 1}, synthetic {1→2, 2→3, 5→1}: precision 2/3, recall 3/3.
  close(r.transitions.precision.value, 2 / 3, 1e-12);
  close(r.transitions.recall.value, 1, 1e-12);
  // TV of {2/3, 1/3, 0} vs {1/3, 1/3, 1/3} = ½(1/3 + 0 + 1/3) = 1/3.
  close(r.transitions.tvComplement.value, 2 / 3, 1e-12);
  close(r.coverage.itemCoverage.value, 3 / 4, 1e-12);
  close(r.coverage.unknownItemShare.value, 1 / 6, 1e-12);
  assert.equal(r.coverage.unknownItemShare.direction, 'lower');
  // Head = ⌈0.2 · 4⌉ = 1 item: item 1 (count 2, ties broken by id) → 2/6 in both.
  assert.equal(r.itemPopularity.headItems, 1);
  close(r.itemPopularity.headShareSimilarity.value, 1, 1e-12);
  // The distributions a page draws (a synthesis run folder has no real histories): users per
  // length, and each side's item counts sorted by its own popularity.
  assert.deepEqual(r.distributions.lengths, [
    { length: 1, real: 1, synthetic: 0 },
    { length: 2, real: 1, synthetic: 3 },
    { length: 3, real: 1, synthetic: 0 },
  ]);
  assert.deepEqual(r.distributions.popularity, [
    { rank: 1, real: 2, synthetic: 2 },
    { rank: 2, real: 2, synthetic: 2 },
    { rank: 3, real: 1, synthetic: 1 },
    { rank: 4, real: 1, synthetic: 1 },
  ]);
});

test('identical sequences: all similarities 1; fresh draws are not detected, copies and a popularity-blind generator are', () => {
  const real = markovSequences(1500, 300, 1);
  const same = sequenceQualityReport(real, real, { seed: 0 });
  for (const v of [same.length.tvComplement, same.length.ksComplement, same.itemPopularity.tvComplement, same.transitions.tvComplement, same.coverage.itemCoverage, same.overall])
    close(v.value, 1, 1e-12, v.metric);
  if ('skipped' in same.detection) assert.fail('detection skipped');
  // A real sequence's features leave its own items and transitions out; a copy of it still sees
  // them, so memorised sequences look "too typical" — by design (docs/decisions/quality-privacy.md).
  assert.ok(same.detection.detectionAuc.linear.value > 0.8, `copies ${same.detection.detectionAuc.linear.value}`);
  assert.ok(same.detection.detectionAuc.trees.value > 0.8, `trees, copies ${same.detection.detectionAuc.trees.value}`);

  const fresh = sequenceQualityReport(real, markovSequences(1500, 300, 2), { seed: 0 });
  // Uniform items with the real length distribution: popularity and transitions are wrong.
  const rng = new Rng(5);
  const uniform = real.map((s) => Int32Array.from(s, () => 1 + rng.int(300)));
  const bad = sequenceQualityReport(real, uniform, { seed: 0 });
  assert.ok(fresh.itemPopularity.tvComplement.value > bad.itemPopularity.tvComplement.value + 0.1);
  assert.ok(fresh.transitions.tvComplement.value > bad.transitions.tvComplement.value + 0.2);
  assert.ok(fresh.overall.value > bad.overall.value);
  if ('skipped' in fresh.detection || 'skipped' in bad.detection) assert.fail('detection skipped');
  assert.ok(fresh.detection.detectionAuc.linear.value < 0.58, `fresh ${fresh.detection.detectionAuc.linear.value}`);
  assert.ok(bad.detection.detectionAuc.linear.value > 0.8, `uniform ${bad.detection.detectionAuc.linear.value}`);
  // The trees' features use cross-fitted counts, so a fresh draw leaves no exact-value artefact.
  assert.ok(fresh.detection.detectionAuc.trees.value < 0.58, `trees, fresh ${fresh.detection.detectionAuc.trees.value}`);
  assert.ok(bad.detection.detectionAuc.trees.value > 0.8, `trees, uniform ${bad.detection.detectionAuc.trees.value}`);
  assert.equal(bad.detection.importances[0]?.column, 'seen transition share');
  assert.equal(JSON.stringify(sequenceQualityReport(real, uniform, { seed: 0 })), JSON.stringify(bad));
});

