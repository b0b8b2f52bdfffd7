/**
 * fitSequenceGenerator on a real slice of Beauty with a tiny SASRec: the leakage guarantee (an
 * item first seen in validation/test is never generated), caching, and a pseudo-prior pipeline
 * run end to end through loadPipeline + fitPipelineGenerators.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Rng } from '../../src/core/rng.ts';
import { leaveOneOutSplit, makeTrainView, type SequenceDataset } from '../../src/data/index.ts';
import { expandSequences, generateItems, itemsSeenIn, loadPipeline, neighborsOf } from '../../src/augment/index.ts';
import { NeuralRecommender, type Recommender } from '../../src/models/index.ts';
import { fitPipelineGenerators, fitSequenceGenerator, reversedTrainView, samplerFromRecommender } from '../../src/experiment/generators.ts';
import { beautySlice, hasBeauty } from '../synth/sequence-helpers.ts';

const tiny = { config: { hidden: 16, blocks: 1, heads: 1, maxLen: 20, dropout: 0.2, attnDropout: 0.2 } };

/**
 * The slice, with two new items that occur only as held-out targets: item X is the test target
 * and item Y the validation target of every 10th user with ≥ 3 items.
 */
function sliceWithHeldOutItems(): { dataset: SequenceDataset; heldOut: number[] } {
  const base = beautySlice(500);
  const X = base.numItems + 1, Y = base.numItems + 2;
  const sequences = base.sequences.map((s, u) => {
    if (u % 10 !== 0 || s.length < 3) return s;
    const t = s.slice();
    t[t.length - 1] = X;
    t[t.length - 2] = Y;
    return t;
  });
  return { dataset: { ...base, itemIds: [...base.itemIds, 'X', 'Y'], numItems: base.numItems + 2, sequences }, heldOut: [X, Y] };
}

