import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { leaveOneOutSplit, type SequenceDataset, type TrainView } from '../../src/data/index.ts';
import { buildTrainingExamples, makeBatch } from '../../src/models/index.ts';
import { Rng } from '../../src/core/index.ts';

function dataset(seqs: number[][], numItems: number): SequenceDataset {
  return {
    name: 'random',
    userIds: seqs.map((_, i) => `u${i}`),
    itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => `i${i + 1}`)],
    numItems,
    sequences: seqs.map((s) => Int32Array.from(s)),
    checksum: 'test',
  };
}

/** Distinct items per user, so "the target appears in training" can only mean leakage. */
const arbSequences = fc
  .record({ numItems: fc.integer({ min: 8, max: 40 }), users: fc.integer({ min: 1, max: 25 }), seed: fc.integer({ min: 0, max: 1e6 }) })
  .map(({ numItems, users, seed }) => {
    const rng = new Rng(seed);
    const seqs = Array.from({ length: users }, () => {
      const items = Int32Array.from({ length: numItems }, (_, i) => i + 1);
      rng.shuffle(items);
      return [...items.subarray(0, 3 + rng.int(numItems - 3))];
    });
    return { seqs, numItems };
  });

/** Every item any training example or batch (inputs, targets, negatives aside) of user u contains. */
function trainingItemsByUser(train: TrainView, maxLen: number): Map<number, Set<number>> {
  const ex = buildTrainingExamples(train, maxLen);
  const out = new Map<number, Set<number>>();
  ex.users.forEach((u, i) => out.set(u, new Set([...ex.inputs[i]!, ...ex.targets[i]!])));
  const batch = makeBatch(ex, Array.from(ex.users.keys()), maxLen, train.numItems, new Rng(1));
  ex.users.forEach((u, i) => {
    for (let t = 0; t < maxLen; t++) {
      out.get(u)!.add(batch.inputs[i * maxLen + t]!);
      out.get(u)!.add(batch.targets[i * maxLen + t]!);
    }
    out.get(u)!.delete(0);
  });
  return out;
}

function leakedTargets(train: TrainView, cases: readonly { user: number; target: number }[], maxLen: number): number {
  const items = trainingItemsByUser(train, maxLen);
  return cases.filter((c) => items.get(c.user)?.has(c.target)).length;
}

test('no validation or test target reaches the trainer (property)', () => {
  fc.assert(
    fc.property(arbSequences, fc.integer({ min: 2, max: 12 }), ({ seqs, numItems }, maxLen) => {
      const split = leaveOneOutSplit(dataset(seqs, numItems));
      assert.equal(leakedTargets(split.train, split.valid, maxLen), 0);
      assert.equal(leakedTargets(split.train, split.test, maxLen), 0);
    }),
    { numRuns: 200 },
  );
});

test('the leakage check catches a view that exposes the held-out items', () => {
  const seqs = [[1, 2, 3, 4, 5], [6, 7, 8, 9]];
  const split = leaveOneOutSplit(dataset(seqs, 9));
  const leaky: TrainView = { ...split.train, sequence: (u) => Int32Array.from(seqs[u]!), users: () => split.train.users(), numItems: 9, numUsers: 2, interactionCount: 9 };
  assert.equal(leakedTargets(leaky, split.test, 10), 2);
  assert.equal(leakedTargets(leaky, split.valid, 10), 2);
});

test('negatives never include the user\'s training items', () => {
  const split = leaveOneOutSplit(dataset([[1, 2, 3, 4, 5, 6], [2, 3, 4, 7, 8]], 30));
  const ex = buildTrainingExamples(split.train, 8);
  const batch = makeBatch(ex, [0, 1], 8, 30, new Rng(3));
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < 8; t++) {
      const tgt = batch.targets[b * 8 + t]!, neg = batch.negatives![b * 8 + t]!;
      if (tgt === 0) assert.equal(neg, 0);
      else assert.ok(!ex.seen[b]!.has(neg));
    }
  }
});
