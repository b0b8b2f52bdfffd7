import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { leaveOneOutSplit, makeTrainView, type SequenceDataset } from '../../src/data/index.ts';
import { NeuralRecommender, augmentExamples, buildTrainingExamples, infoNce, type TrainingAugmentation } from '../../src/models/index.ts';
import { Parameter, backward } from '../../src/nn/index.ts';

function dataset(users: number, numItems: number, seed: number): SequenceDataset {
  const rng = new Rng(seed);
  const sequences = Array.from({ length: users }, () => {
    // Distinct items per user, so a held-out item never also sits in the user's training part.
    const seen = new Set<number>();
    let it = 1 + rng.int(numItems);
    const len = 5 + rng.int(6);
    while (seen.size < len) {
      it = 1 + ((it + rng.int(3)) % numItems);
      seen.add(it);
    }
    return Int32Array.from(seen);
  });
  return { name: 'tiny', userIds: sequences.map((_, i) => `u${i}`), itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => `i${i}`)], numItems, sequences, checksum: 'x' };
}

const config = { hidden: 8, blocks: 1, heads: 2, maxLen: 10, dropout: 0.2, attnDropout: 0.2, loss: 'ce' };
const weights = (m: NeuralRecommender) => m.network.parameters.map((p) => Array.from(p.data));

/** Reference NT-Xent, straight from the definition, in float64. */
function ntXent(z: number[][], tau: number): number {
  const n = z.length;
  const B = n / 2;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sims = z.map((zj, j) => (j === i ? Number.NEGATIVE_INFINITY : zj.reduce((s, x, k) => s + x * z[i]![k]!, 0) / tau));
    const m = Math.max(...sims);
    const lse = m + Math.log(sims.reduce((s, x) => s + Math.exp(x - m), 0));
    total += lse - sims[i < B ? i + B : i - B]!;
  }
  return total / n;
}

test('infoNce equals NT-Xent from its definition, and its gradient pulls the two views together', () => {
  const rng = new Rng(3);
  const rows = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rng.normal()));
  const z = new Parameter('z', new Float32Array(rows.flat()), [6, 4]);
  const loss = infoNce(z, 0.5);
  assert.ok(Math.abs(loss.item() - ntXent(rows, 0.5)) < 1e-4, `${loss.item()} vs ${ntXent(rows, 0.5)}`);
  backward(loss);
  // A small step against the gradient lowers the loss.
  const stepped = rows.flat().map((x, i) => x - 0.05 * z.grad![i]!);
  const after = ntXent(Array.from({ length: 6 }, (_, i) => stepped.slice(i * 4, i * 4 + 4)), 0.5);
  assert.ok(after < ntXent(rows, 0.5));
  assert.throws(() => infoNce(new Parameter('odd', new Float32Array(12), [3, 4]), 1), /even number of rows/);
});

test('online + contrastive augmentation: deterministic per seed, logged, and the transforms see training parts only', async () => {
  const split = leaveOneOutSplit(dataset(80, 40, 2));
  const seenInputs: Int32Array[] = [];
  const aug = (record: boolean): TrainingAugmentation => ({
    key: 'test-crop',
    online: {
      probability: 0.5,
      transform: (s, r) => {
        if (record) seenInputs.push(s.slice());
        const keep = Math.max(2, Math.floor(s.length * 0.7));
        const start = r.int(s.length - keep + 1);
        return s.slice(start, start + keep);
      },
    },
    contrastive: {
      weight: 0.2,
      temperature: 1,
      transform: (s, r) => {
        if (record) seenInputs.push(s.slice());
        return s.length > 1 ? s.slice(r.int(s.length - 1)) : s.slice();
      },
    },
  });
  const a = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const b = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const plain = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const ra = await a.fit(split.train, { seed: 1, epochs: 2, augmentation: aug(true) });
  await b.fit(split.train, { seed: 1, epochs: 2, augmentation: aug(false) });
  await plain.fit(split.train, { seed: 1, epochs: 2 });
  assert.deepEqual(weights(a), weights(b));
  assert.notDeepEqual(weights(a), weights(plain));
  assert.ok(ra.epochs.every((e) => typeof e.contrastiveLoss === 'number' && e.contrastiveLoss > 0));
  // Every sequence a transform saw is (a window of) some user's training part: it never holds
  // that user's validation or test item.
  const trainParts = split.train.users().map((u) => split.train.sequence(u));
  for (const s of seenInputs) {
    const owner = trainParts.findIndex((t) => t.length >= s.length && t.join(',').includes(s.join(',')));
    assert.ok(owner >= 0, `transform input ${s} is no training window`);
  }
  const all = new Set(trainParts.flatMap((t) => Array.from(t)));
  for (const s of seenInputs) for (const x of s) assert.ok(all.has(x));
});

