import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.ts';
import { makeTrainView } from '../../src/data/index.ts';
import {
  alignedTrainView,
  augmentedSamples,
  discriminatorFilter,
  distributionReport,
  lengthMatchingResample,
  popularityMatchingResample,
} from '../../src/align/index.ts';
import { rocAuc } from '../../src/eval/index.ts';
import { NUM_ITEMS, allPopular, generate, lengthOne, pick, realView, sequencesOf, uniformItems } from './helpers.ts';

const real = realView();
const realSeqs = sequencesOf(real);
const arr = (x: ArrayLike<number>) => Array.from(x);
/** Half real-like, half all-popular-items: the realistic half is what alignment should favour. */
const mixedPopular = [...generate(300, 11), ...generate(300, 12, allPopular)];
/** Half real-like, half cut to length 1. */
const mixedShort = [...generate(300, 13), ...generate(300, 14, lengthOne)];

describe('popularityMatchingResample', () => {
  it('moves item popularity toward the real one', () => {
    const before = distributionReport(real, mixedPopular).itemPopularity;
    const res = popularityMatchingResample(real, mixedPopular, { seed: 1 });
    assert.equal(res.keep.length, mixedPopular.length);
    const after = distributionReport(real, pick(mixedPopular, res.keep)).itemPopularity;
    assert.ok(after.tv < 0.75 * before.tv, `tv ${before.tv} → ${after.tv}`);
    assert.ok(after.js < before.js && after.kl < before.kl, `js ${before.js} → ${after.js}, kl ${before.kl} → ${after.kl}`);
    // The realistic half gets the higher importance.
    const iw = res.importanceWeights;
    const mean = (a: number, b: number) => arr(iw.subarray(a, b)).reduce((s, x) => s + x, 0) / (b - a);
    assert.ok(mean(0, 300) > 2 * mean(300, 600));
    assert.ok(Math.abs(mean(0, 600) - 1) < 1e-4);
  });

  it('is deterministic by seed; size/replace are honoured', () => {
    const a = popularityMatchingResample(real, mixedPopular, { seed: 5, size: 100 });
    const b = popularityMatchingResample(real, mixedPopular, { seed: 5, size: 100 });
    const c = popularityMatchingResample(real, mixedPopular, { seed: 6, size: 100 });
    assert.deepEqual(arr(a.keep), arr(b.keep));
    assert.notDeepEqual(arr(a.keep), arr(c.keep));
    assert.equal(a.keep.length, 100);
    const d = popularityMatchingResample(real, mixedPopular, { seed: 5, size: 200, replace: false });
    assert.equal(new Set(d.keep).size, 200);
    assert.deepEqual(arr(d.keep), arr(d.keep).sort((x, y) => x - y));
    // A zero prior weight is never drawn.
    const w = new Float32Array(mixedPopular.length).fill(1);
    w.fill(0, 0, 300);
    const e = popularityMatchingResample(real, mixedPopular, { seed: 5, weights: w });
    assert.ok(arr(e.keep).every((k) => k >= 300));
  });
});

describe('lengthMatchingResample', () => {
  it('matches the real length histogram', () => {
    const before = distributionReport(real, mixedShort).length;
    const res = lengthMatchingResample(real, mixedShort, { seed: 1 });
    assert.equal(res.keep.length, mixedShort.length);
    const after = distributionReport(real, pick(mixedShort, res.keep)).length;
    assert.ok(before.tv > 0.3, String(before.tv));
    assert.ok(after.tv < 0.1 && after.tv < before.tv / 4, `tv ${before.tv} → ${after.tv}`);
    assert.ok(after.js < before.js);
    let total = 0;
    for (const c of res.drawnPerLength.values()) total += c;
    assert.equal(total, mixedShort.length);
  });

  it('gives the mass of lengths the augmented set lacks to the nearest one', () => {
    const aug = [Int32Array.of(1), Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)];
    const res = lengthMatchingResample(real, aug, { seed: 2, size: 1000 });
    assert.equal(res.keep.length, 1000);
    assert.ok(res.unmatchedLengths.includes(2) && !res.unmatchedLengths.includes(1));
    const ones = arr(res.keep).filter((k) => k === 0).length;
    const realShort = realSeqs.filter((s) => s.length <= 5).length / realSeqs.length;
    assert.ok(Math.abs(ones / 1000 - realShort) < 0.01, `${ones / 1000} vs ${realShort}`);
  });

  it('is deterministic by seed', () => {
    const a = lengthMatchingResample(real, mixedShort, { seed: 3, size: 150 });
    const b = lengthMatchingResample(real, mixedShort, { seed: 3, size: 150 });
    const c = lengthMatchingResample(real, mixedShort, { seed: 4, size: 150 });
    assert.deepEqual(arr(a.keep), arr(b.keep));
    assert.notDeepEqual(arr(a.keep), arr(c.keep));
  });
});