describe('fitSequenceGenerator (tiny SASRec on a Beauty slice)', { skip: !hasBeauty && 'needs ../shared/data/beauty/Beauty.txt' }, () => {
  it('never generates an item first seen in validation/test, in either direction', async () => {
    const { dataset, heldOut } = sliceWithHeldOutItems();
    const split = leaveOneOutSplit(dataset);
    // Every item only ever held out — the two planted ones and any that happen to occur only as targets.
    const inTrain = itemsSeenIn(dataset.numItems, split.train.users().map((u) => split.train.sequence(u)));
    const onlyHeldOut = new Set([...split.valid, ...split.test].map((c) => c.target).filter((t) => inTrain[t] === 0));
    for (const x of heldOut) assert.ok(onlyHeldOut.has(x));
    const histories = split.train.users().map((u) => split.train.sequence(u)).filter((s) => s.length > 0);
    for (const direction of ['forward', 'reverse'] as const) {
      const g = await fitSequenceGenerator(split.train, { direction, model: tiny, seed: 1, epochs: 1 });
      for (const x of onlyHeldOut) assert.equal(g.allowed?.[x], 0);
      const hs = direction === 'reverse' ? histories.map((h) => h.slice().reverse()) : histories;
      // Hot sampling over every training history: the widest net for a forbidden item.
      const made = generateItems(g, hs, hs.map(() => 3), { temperature: 3, topK: 0, noRepeat: false }, hs.map((_, i) => new Rng(i)));
      for (const m of made) for (const i of m) assert.ok(!onlyHeldOut.has(i) && i >= 1 && i <= dataset.numItems, `${direction}: generated ${i}`);
    }
  });

  it('caches the trained model: a rerun loads it and scores identically; another seed retrains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samplify-gen-'));
    try {
      const split = leaveOneOutSplit(beautySlice(300));
      const a = await fitSequenceGenerator(split.train, { direction: 'reverse', model: tiny, seed: 2, epochs: 1, cacheDir: dir });
      const b = await fitSequenceGenerator(split.train, { direction: 'reverse', model: tiny, seed: 2, epochs: 1, cacheDir: dir });
      const c = await fitSequenceGenerator(split.train, { direction: 'reverse', model: tiny, seed: 3, epochs: 1, cacheDir: dir });
      assert.equal(a.fromCache, false);
      assert.equal(b.fromCache, true);
      assert.equal(c.fromCache, false);
      const h = [split.train.sequence(0), split.train.sequence(5)];
      assert.deepEqual(b.scoreNext(h), a.scoreNext(h));
      assert.notDeepEqual(c.scoreNext(h), a.scoreNext(h));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('processes sharing the cache train a generator once: one that finds it being trained waits and loads it; a dead holder\'s lock is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samplify-gen-lock-'));
    try {
      const split = leaveOneOutSplit(beautySlice(300));
      const o = { direction: 'forward' as const, model: tiny, seed: 4, epochs: 1, cacheDir: dir, claimPollMs: 20 };
      // "Another process" (a live pid) holds the generator's lock while this one asks for it.
      const reference = await fitSequenceGenerator(split.train, { ...o, cacheDir: join(dir, 'reference') });
      const folder = join(dir, reference.dir!.slice(reference.dir!.lastIndexOf('/') + 1));
      const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
      writeFileSync(`${folder}.lock`, String(holder.pid));
      const lines: string[] = [];
      const waiting = fitSequenceGenerator(split.train, { ...o, progress: { line: (l) => void lines.push(l) } });
      for (let t = 0; t < 200 && !lines.some((l) => /another process is training/.test(l)); t++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(lines.some((l) => /another process is training .*; waiting for it/.test(l)), lines.join('\n'));
      // The holder "finishes": its model lands in the cache, then it exits.
      cpSync(reference.dir!, folder, { recursive: true });
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      const got = await waiting;
      assert.equal(got.fromCache, true, 'loaded what the other process trained, not trained again');
      assert.ok(!lines.some((l) => /epoch\s+1\/1/.test(l)));
      // A holder that dies before caching anything: its lock is taken over and the model trained here.
      rmSync(folder, { recursive: true, force: true });
      const dead = spawn('sleep', ['60'], { stdio: 'ignore' });
      writeFileSync(`${folder}.lock`, String(dead.pid));
      const second = fitSequenceGenerator(split.train, o);
      await new Promise((r) => setTimeout(r, 50));
      dead.kill('SIGKILL');
      await new Promise((r) => dead.once('exit', r));
      const trained = await second;
      assert.equal(trained.fromCache, false);
      const h = [split.train.sequence(0), split.train.sequence(5)];
      assert.deepEqual(trained.scoreNext(h), reference.scoreNext(h), 'the same model either way');
      assert.ok(!existsSync(`${folder}.lock`), 'the lock is released');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model-embedding similarity: fitted on the training view, cosine of the trained item embeddings, held-out items unreachable', async () => {
    const { dataset, heldOut } = sliceWithHeldOutItems();
    const split = leaveOneOutSplit(dataset);
    const model = { epochs: 1, seed: 0, config: tiny.config };
    const p = loadPipeline({ version: 1, resources: { similarity: { kind: 'model-embedding', topK: 5, model } }, steps: [{ op: 'substitute', ratio: 0.5 }] }, { train: split.train });
    const dir = mkdtempSync(join(tmpdir(), 'samplify-gen-'));
    try {
      await fitPipelineGenerators(p, split.train, { cacheDir: dir });
      const sim = p.contextFor(split.train).similarity!;
      assert.equal(sim.kind, 'embedding-cosine');
      // The same spec as a forward generator: the cached model, whose embeddings the table is made of.
      const g = await fitSequenceGenerator(split.train, { direction: 'forward', model: { config: model.config }, seed: 0, epochs: 1, cacheDir: dir });
      assert.equal(g.fromCache, true);
      const { data: emb, dim } = (g.recommender as NeuralRecommender).itemEmbeddings();
      const cos = (i: number, j: number): number => {
        let s = 0, a = 0, b = 0;
        for (let k = 0; k < dim; k++) (s += emb[i * dim + k]! * emb[j * dim + k]!), (a += emb[i * dim + k]! ** 2), (b += emb[j * dim + k]! ** 2);
        return s / Math.sqrt(a * b);
      };
      const inTrain = itemsSeenIn(dataset.numItems, split.train.users().map((u) => split.train.sequence(u)));
      const item = split.train.sequence(0)[0]!;
      const best = [...Array(dataset.numItems).keys()].map((j) => j + 1).filter((j) => j !== item && inTrain[j]).sort((x, y) => cos(item, y) - cos(item, x))[0]!;
      assert.equal(neighborsOf(sim, item)[0], best);
      for (const x of heldOut) assert.equal(neighborsOf(sim, x).length, 0);
      for (let i = 1; i <= dataset.numItems; i++) for (const j of neighborsOf(sim, i)) assert.ok(inTrain[j] && !heldOut.includes(j));
      for (const s of expandSequences(split.train, p, { views: 1, seed: 0 })) for (const i of s.items) assert.ok(inTrain[i], `augmented item ${i} is not a training item`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pseudo-prior pipeline runs end to end: declared generator fitted on the training view, short sequences only', async () => {
    const split = leaveOneOutSplit(beautySlice(300));
    const p = loadPipeline({ version: 1, resources: { generators: { reverse: { epochs: 1, seed: 0, config: tiny.config } } }, steps: [{ op: 'pseudo_prior', threshold: 6, k: 4 }] }, { train: split.train });
    const dir = mkdtempSync(join(tmpdir(), 'samplify-gen-'));
    const bound = await fitPipelineGenerators(p, split.train, { cacheDir: dir });
    assert.equal(bound.reverse?.direction, 'reverse');
    const out = [...expandSequences(split.train, p, { views: 1, seed: 0 })];
    // Without the batched prefetch (the same cached model, a fresh sampler): the same expansion.
    const q = loadPipeline(p.spec, { train: split.train });
    await fitPipelineGenerators(q, split.train, { cacheDir: dir, prefetch: false });
    assert.deepEqual([...expandSequences(split.train, q, { views: 1, seed: 0 })].map((s) => Array.from(s.items)), out.map((s) => Array.from(s.items)));
    rmSync(dir, { recursive: true, force: true });
    for (const s of out) {
      const orig = split.train.sequence(s.sourceUser);
      const added = s.items.length - orig.length;
      if (orig.length >= 6) assert.equal(added, 0);
      else assert.ok(added >= 1 && added <= Math.min(4, 6 - orig.length));
      assert.deepEqual(Array.from(s.items.subarray(added)), Array.from(orig));
      assert.equal(new Set(s.items).size, s.items.length, 'Beauty has no repeats: no-repeat keeps it so');
    }
  });
});

describe('generator leakage (property, adversarial scorer)', () => {
  it('whatever the model scores, items absent from the training view are never emitted', () => {
    const data = fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 15 }), { minLength: 3, maxLength: 8 }), { minLength: 2, maxLength: 10 });
    fc.assert(
      fc.property(data, fc.nat(), (seqs, seed) => {
        const ds: SequenceDataset = { name: 'p', userIds: seqs.map((_, i) => `u${i}`), itemIds: Array.from({ length: 16 }, (_, i) => String(i)), numItems: 15, sequences: seqs.map((s) => Int32Array.from(s)), checksum: '' };
        const split = leaveOneOutSplit(ds);
        const inTrain = itemsSeenIn(15, split.train.users().map((u) => split.train.sequence(u)));
        // An adversary that scores exactly the held-out-only items highest.
        const adversary: Recommender = {
          name: 'adversary', refitBeforeTest: false, fit: async () => ({ epochs: [], bestEpoch: 0, seconds: 0, resumed: false }), save() {}, load() {},
          scoreAll: (hs) => { const o = new Float32Array(hs.length * 16); for (let b = 0; b < hs.length; b++) for (let i = 1; i <= 15; i++) o[b * 16 + i] = inTrain[i] ? 0 : 50; return o; },
        };
        const g = samplerFromRecommender(adversary, 15, 'forward', inTrain);
        const hs = split.train.users().map((u) => split.train.sequence(u));
        const made = generateItems(g, hs, hs.map(() => 4), { temperature: 1, topK: 2, noRepeat: false }, hs.map((_, i) => new Rng(seed + i)));
        for (const m of made) for (const i of m) assert.equal(inTrain[i], 1);
      }),
      { numRuns: 60 },
    );
  });
  it('reversedTrainView reverses every user and keeps user indexes', () => {
    const t = makeTrainView(9, [Int32Array.of(1, 2, 3), new Int32Array(0), Int32Array.of(4, 5)]);
    const r = reversedTrainView(t);
    assert.deepEqual([0, 1, 2].map((u) => Array.from(r.sequence(u))), [[3, 2, 1], [], [5, 4]]);
  });
});
