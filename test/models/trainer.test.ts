import { test, } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, } from 'node:fs';
import { join } from 'node:path';
import { CancelToken, InterruptedError, Rng, collectingProgress } from '../../src/core/index.ts';
import { leaveOneOutSplit, type SequenceDataset } from '../../src/data/index.ts';
import { NeuralRecommender } from '../../src/models/index.ts';
import { tempFolder } from '../temp-folders.ts';


function tinyDataset(users: number, numItems: number, seed: number): SequenceDataset {
  const rng = new Rng(seed);
  // Users walk item ids upwards with small steps, so there is a real next-item signal to learn.
  const sequences = Array.from({ length: users }, () => {
    let it = 1 + rng.int(numItems);
    return Int32Array.from({ length: 5 + rng.int(6) }, () => (it = 1 + ((it + rng.int(3)) % numItems)));
  });
  return { name: 'tiny', userIds: sequences.map((_, i) => `u${i}`), itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => `i${i}`)], numItems, sequences, checksum: 'x' };
}

const config = { hidden: 8, blocks: 1, heads: 2, maxLen: 10, dropout: 0.2, attnDropout: 0.2, loss: 'bce' };
const split = leaveOneOutSplit(tinyDataset(120, 30, 1));

function weights(m: NeuralRecommender): number[][] {
  return m.network.parameters.map((p) => Array.from(p.data));
}

test('same seed, same weights; different seed, different weights', async () => {
  const a = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  const b = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  const c = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  await a.fit(split.train, { seed: 3, epochs: 2 });
  await b.fit(split.train, { seed: 3, epochs: 2 });
  await c.fit(split.train, { seed: 4, epochs: 2 });
  assert.deepEqual(weights(a), weights(b));
  assert.notDeepEqual(weights(a), weights(c));
});

test('a run resumed from its checkpoint ends exactly where an uninterrupted one does', async () => {
  const dir = tempFolder('ckpt-');
  const straight = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  await straight.fit(split.train, { seed: 5, epochs: 3 });
  const first = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  await first.fit(split.train, { seed: 5, epochs: 1, checkpointDir: dir });
  const progress = collectingProgress();
  const resumed = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  const report = await resumed.fit(split.train, { seed: 5, epochs: 3, checkpointDir: dir, progress });
  assert.equal(report.resumed, true);
  assert.match(progress.lines[0]!, /resuming from checkpoint after epoch 1/);
  assert.equal(progress.lines.filter((l) => l.startsWith('epoch')).length, 2);
  assert.deepEqual(weights(resumed), weights(straight));
});

test('cancel stops between batches with InterruptedError and leaves the last checkpoint intact', async () => {
  const dir = tempFolder('cancel-');
  const token = new CancelToken();
  const m = new NeuralRecommender('sasrec', config, { batchSize: 8 });
  let epochs = 0;
  await assert.rejects(
    m.fit(split.train, {
      seed: 1, epochs: 5, checkpointDir: dir, cancel: token,
      progress: { line: (l) => { if (l.startsWith('epoch')) { epochs++; token.cancel(); } } },
    }),
    InterruptedError,
  );
  assert.equal(epochs, 1);
  assert.ok(existsSync(join(dir, 'checkpoint.bin')));
  const again = new NeuralRecommender('sasrec', config, { batchSize: 8 });
  const r = await again.fit(split.train, { seed: 1, epochs: 2, checkpointDir: dir });
  assert.equal(r.resumed, true);
  assert.equal(r.epochs.length, 2);
});

test('early stopping keeps the best validation epoch and restores its weights', async () => {
  // A validation score that peaks at epoch 2 and then falls.
  const scores = [0.1, 0.3, 0.2, 0.15, 0.1, 0.05];
  let call = 0;
  let atBest: number[][] = [];
  const m = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  const r = await m.fit(split.train, {
    seed: 2, epochs: 6, patience: 2,
    validate: (model) => { const s = scores[call++]!; if (call === 2) atBest = weights(model as NeuralRecommender); return { score: s, metrics: { 'NDCG@20': s } }; },
  });
  assert.equal(r.bestEpoch, 2);
  assert.equal(r.epochs.length, 4);
  assert.deepEqual(weights(m), atBest);
});

test('training lowers the loss on a learnable signal (GRU4Rec and SASRec-CE)', async () => {
  for (const [kind, cfg] of [['gru4rec', { hidden: 16, maxLen: 10, loss: 'ce', dropout: 0 }], ['sasrec', { ...config, loss: 'ce' }]] as const) {
    const m = new NeuralRecommender(kind, cfg, { batchSize: 16, lr: 5e-3 });
    const r = await m.fit(split.train, { seed: 0, epochs: 8 });
    assert.ok(r.epochs.at(-1)!.loss < r.epochs[0]!.loss * 0.9, `${kind}: ${r.epochs.map((e) => e.loss.toFixed(3)).join(' ')}`);
  }
});

test('save/load gives the same scores', async () => {
  const m = new NeuralRecommender('sasrec', config, { batchSize: 32 });
  await m.fit(split.train, { seed: 9, epochs: 1 });
  const dir = tempFolder('save-');
  m.save(dir);
  const l = new NeuralRecommender('sasrec', {});
  l.load(dir);
  const h = split.test.slice(0, 5).map((c) => c.history);
  assert.deepEqual(l.scoreAll(h), m.scoreAll(h));
});