describe('discriminatorFilter', () => {
  it('AUC ≈ 0.5 on the same distribution, high on an obviously different one', () => {
    const same = discriminatorFilter(real, generate(400, 21), { seed: 1, keepShare: 0.5 });
    assert.ok(Math.abs(same.auc - 0.5) < 0.08, `same-distribution AUC ${same.auc}`);
    const diff = discriminatorFilter(real, generate(400, 22, uniformItems), { seed: 1, keepShare: 0.5 });
    assert.ok(diff.auc > 0.9, `different-distribution AUC ${diff.auc}`);
  });

  it('exact copies with sourceUser are indistinguishable', () => {
    const src = Int32Array.from(real.users());
    const res = discriminatorFilter(real, realSeqs, { seed: 2, keepShare: 1, sourceUser: src });
    assert.ok(Math.abs(res.auc - 0.5) < 0.02, `copies AUC ${res.auc}`);
    // Without sourceUser a copy of u sees u's own transitions while u's features leave them out:
    // derived samples look "too typical" — the documented reason to pass sourceUser.
    const blind = discriminatorFilter(real, realSeqs, { seed: 2, keepShare: 1 });
    assert.ok(blind.auc > 0.8, `copies without sourceUser AUC ${blind.auc}`);
  });

  it('keeps the real-looking samples, which closes the gap', () => {
    const mixed = [...generate(300, 23), ...generate(300, 24, uniformItems)];
    const res = discriminatorFilter(real, mixed, { seed: 3, keepShare: 0.5 });
    assert.equal(res.keep.length, 300);
    assert.equal(res.weights.length, 300);
    const fromReal = arr(res.keep).filter((k) => k < 300).length;
    assert.ok(fromReal > 240, `kept ${fromReal}/300 realistic samples`);
    const before = distributionReport(real, mixed);
    const after = distributionReport(real, pick(mixed, res.keep));
    assert.ok(after.transitions.tv < before.transitions.tv && after.itemPopularity.tv < before.itemPopularity.tv);
    const again = discriminatorFilter(real, generate(300, 25, uniformItems), { seed: 3, keepShare: 0.5 });
    assert.ok(again.auc > 0.9);
    // Importance weights: mean 1, clipped at 10, higher on the realistic half.
    const iw = arr(res.importanceWeights);
    assert.ok(Math.abs(iw.reduce((s, x) => s + x, 0) / iw.length - 1) < 1e-4);
    assert.ok(Math.max(...iw) <= 10 + 1e-4);
    assert.ok(iw.slice(0, 300).reduce((s, x) => s + x, 0) > 3 * iw.slice(300).reduce((s, x) => s + x, 0));
    assert.equal(res.coefficients.length, res.features.length + 1);
    assert.ok(arr(res.pReal).every((p) => p > 0 && p < 1));
  });

  it('is deterministic by seed', () => {
    const aug = generate(200, 26);
    const a = discriminatorFilter(real, aug, { seed: 9, keepShare: 0.3 });
    const b = discriminatorFilter(real, aug, { seed: 9, keepShare: 0.3 });
    const c = discriminatorFilter(real, aug, { seed: 10, keepShare: 0.3 });
    assert.deepEqual(arr(a.keep), arr(b.keep));
    assert.deepEqual(arr(a.pReal), arr(b.pReal));
    assert.equal(a.auc, b.auc);
    assert.notDeepEqual(arr(a.pReal), arr(c.pReal));
  });
});

