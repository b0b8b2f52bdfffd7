import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  catalogueVocabulary,
  editDistance,
  isLikelyMisspelled,
  misspelledTokens,
  queryFrequencySegmenter,
  queryLength,
  queryLengthSegment,
  tokenize,
  type QueryGroup,
} from '../../../src/data/index.ts';

/** Reference optimal-string-alignment distance, written as the textbook recurrence (no cut-off). */
function osa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 0, maxLength: 7 });
const group = (key: string, n = 1): QueryGroup => ({ query: key, key, productIds: Array.from({ length: n }, (_, i) => `p${i}`), labels: new Float64Array(n) });

describe('editDistance', () => {
  it('equals the OSA recurrence, and with a cut-off reports max + 1 exactly when it is exceeded', () => {
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 3 }), (a, b, max) => {
        const ref = osa(a, b);
        assert.equal(editDistance(a, b), ref);
        assert.equal(editDistance(a, b, max), ref <= max ? ref : max + 1);
      }),
      { numRuns: 400 },
    );
    assert.equal(editDistance('toliet', 'toilet'), 1);
    assert.equal(editDistance('vynal', 'vinyl'), 2);
  });
});

describe('CatalogueVocabulary.candidates', () => {
  it('finds every frequent word within the distance (compared with a full scan)', () => {
    fc.assert(
      fc.property(fc.array(word.filter((w) => w.length > 0), { minLength: 1, maxLength: 30 }), word, fc.integer({ min: 0, max: 2 }), (words, token, d) => {
        const vocab = catalogueVocabulary(words.map((w, i) => ({ id: String(i), title: w })));
        const want = [...vocab.counts.keys()].filter((w) => osa(token, w) <= d).sort();
        const got = vocab.candidates(token, d, 1).filter((w) => editDistance(token, w, d) <= d);
        assert.deepEqual(got, want);
      }),
      { numRuns: 300 },
    );
  });
});

describe('misspellings', () => {
  const products = ['Toilet Seat White', 'Toilet Seat Elongated', 'Toilet Paper Holder', 'Steel Door', 'Steel Shelf', 'Steel Wire Mesh', 'Wire Mesh Roll', 'Vinyl Flooring', 'Vinyl Plank Flooring', 'Vinyl Tile'].map((title, i) => ({
    id: String(i),
    title,
  }));
  const vocab = catalogueVocabulary(products);

  it('flags tokens near a frequent title word and says which word', () => {
    assert.deepEqual(misspelledTokens('toliet seat', vocab, { minCount: 2 }), [{ token: 'toliet', suggestion: 'toilet', distance: 1 }]);
    // A 5-letter token allows one edit only, so Home Depot's 'vynal' (two edits from 'vinyl') is missed on purpose.
    assert.deepEqual(misspelledTokens('vynal flooring', vocab, { minCount: 2 }), []);
    assert.deepEqual(misspelledTokens('vinil flooring', vocab, { minCount: 2 }), [{ token: 'vinil', suggestion: 'vinyl', distance: 1 }]);
    assert.deepEqual(misspelledTokens('vinylle plank', vocab, { minCount: 2 }), [{ token: 'vinylle', suggestion: 'vinyl', distance: 2 }]);
    assert.equal(isLikelyMisspelled('TOILET SEET', vocab, { minCount: 2 }), true);
  });

  it('does not flag known words, plurals, joined words, numbers, rare-word neighbours or far tokens', () => {
    for (const q of ['toilet seat', 'toilet seats', 'steels', 'wiremesh', '2x4 stell', 'zzzzzzz', 'ab']) assert.equal(isLikelyMisspelled(q, vocab, { minCount: 2 }), q === '2x4 stell', q);
    // 'holder' is in one product only: with minCount 2 it is no correction target.
    assert.equal(isLikelyMisspelled('holdr', vocab, { minCount: 2 }), false);
    assert.equal(isLikelyMisspelled('holdr', vocab, { minCount: 1 }), true);
  });

  it('counts each token once per product', () => {
    const v = catalogueVocabulary([{ id: 'a', title: 'Steel steel STEEL' }, { id: 'b', title: 'steel door' }]);
    assert.equal(v.count('steel'), 2);
    assert.equal(v.productCount, 2);
  });
});

describe('query length and frequency segments', () => {
  it('tokenizes on letters and digits', () => {
    assert.deepEqual(tokenize('2x4 8 ft. Stud-Grade'), ['2x4', '8', 'ft', 'stud', 'grade']);
    assert.equal(queryLength('1/2 in. pvc'), 4);
    assert.equal(queryLengthSegment('a b c d e'), '4+');
    assert.equal(queryLengthSegment('+'), '0');
  });

  it('token frequency: the rarest token among the other training queries, thresholds at training quantiles', () => {
    const train = ['deck paint', 'deck stain', 'deck screws', 'wood stain', 'wood glue', 'glue gun', 'zebra rug'].map((k) => group(k));
    const seg = queryFrequencySegmenter(train);
    // Leave-one-out: 'deck paint' → deck 2, paint 0 → 0; 'deck stain' → deck 2, stain 1 → 1.
    assert.deepEqual(
      train.map((g) => seg.frequency(g)),
      [0, 1, 0, 1, 1, 0, 0],
    );
    assert.deepEqual(seg.thresholds, { tailMax: 0, headAbove: 1 });
    // Unseen queries count every training query.
    assert.equal(seg.frequency(group('deck glue')), 2);
    assert.equal(seg.segment(group('deck glue')), 'head');
    assert.equal(seg.segment(group('wood stain')), 'torso');
    assert.equal(seg.segment(group('lamp')), 'tail');
    const byProducts = queryFrequencySegmenter([group('a', 1), group('b', 5), group('c', 9)], { by: 'judged-products' });
    assert.deepEqual(
      [group('x', 1), group('y', 5), group('z', 6)].map((g) => byProducts.segment(g)),
      ['tail', 'torso', 'head'],
    );
  });
});