test('the mask token needs maskToken: true, and GRU4Rec has no contrastive objective', async () => {
  const split = leaveOneOutSplit(dataset(40, 30, 4));
  const maskAll: TrainingAugmentation = { key: 'm', contrastive: { weight: 0.1, temperature: 1, transform: (s) => s.map((_, i) => (i === 0 ? 31 : s[i]!)) } };
  await assert.rejects(new NeuralRecommender('sasrec', config, { batchSize: 16 }).fit(split.train, { seed: 0, epochs: 1, augmentation: maskAll }), (e: unknown) => e instanceof ConfigError && /maskToken: true/.test(e.message));
  const withMask = new NeuralRecommender('sasrec', { ...config, maskToken: true }, { batchSize: 16 });
  await withMask.fit(split.train, { seed: 0, epochs: 1, augmentation: maskAll });
  // The mask row is input-only: scores still cover padding + the 30 real items.
  assert.equal(withMask.scoreAll([Int32Array.of(1, 2)]).length, 31);
  await assert.rejects(
    new NeuralRecommender('gru4rec', { hidden: 8, maxLen: 10, loss: 'ce' }, { batchSize: 16 }).fit(split.train, { seed: 0, epochs: 1, augmentation: maskAll }),
    /does not support a contrastive objective/,
  );
  const badOnline: TrainingAugmentation = { key: 'o', online: { probability: 1, transform: (s) => s.map(() => 31) } };
  await assert.rejects(new NeuralRecommender('sasrec', config, { batchSize: 16 }).fit(split.train, { seed: 0, epochs: 1, augmentation: badOnline }), /outside 1\.\.30/);
});

test('property: online augmentation with a real-data pipeline never trains on a validation or test target', async () => {
  // The trainer's batches are built only from what the transforms return on training parts; with
  // distinct items per user, a user's held-out items can enter only through another user.
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (seed) => {
      const split = leaveOneOutSplit(dataset(20, 200, seed));
      const heldOutByUser = new Map<number, Set<number>>();
      for (const c of [...split.valid, ...split.test]) {
        const set = heldOutByUser.get(c.user) ?? new Set<number>();
        set.add(c.target);
        heldOutByUser.set(c.user, set);
      }
      const byContent = new Map(split.train.users().map((u) => [split.train.sequence(u).join(','), u]));
      let checked = 0;
      const aug: TrainingAugmentation = {
        key: 'rev',
        online: {
          probability: 1,
          transform: (s) => {
            const u = byContent.get(s.join(','));
            assert.ok(u !== undefined, 'online transform got a sequence that is not a training part');
            for (const x of s) assert.ok(!heldOutByUser.get(u)!.has(x));
            checked++;
            return s.slice().reverse();
          },
        },
      };
      await new NeuralRecommender('sasrec', { ...config, hidden: 4, heads: 1 }, { batchSize: 8 }).fit(split.train, { seed, epochs: 1, augmentation: aug });
      assert.ok(checked > 0);
    }),
    { numRuns: 5 },
  );
});

