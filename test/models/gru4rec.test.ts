import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { Adam, backward, noGrad, resetTape } from '../../src/nn/index.ts';
import { createGru4rec, parseGru4recConfig } from '../../src/models/gru4rec.ts';
import type { TrainingBatch } from '../../src/models/network.ts';
import { assertClose, fixtureBatch, loadFixture, loadWeights, maxAbs } from '../fixtures/crosscheck/load.ts';

for (const loss of ['bce', 'ce'] as const) {
  test(`GRU4Rec (${loss}) matches the PyTorch reference: loss, every gradient, eval scores`, () => {
    const f = loadFixture(`gru4rec-${loss}.json`);
    const net = createGru4rec(f.numItems, f.config, new Rng(1));
    loadWeights(net.parameters, f);
    const l = net.batchLoss(fixtureBatch(f), new Rng(2));
    assertClose([l.item()], [f.loss], 1e-5, 1e-7, 'loss');
    backward(l);
    for (let i = 0; i < net.parameters.length; i++) {
      const p = net.parameters[i]!;
      const g = f.gradients[i]!;
      assert.equal(p.name, g.name);
      assertClose(p.grad ?? new Float32Array(p.size), g.values, 1e-3, Math.max(1e-4 * maxAbs(g.values), 1e-7), `grad ${p.name}`);
    }
    assertClose(net.scoreNext(f.histories.map((h) => Int32Array.from(h))), f.scores, 1e-4, 1e-5, 'scoreNext');
  });
}

test('GRU4Rec config: defaults, validation, dense layer only when sizes differ', () => {
  assert.deepEqual(parseGru4recConfig({}), { embedding: 64, hidden: 64, dropout: 0.3, maxLen: 50, loss: 'ce' });
  const field = (name: string) => (e: unknown) => e instanceof ConfigError && e.location.field === name;
  assert.throws(() => parseGru4recConfig({ loss: 'x' }), field('loss'));
  assert.throws(() => parseGru4recConfig({ hidden: 0 }), field('hidden'));
  assert.throws(() => parseGru4recConfig({ layers: 2 }), field('layers'));
  assert.deepEqual(createGru4rec(5, {}, new Rng(0)).parameters.map((p) => p.name), ['item_emb', 'gru.w_ih', 'gru.w_hh']);
  assert.equal(createGru4rec(5, { hidden: 32 }, new Rng(0)).parameters.length, 5);
  assert.equal(createGru4rec(5, {}, new Rng(0)).needsNegatives, false);
  assert.equal(createGru4rec(5, { loss: 'bce' }, new Rng(0)).needsNegatives, true);
});

test('GRU4Rec scores do not depend on left padding, batch company or chunking; causal; truncation', () => {
  const net = createGru4rec(20, { embedding: 8, hidden: 6, maxLen: 6 }, new Rng(3));
  const longer = createGru4rec(20, { embedding: 8, hidden: 6, maxLen: 9 }, new Rng(3)); // same weights, more padding
  const hs = [Int32Array.of(1, 2, 3), Int32Array.of(4), Int32Array.of()];
  const s = net.scoreNext(hs);
  assert.equal(s.length, 3 * 21);
  assertClose(longer.scoreNext(hs), s, 1e-6, 1e-7, 'padding');
  hs.forEach((h, i) => assertClose(net.scoreNext([h]), s.subarray(i * 21, (i + 1) * 21), 1e-6, 1e-7, `row ${i}`));
  assertClose(net.scoreNext([Int32Array.of(9, 9, 9, 5, 6, 7, 8, 1, 2, 3)]), net.scoreNext([Int32Array.of(5, 6, 7, 8, 1, 2, 3).subarray(1)]), 1e-6, 1e-7, 'truncation');
  const many = Array.from({ length: 260 }, (_, i) => Int32Array.of(1 + (i % 20)));
  assertClose(net.scoreNext(many).subarray(259 * 21), net.scoreNext([many[259]!]), 1e-6, 1e-7, 'chunked');
  const [a, b] = noGrad(() => [net.hidden(Int32Array.of(0, 1, 2, 3, 4, 5), 1, false, null), net.hidden(Int32Array.of(0, 1, 2, 3, 9, 9), 1, false, null)]);
  assertClose(b!.data.subarray(0, 4 * 8), a!.data.subarray(0, 4 * 8), 1e-7, 1e-8, 'causal');
  assert.ok(b!.data.subarray(4 * 8).some((v, i) => v !== a!.data[4 * 8 + i]));
});

test('GRU4Rec training is deterministic by seed and lowers the loss (ce and bce)', () => {
  const maxLen = 6;
  const rowsOf = (): TrainingBatch => {
    const seqs = [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [9, 10, 11, 12], [3, 4, 5, 6, 7, 8, 9]];
    const size = seqs.length;
    const inputs = new Int32Array(size * maxLen), targets = new Int32Array(size * maxLen), negatives = new Int32Array(size * maxLen);
    seqs.forEach((s, bi) => {
      const inp = s.slice(0, -1).slice(-maxLen), tgt = s.slice(1).slice(-maxLen);
      const off = bi * maxLen + maxLen - inp.length;
      inputs.set(inp, off);
      targets.set(tgt, off);
      tgt.forEach((t, j) => (negatives[off + j] = t === 20 ? 19 : 20 - (t % 5)));
    });
    return { size, maxLen, inputs, targets, negatives };
  };
  for (const loss of ['ce', 'bce'] as const) {
    const batch = rowsOf();
    const n1 = createGru4rec(20, { embedding: 8, hidden: 8, maxLen, loss }, new Rng(4));
    const n2 = createGru4rec(20, { embedding: 8, hidden: 8, maxLen, loss }, new Rng(4));
    const l1 = n1.batchLoss(batch, new Rng(9)).item();
    resetTape();
    const l2 = n2.batchLoss(batch, new Rng(9)).item();
    resetTape();
    assert.equal(l1, l2);
    const net = createGru4rec(20, { embedding: 8, hidden: 8, maxLen, loss, dropout: 0 }, new Rng(5));
    const opt = new Adam(net.parameters, { lr: 0.05 });
    let first = 0, last = 0;
    for (let i = 0; i < 30; i++) {
      const l = net.batchLoss(batch, new Rng(i));
      if (i === 0) first = l.item();
      last = l.item();
      backward(l);
      opt.step();
      opt.zeroGrad();
    }
    assert.ok(last < first * 0.7, `${loss}: ${first} -> ${last}`);
  }
});
