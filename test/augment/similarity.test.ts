import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, DataValidationError } from '../../src/core/errors.ts';
import { makeTrainView, readSequenceText } from '../../src/data/index.ts';
import { fitItemSimilarity, similarityFromEmbeddings, neighborsOf, loadItemAttributes, itemAttributesFromObject, shareAttribute } from '../../src/augment/index.ts';
import { arr, seq, tempDir } from './helpers.ts';
import { writeFileSync } from 'node:fs';

const train = makeTrainView(7, [seq(1, 2, 3), seq(1, 2), seq(4, 5, 6), seq(5, 6), seq(), seq(2, 2, 2)]);

describe('ItemCF-IUF', () => {
  const sim = fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 5 });
  it('matches the formula on a hand example (repeats count once per user)', () => {
    // N(1) = {u0,u1}, N(2) = {u0,u1,u5}, N(3) = {u0}; |N(u0)|=3, |N(u1)|=2.
    const s12 = (1 / Math.log(4) + 1 / Math.log(3)) / Math.sqrt(2 * 3);
    const s13 = 1 / Math.log(4) / Math.sqrt(2 * 1);
    const s23 = 1 / Math.log(4) / Math.sqrt(3 * 1);
    assert.deepEqual(arr(neighborsOf(sim, 1)), s12 > s13 ? [2, 3] : [3, 2]);
    const sc = (i: number, j: number) => sim.scores[i * sim.topK + arr(neighborsOf(sim, i)).indexOf(j)]!;
    assert.ok(Math.abs(sc(1, 2) - s12) < 1e-6);
    assert.ok(Math.abs(sc(1, 3) - s13) < 1e-6);
    assert.ok(Math.abs(sc(3, 2) - s23) < 1e-6);
    assert.ok(Math.abs(sc(2, 1) - s12) < 1e-6, 'symmetric');
  });
  it('no self-neighbours; untrained items have none and are nobody’s neighbour', () => {
    for (let i = 1; i <= 7; i++) assert.ok(!arr(neighborsOf(sim, i)).includes(i));
    assert.equal(sim.counts[7], 0);
    for (let i = 1; i <= 7; i++) assert.ok(!arr(neighborsOf(sim, i)).includes(7));
    assert.deepEqual(arr(neighborsOf(sim, 0)), []);
  });
  it('topK caps the list, best first, ties by smaller id; deterministic', () => {
    const s1 = fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 1 });
    assert.equal(s1.counts[1], 1);
    assert.equal(neighborsOf(s1, 1)[0], neighborsOf(sim, 1)[0]);
    // 5 and 6 co-occur identically with 4 → tie → 5 first
    assert.deepEqual(arr(neighborsOf(sim, 4)), [5, 6]);
    assert.deepEqual(fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 5 }), sim);
  });
  it('bad options are ConfigErrors', () => {
    assert.throws(() => fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 0 }), ConfigError);
    assert.throws(() => fitItemSimilarity(train, { kind: 'nope' as never }), /itemcf-iuf, attribute-jaccard/);
    assert.throws(() => fitItemSimilarity(train, { kind: 'attribute-jaccard' }), ConfigError);
  });
});

describe('embedding cosine', () => {
  // 4 items, d = 2: 1 ≈ 2, 3 ≈ 4, 1 ⟂ 3
  const emb = Float32Array.from([0, 0, 1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]);
  it('top-k by cosine; restricted to training items when a view is given', () => {
    const s = similarityFromEmbeddings(emb, { numItems: 4, topK: 2 });
    assert.deepEqual(arr(neighborsOf(s, 1)), [2, 4]);
    assert.deepEqual(arr(neighborsOf(s, 3)), [4, 2]);
    const r = similarityFromEmbeddings(emb, { numItems: 4, topK: 2, train: makeTrainView(4, [seq(1, 2, 3)]) });
    assert.deepEqual(arr(neighborsOf(r, 1)), [2]);
    assert.equal(r.counts[4], 0);
  });
  it('a matrix of the wrong shape is a ConfigError', () => {
    assert.throws(() => similarityFromEmbeddings(new Float32Array(9), { numItems: 4 }), /not a \[numItems\+1 = 5, d\] matrix/);
  });
});

describe('item attributes', () => {
  const ids = ['<pad>', 'x', 'y', 'z', 'w'];
  it('maps external ids to dense ids and counts what did not match', () => {
    const a = itemAttributesFromObject({ x: [10, 11], y: [11], q: [1], w: [12, 12] }, ids);
    assert.equal(a.numItems, 4);
    assert.equal(a.unmatched, 1);
    assert.equal(a.missing, 1);
    assert.ok(shareAttribute(a, 1, 2));
    assert.ok(!shareAttribute(a, 1, 4));
    assert.ok(!shareAttribute(a, 3, 1));
    assert.equal(a.offsets[5]! - a.offsets[4]!, 1, 'duplicates collapse');
  });
  it('attribute-jaccard over training items only', () => {
    const a = itemAttributesFromObject({ x: [10, 11], y: [11], z: [10, 11], w: [11] }, ids);
    const s = fitItemSimilarity(makeTrainView(4, [seq(1, 2, 3)]), { kind: 'attribute-jaccard', topK: 3, attributes: a });
    assert.deepEqual(arr(neighborsOf(s, 1)), [3, 2]); // J(x,z) = 1, J(x,y) = 1/2; w not in training
    assert.equal(s.counts[4], 0);
  });
  it('bad files are DataValidationErrors naming the file', () => {
    const t = tempDir();
    try {
      writeFileSync(t.path('a.json'), '[1,2]');
      assert.throws(() => loadItemAttributes(t.path('a.json'), ids), (e: unknown) => e instanceof DataValidationError && e.location.file === t.path('a.json'));
      writeFileSync(t.path('b.json'), '{"x": 3}');
      assert.throws(() => loadItemAttributes(t.path('b.json'), ids), /must be an array/);
      assert.throws(() => loadItemAttributes(t.path('none.json'), ids), /not found/);
    } finally {
      t.cleanup();
    }
  });
  const beauty = resolve('../shared/data/beauty');
  it('loads Beauty_item2attributes.json against Beauty.txt', { skip: !existsSync(`${beauty}/Beauty.txt`) }, async () => {
    const { dataset } = await readSequenceText(`${beauty}/Beauty.txt`);
    const a = loadItemAttributes(`${beauty}/Beauty_item2attributes.json`, dataset.itemIds);
    assert.equal(a.numItems, dataset.numItems);
    assert.ok(a.numAttributes > 100);
    assert.ok(a.missing < dataset.numItems / 2, `most items have attributes (missing ${a.missing})`);
  });
});