test('sample weights: validated, part of the run, all-ones equals no weights, and they change training', async () => {
  const split = leaveOneOutSplit(dataset(60, 30, 6));
  const n = split.train.numUsers;
  const fit = async (loss: 'ce' | 'bce', sampleWeights?: Float32Array) => {
    const m = new NeuralRecommender('sasrec', { ...config, loss }, { batchSize: 16 });
    const r = await m.fit(split.train, { seed: 3, epochs: 2, ...(sampleWeights ? { sampleWeights } : {}) });
    return { w: weights(m).flat(), loss: r.epochs.map((e) => e.loss) };
  };
  for (const loss of ['ce', 'bce'] as const) {
    const plain = await fit(loss);
    const ones = await fit(loss, new Float32Array(n).fill(1));
    for (let i = 0; i < plain.w.length; i++) assert.ok(Math.abs(plain.w[i]! - ones.w[i]!) < 1e-4, `${loss}: all-ones weights drift at ${i}`);
    const skewed = Float32Array.from({ length: n }, (_, u) => (u % 3 === 0 ? 0 : 1.5));
    const a = await fit(loss, skewed);
    const b = await fit(loss, skewed);
    assert.deepEqual(a.w, b.w, `${loss}: deterministic per seed`);
    assert.ok(a.w.some((x, i) => Math.abs(x - plain.w[i]!) > 1e-3), `${loss}: weights change training`);
  }
  const m = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const bad = async (w: Float32Array, field: RegExp) =>
    assert.rejects(m.fit(split.train, { seed: 0, epochs: 1, sampleWeights: w }), (e: unknown) => e instanceof ConfigError && field.test(e.location.field ?? ''));
  await bad(new Float32Array(n - 1).fill(1), /^sampleWeights$/);
  await bad(Float32Array.from({ length: n }, (_, u) => (u === 4 ? -1 : 1)), /^sampleWeights\[4\]$/);
  await bad(Float32Array.from({ length: n }, (_, u) => (u === 2 ? Number.NaN : 1)), /^sampleWeights\[2\]$/);
  await bad(new Float32Array(n), /^sampleWeights$/);
});

test('online keepTargets: the view replaces the inputs only, targets stay the real next items', async () => {
  const split = leaveOneOutSplit(dataset(30, 30, 7));
  const ex = buildTrainingExamples(split.train, 10);
  const maskFirst = (s: Int32Array) => s.map((x, i) => (i === 0 ? 31 : x));
  const out = augmentExamples(ex, { probability: 1, keepTargets: true, transform: maskFirst }, 10, 30, new Rng(1), 31);
  for (let e = 0; e < ex.users.length; e++) {
    assert.deepEqual(out.targets[e], ex.targets[e], 'targets must not change');
    const seq = ex.sequences[e]!;
    assert.deepEqual(Array.from(out.inputs[e]!), [31, ...Array.from(seq.subarray(1, seq.length - 1))]);
  }
  // Without keepTargets the same transform would train on the mask token as a label: refused.
  assert.throws(() => augmentExamples(ex, { probability: 1, transform: maskFirst }, 10, 30, new Rng(1), 31), /outside 1\.\.30/);
  // A network without a mask row cannot take the mask token as input.
  assert.throws(() => augmentExamples(ex, { probability: 1, keepTargets: true, transform: maskFirst }, 10, 30, new Rng(1)), /maskToken: true/);
  // Length-changing steps cannot keep targets aligned.
  assert.throws(
    () => augmentExamples(ex, { probability: 1, keepTargets: true, transform: (s) => s.subarray(1) }, 10, 30, new Rng(1), 31),
    (e: unknown) => e instanceof ConfigError && /length-preserving/.test(e.message),
  );
  // End to end: trains with a mask-token network, deterministic per seed.
  const aug: TrainingAugmentation = { key: 'km', online: { probability: 1, keepTargets: true, transform: maskFirst } };
  const a = new NeuralRecommender('sasrec', { ...config, maskToken: true }, { batchSize: 16 });
  const b = new NeuralRecommender('sasrec', { ...config, maskToken: true }, { batchSize: 16 });
  await a.fit(split.train, { seed: 3, epochs: 2, augmentation: aug });
  await b.fit(split.train, { seed: 3, epochs: 2, augmentation: aug });
  assert.deepEqual(weights(a), weights(b));
});

