import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brandList, canonicalQuantity, headIndex, joinTokens, protectedSpans, quantityVariants, tokenize, unitText } from '../../../src/augment/index.ts';

const head = (t: string) => {
  const { units, head: h } = tokenize(t);
  return h >= 0 ? unitText(units[h]!) : undefined;
};

describe('protected spans', () => {
  it('detects models, names, sizes, units and quantities; adjacent ones form one span', () => {
    assert.deepEqual(protectedSpans('iPhone 13 128GB case'), ['iPhone 13 128GB']);
    assert.deepEqual(protectedSpans('2x4 8 ft. lumber'), ['2x4 8 ft.']);
    assert.deepEqual(protectedSpans('128 gb usb drive'), ['128 gb']);
    assert.deepEqual(protectedSpans('1/2 in. copper pipe'), ['1/2 in.']);
    assert.deepEqual(protectedSpans('1/2" pvc elbow'), ['1/2"']);
    assert.deepEqual(protectedSpans('Whirlpool 1.9 cu. ft. Microwave'), ['1.9 cu. ft.']);
    assert.deepEqual(protectedSpans('sink base 36 x 34 x 24 in. white'), ['36 x 34 x 24 in.']);
    assert.deepEqual(protectedSpans('BEHR DeckOver #SC-141 Tugboat'), ['DeckOver #SC-141']);
    assert.deepEqual(protectedSpans('vanity in white'), [], 'a unit word alone is a word');
  });

  it('protects brands from the list (longest phrase, case-insensitive)', () => {
    const brands = brandList(['Simpson Strong-Tie', 'Delta', 'Hampton Bay']);
    assert.deepEqual(protectedSpans('simpson strong-tie angle', brands), ['simpson strong-tie']);
    assert.deepEqual(protectedSpans('hampton bay ceiling fan 52 in.', brands), ['hampton bay', '52 in.']);
    assert.deepEqual(protectedSpans('Delta faucet', brands), ['Delta']);
    assert.deepEqual(protectedSpans('delta faucet'), [], 'no list, no brand');
  });

  it('segments Chinese with jieba and protects numbers with Chinese units', () => {
    assert.deepEqual(protectedSpans('象印不锈钢保温杯500毫升'), ['500毫升']);
    assert.deepEqual(protectedSpans('苹果 iPhone 13 128GB 手机'), ['iPhone 13 128GB']);
    assert.equal(joinTokens(['不锈钢', '保温杯', 'iPhone', '13']), '不锈钢保温杯iPhone 13');
  });
});

describe('head term', () => {
  it('is the last content word before a qualifier, skipping colours', () => {
    assert.equal(head('cordless drill for wood'), 'drill');
    assert.equal(head('rain shower head'), 'head');
    assert.equal(head('kitchen faucet chrome'), 'faucet');
    assert.equal(head('vanity with top in white'), 'vanity');
    assert.equal(head('iPhone 13 128GB'), undefined);
    assert.equal(head('小米 5G 手机 黑色'), '手机');
    assert.equal(headIndex([]), -1);
  });
});

describe('quantities', () => {
  it('gives the variants the issue names, all of the same value', () => {
    const texts = (ts: string[]) => quantityVariants(ts).map((v) => v.join(' '));
    assert.ok(texts(['128', 'gb']).includes('128GB'));
    assert.ok(texts(['128GB']).includes('128 gb'));
    const half = texts(['1/2', 'in.']);
    for (const w of ['0.5 inch', '1/2"']) assert.ok(half.includes(w), `${w} in ${half.join(' | ')}`);
    assert.ok(texts(['2x4']).includes('2 x 4'));
    for (const v of quantityVariants(['1-1/2', 'in.'])) assert.equal(canonicalQuantity(v), '1.5 in');
    assert.equal(canonicalQuantity(['8', 'feet']), canonicalQuantity(["8'"]));
    assert.deepEqual(quantityVariants(['13']), [], 'a bare number has no unit to vary');
  });
});
