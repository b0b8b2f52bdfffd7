/**
 * Leakage guard. For random datasets (items distinct within each user) and random pipelines, after
 * leaveOneOutSplit:
 *  1. nothing an augmented sample of user u contains comes from u's validation/test interactions:
 *     every item is u's own training item, the mask token, or an item a similarity step put there —
 *     and those come from the similarity table, which only holds items seen in training;
 *     so for pipelines of local operators, u's validation/test targets never appear at all;
 *  2. no item whose first appearance is in validation/test appears in any sample or any
 *     similarity table (as a row with neighbours or as a neighbour).
 * A similarity step can pick, by chance, an item that is u's test target *and* another user's
 * training item: that item is chosen without any knowledge of u's target (the table is fitted on
 * training data only), so it is not leakage; property 1 checks exactly that provenance.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { leaveOneOutSplit, makeTrainView, type SequenceDataset } from '../../src/data/index.ts';
import { buildPipeline, expandSequences, expandTrainViewDetailed, fitItemSimilarity, itemAttributesFromObject, neighborsOf, similarityFromEmbeddings, type ItemSimilarity, type StepSpec } from '../../src/augment/index.ts';
import { Rng } from '../../src/core/index.ts';

const NUM_ITEMS = 30;
const datasetArb = fc.array(fc.uniqueArray(fc.integer({ min: 1, max: NUM_ITEMS }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 });

const ratio = fc.double({ min: 0.05, max: 1, noNaN: true });
const p = fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
const local: fc.Arbitrary<StepSpec> = fc.oneof(
  fc.record({ op: fc.constant('crop'), ratio, p }),
  fc.record({ op: fc.constant('mask'), ratio, p }),
  fc.record({ op: fc.constant('reorder'), ratio, p }),
  fc.record({ op: fc.constant('reverse'), ratio, p }),
  fc.record({ op: fc.constant('delete'), ratio, p }),
  fc.record({ op: fc.constant('duplicate'), ratio, maxLength: fc.integer({ min: 0, max: 15 }), p }),
);
const correlated: fc.Arbitrary<StepSpec> = fc.oneof(
  fc.record({ op: fc.constant('insert'), ratio, topN: fc.integer({ min: 1, max: 4 }), sameAttribute: fc.boolean(), p }),
  fc.record({ op: fc.constant('substitute'), ratio, topN: fc.integer({ min: 1, max: 4 }), sameAttribute: fc.boolean(), p }),
);
function stepArb(leaf: fc.Arbitrary<StepSpec>): fc.Arbitrary<StepSpec> {
  const list = fc.array(leaf, { minLength: 1, maxLength: 3 });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: list.map((steps) => ({ op: 'one_of', steps })) },
    { weight: 1, arbitrary: list.chain((steps) => fc.integer({ min: 1, max: steps.length }).map((n) => ({ op: 'some_of', n, steps }))) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('by_length'), threshold: fc.integer({ min: 0, max: 6 }), short: leaf, long: leaf }) },
  );
}
const pipelineArb = (leaf: fc.Arbitrary<StepSpec>) =>
  fc.tuple(fc.array(stepArb(leaf), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([steps, pre]) => ({ steps: pre ? [...steps, { op: 'prefixes', maxOutputs: 3 }] : steps }));

function makeDataset(seqs: number[][]): SequenceDataset {
  return { name: 'gen', userIds: seqs.map((_, u) => `u${u}`), itemIds: ['<pad>', ...Array.from({ length: NUM_ITEMS }, (_, i) => `i${i + 1}`)], numItems: NUM_ITEMS, sequences: seqs.map((s) => Int32Array.from(s)), checksum: 'x' };
}

/** Random attributes for the attribute-aware variants (deterministic per item). */
const attributesFor = (d: SequenceDataset) => itemAttributesFromObject(Object.fromEntries(Array.from({ length: NUM_ITEMS }, (_, i) => [`i${i + 1}`, [i % 3, (i * 7) % 5 + 10]])), d.itemIds);

/**
 * An adversarial "trained model" embedding: random rows, except that every item's row is a copy of
 * item 1's — so, were held-out items not excluded, they would be everybody's nearest neighbours.
 */
function adversarialEmbedding(seed: number, d = 4): Float32Array {
  const rng = new Rng(seed);
  const e = new Float32Array((NUM_ITEMS + 1) * d);
  for (let i = 0; i < e.length; i++) e[i] = rng.next() - 0.5;
  for (let i = 2; i <= NUM_ITEMS; i += 2) e.copyWithin(i * d, d, 2 * d);
  return e;
}

type SimilaritySource = 'itemcf-iuf' | 'model-embedding';

