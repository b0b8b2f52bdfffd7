/**
 * Misspellings: the edit classifier, and the calibration of the `typo` operator against the real
 * misspellings of Home Depot queries (a slice; bench/text-augment.ts reports the full table).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.ts';
import { applyTypo, augmentTexts, BARE_TEXT_CONTEXT, buildTextPipeline, classifyEdit, isKeyboardNeighbour, measureMisspellings, TYPO_KINDS, wordCounts } from '../../../src/augment/index.ts';
import { homeDepotFixture } from './fixtures.ts';

describe('edit classification', () => {
  it('names each kind of one-edit misspelling', () => {
    assert.equal(classifyEdit('ourdoor', 'outdoor'), 'keyboard-substitution');
    assert.equal(classifyEdit('stell', 'steel'), 'other-substitution');
    assert.equal(classifyEdit('toliet', 'toilet'), 'transposition');
    assert.equal(classifyEdit('fece', 'fence'), 'deletion');
    assert.equal(classifyEdit('sinnk', 'sink'), 'doubling');
    assert.equal(classifyEdit('hindges', 'hinges'), 'insertion');
    assert.equal(classifyEdit('sink', 'sink'), undefined);
    assert.equal(classifyEdit('snik', 'sinks'), undefined);
    assert.ok(isKeyboardNeighbour('a', 's') && !isKeyboardNeighbour('a', 'p'));
  });

  it('applyTypo makes the edit classifyEdit recognises', () => {
    const rng = new Rng(3);
    for (const kind of TYPO_KINDS) {
      const w = 'plumbing';
      const pos = 1 + rng.int(5);
      const char = kind === 'keyboard-substitution' ? 'y' : kind === 'other-substitution' ? 'q' : kind === 'insertion' ? 'z' : '';
      const typed = applyTypo(w, { kind, pos: kind === 'keyboard-substitution' ? 7 : pos, char: kind === 'keyboard-substitution' ? 'h' : char });
      assert.equal(classifyEdit(typed, w), kind, `${kind}: ${typed}`);
    }
  });

  it('counts plural variants as inflections, not misspellings', () => {
    const r = measureMisspellings(['brackets', 'bracket', 'brakcet'], new Map([['bracket', 3]]));
    assert.equal(r.tokens, 3);
    assert.equal(r.inflections, 1);
    assert.equal(r.misspelled, 1);
    assert.equal(r.kinds.transposition, 1);
  });
});

describe('one-letter words', () => {
  it('minLength 1 with the first letter kept: the character operators run on one-letter words (no edit where none is possible)', () => {
    const texts = ['a b c', 'x', 'i o u e'];
    for (const op of ['keyboard_typo', 'transpose_chars', 'drop_char', 'double_char']) {
      const p = buildTextPipeline({ steps: [{ op, rate: 1, minLength: 1 }] });
      const out = augmentTexts(texts, p, BARE_TEXT_CONTEXT, { seed: 2, views: 3 }).map((r) => r.text);
      assert.equal(out.length, 9, op);
      // Every edit of these kinds would have to change the kept first letter: the words come out whole.
      for (const [i, t] of out.entries()) assert.equal(t, texts[Math.floor(i / 3)], `${op}: ${t}`);
    }
  });
});

describe('typo calibration on Home Depot queries', () => {
  it('the fitted typo operator misspells at the real rate with the real mix of kinds', () => {
    const { groups, products, resources } = homeDepotFixture();
    const vocab = wordCounts(groups.flatMap((g) => g.productIds.map((id) => products.get(id)!.title)));
    const queries = groups.map((g) => g.query);
    const real = measureMisspellings(queries, vocab);
    // Start from the queries with their real misspellings: the operator adds its own on top, so measure only what it adds.
    const p = buildTextPipeline({ steps: [{ op: 'typo' }] });
    const augmented = augmentTexts(queries, p, resources, { seed: 1, views: 4 }).map((r) => r.text);
    const aug = measureMisspellings(augmented, vocab);
    const added = aug.misspelled / 4 - real.misspelled;
    const addedRate = added / real.tokens;
    assert.ok(real.rate > 0.02 && real.rate < 0.1, `real rate ${real.rate}`);
    assert.ok(Math.abs(addedRate - real.rate) < 0.15 * real.rate, `added rate ${addedRate.toFixed(4)} vs real ${real.rate.toFixed(4)}`);
    for (const k of TYPO_KINDS) {
      const realShare = real.kinds[k] / real.misspelled;
      const augShare = (aug.kinds[k] / 4 - real.kinds[k]) / added;
      assert.ok(Math.abs(augShare - realShare) < 0.08, `${k}: augmented share ${augShare.toFixed(3)} vs real ${realShare.toFixed(3)}`);
    }
  });
});
