import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.ts';
import { makeTrainView } from '../../src/data/index.ts';
import { distributionReport, METRIC_DIRECTIONS } from '../../src/align/index.ts';
import { NUM_ITEMS, allPopular, generate, lengthOne, realView, sequencesOf } from './helpers.ts';

const real = realView();
const realSeqs = sequencesOf(real);

describe('distributionReport', () => {
  it('is 0 (coverage 1) for the real sequences themselves', () => {
    const r = distributionReport(real, realSeqs);
    for (const block of [r.itemPopularity, r.length]) {
      assert.equal(block.tv, 0);
      assert.ok(Math.abs(block.kl) < 1e-12);
      assert.ok(Math.abs(block.js) < 1e-12);
    }
    assert.equal(r.transitions.tv, 0);
    assert.ok(Math.abs(r.transitions.js) < 1e-12);
    assert.equal(r.coverage, 1);
    assert.equal(r.realSequences, realSeqs.length);
    assert.equal(r.directions, METRIC_DIRECTIONS);
    assert.equal(r.coverageDirection, 'higher-is-closer');
  });

  it('with augmentedWeights: weight 2 counts a sequence twice, weight 0 drops it; bad weights are a ConfigError', () => {
    const aug = generate(50, 9);
    const w = Float64Array.from(aug, (_, k) => (k < 10 ? 2 : k < 20 ? 0 : 1));
    const expanded = [...aug.slice(0, 10), ...aug.slice(0, 10), ...aug.slice(20)];
    const a = distributionReport(real, aug, { augmentedWeights: w });
    const b = distributionReport(real, expanded);
    for (const key of ['itemPopularity', 'length'] as const) {
      assert.ok(Math.abs(a[key].tv - b[key].tv) < 1e-12 && Math.abs(a[key].js - b[key].js) < 1e-12, key);
    }
    assert.ok(Math.abs(a.transitions.tv - b.transitions.tv) < 1e-12);
    assert.throws(() => distributionReport(real, aug, { augmentedWeights: w.subarray(1) }), (e: unknown) => e instanceof ConfigError && e.location.field === 'augmentedWeights');
    assert.throws(() => distributionReport(real, aug, { augmentedWeights: w.map((x, k) => (k === 3 ? -1 : x)) }), /augmentedWeights\[3\]/);
  });

  it('is small for an independent draw from the same process, large for skewed sets', () => {
    const same = distributionReport(real, generate(400, 2));
    const popular = distributionReport(real, generate(400, 3, allPopular));
    const short = distributionReport(real, generate(400, 4, lengthOne));
    assert.ok(same.itemPopularity.tv < 0.25 && same.length.tv < 0.15, JSON.stringify(same));
    assert.ok(popular.itemPopularity.tv > 0.6 && popular.itemPopularity.kl > 3 * same.itemPopularity.kl);
    assert.ok(popular.coverage > 0 && popular.coverage < 0.03, String(popular.coverage));
    assert.ok(same.coverage > popular.coverage);
    assert.ok(short.length.tv > 0.8 && short.length.js > 0.5, JSON.stringify(short.length));
    // No transitions at all in a length-1 set: maximally different.
    assert.equal(short.transitions.tv, 1);
    assert.equal(short.transitions.js, 1);
    for (const r of [same, popular, short])
      for (const v of [r.itemPopularity.tv, r.itemPopularity.js, r.length.tv, r.length.js, r.transitions.tv, r.transitions.js]) assert.ok(v >= 0 && v <= 1);
  });

  it('TV and JS are symmetric; KL is not', () => {
    const a = generate(200, 5);
    const b = generate(200, 6, allPopular);
    const ab = distributionReport(makeTrainView(NUM_ITEMS, a), b);
    const ba = distributionReport(makeTrainView(NUM_ITEMS, b), a);
    for (const k of ['itemPopularity', 'length'] as const) {
      assert.ok(Math.abs(ab[k].tv - ba[k].tv) < 1e-12);
      assert.ok(Math.abs(ab[k].js - ba[k].js) < 1e-12);
    }
    assert.ok(Math.abs(ab.transitions.tv - ba.transitions.tv) < 1e-12);
    assert.ok(Math.abs(ab.transitions.js - ba.transitions.js) < 1e-12);
    assert.notEqual(ab.itemPopularity.kl.toFixed(6), ba.itemPopularity.kl.toFixed(6));
  });

  it('hashed transitions approximate the exact ones and report their space', () => {
    const aug = generate(300, 7);
    const exact = distributionReport(real, aug).transitions;
    const hashed = distributionReport(real, aug, { transitionBuckets: 1 << 16 }).transitions;
    assert.equal(exact.space, 'exact');
    assert.equal(hashed.space, 'hashed');
    assert.equal(hashed.cells, 1 << 16);
    assert.ok(hashed.tv <= exact.tv + 1e-12 && exact.tv - hashed.tv < 0.05, `${exact.tv} vs ${hashed.tv}`);
  });
});

describe('distributionReport input checks', () => {
  it('ConfigError for empty inputs and bad options', () => {
    assert.throws(() => distributionReport(real, []), (e: unknown) => e instanceof ConfigError && /empty/.test(e.message));
    assert.throws(() => distributionReport(makeTrainView(NUM_ITEMS, [new Int32Array(0)]), realSeqs), (e: unknown) => e instanceof ConfigError && /no training interactions/.test(e.message));
    assert.throws(() => distributionReport(real, [Int32Array.of(1, NUM_ITEMS + 1)]), (e: unknown) => e instanceof ConfigError && /mask token/.test(e.message));
    assert.throws(() => distributionReport(real, [Int32Array.of(0)]), ConfigError);
    assert.throws(() => distributionReport(real, [[1, 2] as unknown as Int32Array]), ConfigError);
    assert.throws(() => distributionReport(real, realSeqs, { epsilon: -1 }), ConfigError);
    assert.throws(() => distributionReport(real, realSeqs, { transitionBuckets: 0 }), ConfigError);
  });
});