function check(seqs: number[][], spec: { steps: StepSpec[] }, seed: number, localOnly: boolean, source: SimilaritySource = 'itemcf-iuf'): void {
  const d = makeDataset(seqs);
  const split = leaveOneOutSplit(d);
  const mask = NUM_ITEMS + 1;
  const trainOf = seqs.map((_, u) => new Set(split.train.sequence(u)));
  const trainItems = new Set<number>();
  for (const s of trainOf) for (const x of s) trainItems.add(x);
  const heldOut = new Map<number, Set<number>>(); // user → valid/test targets
  for (const c of [...split.valid, ...split.test]) heldOut.set(c.user, (heldOut.get(c.user) ?? new Set()).add(c.target));
  const firstInEval = new Set<number>();
  for (const t of heldOut.values()) for (const x of t) if (!trainItems.has(x)) firstInEval.add(x);

  const sim: ItemSimilarity =
    source === 'itemcf-iuf' ? fitItemSimilarity(split.train, { kind: 'itemcf-iuf', topK: 5 }) : similarityFromEmbeddings(adversarialEmbedding(seed), { numItems: NUM_ITEMS, topK: 5, train: split.train });
  for (let i = 1; i <= NUM_ITEMS; i++) {
    const nb = neighborsOf(sim, i);
    if (firstInEval.has(i)) assert.equal(nb.length, 0, `held-out item ${i} has a similarity row`);
    for (const j of nb) assert.ok(!firstInEval.has(j), `held-out item ${j} is a neighbour of ${i}`);
  }
  const attributes = attributesFor(d);
  const pipeline = buildPipeline(spec);
  for (const s of expandSequences(split.train, pipeline, { views: 2, seed, similarity: sim, attributes })) {
    const u = s.sourceUser;
    const own = trainOf[u]!;
    const injected = new Set<number>();
    for (const e of s.chain) if (e.op === 'insert' || e.op === 'substitute') for (const x of (e.params as { items: number[] }).items) injected.add(x);
    for (const x of injected) assert.ok(trainItems.has(x), `injected item ${x} is not a training item`);
    for (const x of s.items) {
      assert.ok(!firstInEval.has(x), `item ${x} first seen in valid/test appears in a sample of user ${u}`);
      assert.ok(own.has(x) || x === mask || injected.has(x), `item ${x} in a sample of user ${u} has no training provenance`);
      if (localOnly || !injected.has(x)) assert.ok(!heldOut.get(u)?.has(x), `valid/test target ${x} of user ${u} appears in its sample`);
    }
  }
  // The TrainView fed to trainers: same guarantees.
  const ex = expandTrainViewDetailed(split.train, pipeline, { views: 1, seed, similarity: sim, attributes, maskToken: 'strip' });
  for (let k = 0; k < ex.sourceUser.length; k++) {
    const u = ex.sourceUser[k]!;
    for (const x of ex.train.sequence(split.train.numUsers + k)) {
      assert.ok(!firstInEval.has(x));
      if (localOnly) assert.ok(!heldOut.get(u)?.has(x));
    }
  }
}

describe('leakage guard (property)', () => {
  it('local-operator pipelines: no valid/test target of a user in its samples, no held-out item anywhere', () => {
    fc.assert(fc.property(datasetArb, pipelineArb(local), fc.integer({ min: 0, max: 1000 }), (seqs, spec, seed) => check(seqs, spec, seed, true)), { numRuns: 150 });
  });
  it('pipelines with ItemCF-IUF insert/substitute: every item has training provenance; held-out items never appear', () => {
    fc.assert(fc.property(datasetArb, pipelineArb(fc.oneof(local, correlated)), fc.integer({ min: 0, max: 1000 }), (seqs, spec, seed) => check(seqs, spec, seed, false)), { numRuns: 150 });
  });
  it('pipelines with model-embedding insert/substitute (adversarial embeddings): the same guarantees', () => {
    fc.assert(fc.property(datasetArb, pipelineArb(fc.oneof(local, correlated)), fc.integer({ min: 0, max: 1000 }), (seqs, spec, seed) => check(seqs, spec, seed, false, 'model-embedding')), { numRuns: 150 });
  });
  it('the embedding check catches a table built without the training filter', () => {
    const d = makeDataset([[1, 2, 3], [5, 6]]);
    const split = leaveOneOutSplit(d);
    const leaky = similarityFromEmbeddings(adversarialEmbedding(0), { numItems: NUM_ITEMS, topK: 5 });
    assert.ok([...neighborsOf(leaky, 1)].some((j) => j === 2), 'without the filter, held-out item 2 is a neighbour');
    const clean = similarityFromEmbeddings(adversarialEmbedding(0), { numItems: NUM_ITEMS, topK: 5, train: split.train });
    assert.equal(neighborsOf(clean, 2).length, 0);
    for (let i = 1; i <= NUM_ITEMS; i++) for (const j of neighborsOf(clean, i)) assert.ok([1, 5, 6].includes(j));
  });
  it('the check catches a leaky similarity (fitted on full sequences)', () => {
    // user 0: 1 2 3 → train [1], valid 2, test 3; user 1: 5 6 → all train. Item 3 appears only in test.
    const d = makeDataset([[1, 2, 3], [5, 6]]);
    const leaky = fitItemSimilarity(makeTrainView(NUM_ITEMS, d.sequences), { kind: 'itemcf-iuf', topK: 5 });
    const split = leaveOneOutSplit(d);
    const samples = [...expandSequences(split.train, buildPipeline({ steps: [{ op: 'substitute', ratio: 1, topN: 2 }] }), { views: 20, seed: 0, similarity: leaky })];
    assert.ok(samples.some((s) => s.items.includes(3) || s.items.includes(2)), 'a leaky table does inject held-out items');
    const clean = fitItemSimilarity(split.train, { kind: 'itemcf-iuf', topK: 5 });
    assert.equal(clean.counts[1], 0, 'item 1 has no training co-occurrence');
  });
});