describe('alignedTrainView / augmentedSamples', () => {
  it('real users first, then the kept samples in keep order', () => {
    const aug = generate(10, 31);
    const keep = Int32Array.of(2, 2, 7);
    const t = alignedTrainView(real, aug, keep);
    assert.equal(t.numUsers, real.numUsers + 3);
    assert.equal(t.numItems, NUM_ITEMS);
    assert.deepEqual(arr(t.sequence(0)), arr(real.sequence(0)));
    assert.deepEqual(arr(t.sequence(real.numUsers + 1)), arr(aug[2]!));
    assert.deepEqual(arr(t.sequence(real.numUsers + 2)), arr(aug[7]!));
    assert.equal(t.interactionCount, real.interactionCount + 2 * aug[2]!.length + aug[7]!.length);
  });

  it('augmentedSamples splits an expanded view', () => {
    const aug = generate(4, 32);
    const expanded = { train: makeTrainView(NUM_ITEMS, [...realSeqs, ...aug]), sourceUser: Int32Array.of(0, 0, 1, 3) };
    const got = augmentedSamples(expanded);
    assert.deepEqual(got.augmented.map(arr), aug.map(arr));
    assert.deepEqual(arr(got.sourceUser), [0, 0, 1, 3]);
  });
});

describe('rocAuc', () => {
  it('perfect, reversed and tied scores', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
    assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  });
});

describe('option checks', () => {
  const aug = generate(20, 41);
  const isConfig = (field: string) => (e: unknown) => e instanceof ConfigError && e.location.field === field;
  it('ConfigError for empty inputs and bad options', () => {
    const empty = makeTrainView(NUM_ITEMS, [new Int32Array(0), new Int32Array(0)]);
    for (const f of [
      () => popularityMatchingResample(real, [], { seed: 1 }),
      () => lengthMatchingResample(real, [], { seed: 1 }),
      () => discriminatorFilter(real, [], { seed: 1, keepShare: 0.5 }),
      () => alignedTrainView(real, [], new Int32Array(0)),
    ])
      assert.throws(f, isConfig('augmented'));
    for (const f of [
      () => popularityMatchingResample(empty, aug, { seed: 1 }),
      () => lengthMatchingResample(empty, aug, { seed: 1 }),
      () => discriminatorFilter(empty, aug, { seed: 1, keepShare: 0.5 }),
    ])
      assert.throws(f, isConfig('real'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: Number.NaN }), isConfig('seed'));
    assert.throws(() => popularityMatchingResample(real, aug, undefined as never), isConfig('seed'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: 1, size: 0 }), isConfig('size'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: 1, size: 21, replace: false }), isConfig('size'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: 1, clip: 1 }), isConfig('clip'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: 1, weights: new Float32Array(3) }), isConfig('weights'));
    assert.throws(() => popularityMatchingResample(real, aug, { seed: 1, weights: new Float32Array(20) }), isConfig('weights'));
    assert.throws(() => lengthMatchingResample(real, aug, { seed: 1, size: 1.5 }), isConfig('size'));
    assert.throws(() => discriminatorFilter(real, aug, { seed: 1, keepShare: 0 }), isConfig('keepShare'));
    assert.throws(() => discriminatorFilter(real, aug, { seed: 1, keepShare: 1.5 }), isConfig('keepShare'));
    assert.throws(() => discriminatorFilter(real, aug, { seed: 1 } as never), isConfig('keepShare'));
    assert.throws(() => discriminatorFilter(real, aug, { seed: 1, keepShare: 0.5, folds: 1 }), isConfig('folds'));
    assert.throws(() => discriminatorFilter(real, aug.slice(0, 2), { seed: 1, keepShare: 0.5 }), isConfig('folds'));
    assert.throws(() => discriminatorFilter(real, aug, { seed: 1, keepShare: 0.5, sourceUser: new Int32Array(20).fill(real.numUsers) }), isConfig('sourceUser'));
    assert.throws(() => alignedTrainView(real, aug, Int32Array.of(20)), isConfig('keep'));
  });
});