test('a warm-up phase trains exactly its flagged users, then the others; validated, part of the fingerprint', async () => {
  const split = leaveOneOutSplit(dataset(60, 30, 11));
  const n = split.train.numUsers;
  const seqs = split.train.users().map((u) => split.train.sequence(u));
  // Users 0…39 play the real users, 40…59 the synthetic ones.
  const isReal = (u: number) => u < 40;
  const flags = (pick: (u: number) => boolean) => Uint8Array.from({ length: n }, (_, u) => (pick(u) ? 1 : 0));
  const fitOn = async (view: typeof split.train, epochs: number, warmup?: { epochs: number; during: Uint8Array; after: Uint8Array }) => {
    const m = new NeuralRecommender('sasrec', config, { batchSize: 16 });
    const r = await m.fit(view, { seed: 5, epochs, ...(warmup ? { warmup } : {}) });
    return { w: weights(m).flat(), r };
  };
  // The warm-up phase is training on the flagged users alone (same RNG streams: a shuffle's
  // permutation does not depend on the values it moves), and the phase after it likewise.
  const synthetic = await fitOn(makeTrainView(split.train.numItems, seqs.slice(40)), 2);
  const warmed = await fitOn(split.train, 2, { epochs: 2, during: flags((u) => !isReal(u)), after: flags(isReal) });
  assert.deepEqual(warmed.w, synthetic.w, 'pre-training = training on the synthetic users alone');
  const real = await fitOn(makeTrainView(split.train.numItems, seqs.slice(0, 40)), 3);
  const after = await fitOn(split.train, 3, { epochs: 1, during: flags(isReal), after: flags(isReal) });
  assert.deepEqual(after.w, real.w, 'after the warm-up only the users flagged `after` train');
  const mixed = await fitOn(split.train, 3, { epochs: 1, during: flags(() => true), after: flags(isReal) });
  assert.notDeepEqual(mixed.w, real.w);

  const m = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const bad = (w: { epochs: number; during: Uint8Array; after: Uint8Array }, field: RegExp) =>
    assert.rejects(m.fit(split.train, { seed: 0, epochs: 1, warmup: w }), (e: unknown) => e instanceof ConfigError && field.test(e.location.field ?? ''));
  await bad({ epochs: 0, during: flags(isReal), after: flags(isReal) }, /^warmup\.epochs$/);
  await bad({ epochs: 1, during: new Uint8Array(n - 1).fill(1), after: flags(isReal) }, /^warmup\.during$/);
  await bad({ epochs: 1, during: flags(isReal), after: new Uint8Array(n) }, /^warmup\.after$/);
});

test('a warm-up is not validated, cannot be the best epoch, and patience counts from its end', async () => {
  const split = leaveOneOutSplit(dataset(40, 30, 12));
  const n = split.train.numUsers;
  const all = new Uint8Array(n).fill(1);
  // A validation score that only falls: without the warm-up rule the loop would stop after
  // epoch 1 + patience and keep epoch 1.
  let calls = 0;
  const validate = () => {
    calls++;
    return { score: 1 / calls, metrics: { 'NDCG@20': 1 / calls } };
  };
  const m = new NeuralRecommender('sasrec', config, { batchSize: 16 });
  const r = await m.fit(split.train, { seed: 1, epochs: 20, patience: 2, validate, warmup: { epochs: 4, during: all, after: all } });
  assert.equal(calls, 3, 'validated from epoch 5 on, stopped 2 epochs after it');
  assert.equal(r.bestEpoch, 5);
  assert.equal(r.epochs.length, 7);
  assert.ok(r.epochs.slice(0, 4).every((e) => e.valid === undefined));
  assert.ok(r.epochs.slice(4).every((e) => e.valid !== undefined));
});
