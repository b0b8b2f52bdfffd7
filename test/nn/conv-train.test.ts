/**
 * A small CNN built from the convolutional ops (conv → batch norm → ReLU → max pool, twice, then a
 * linear layer) learns the 900-image Fashion-MNIST sample: the training loss falls and held-out
 * accuracy beats chance by a wide margin — the ops work together, not only one at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import { readIdx } from '../../src/data/index.ts';
import * as nn from '../../src/nn/index.ts';

const base = join(import.meta.dirname, '../../../shared/data/fashion-mnist');

test('a small CNN learns Fashion-MNIST (900-image sample)', () => {
  const ds = readIdx(join(base, 'sprite-images-idx3-ubyte.gz'), join(base, 'sprite-labels-idx1-ubyte.gz'));
  const rng = new Rng(11);
  const order = ds.samples.map((_, i) => i);
  rng.shuffle(order);
  const test_ = order.slice(0, 200);
  const train = order.slice(200);
  const batchOf = (idx: number[]): { x: nn.Tensor; y: Int32Array } => {
    const x = new Float32Array(idx.length * 784);
    idx.forEach((k, b) => {
      const d = ds.samples[k]!.image.data;
      for (let i = 0; i < 784; i++) x[b * 784 + i] = d[i]! / 255 - 0.5;
    });
    return { x: new nn.Tensor(x, [idx.length, 1, 28, 28]), y: Int32Array.from(idx, (k) => ds.samples[k]!.label) };
  };
  const he = (fanIn: number): number => Math.sqrt(2 / fanIn);
  const w1 = nn.normalParameter('w1', [8, 1, 3, 3], he(9), rng);
  const g1 = nn.constantParameter('g1', [8], 1);
  const b1 = nn.constantParameter('b1', [8], 0);
  const w2 = nn.normalParameter('w2', [16, 8, 3, 3], he(72), rng);
  const c2 = nn.constantParameter('c2', [16], 0);
  const wo = nn.normalParameter('wo', [10, 16 * 7 * 7], he(784) / 2, rng);
  const bo = nn.constantParameter('bo', [10], 0);
  const rm = new Float32Array(8);
  const rv = new Float32Array(8).fill(1);
  const params = [w1, g1, b1, w2, c2, wo, bo];
  const forward = (x: nn.Tensor, training: boolean): nn.Tensor => {
    let h = nn.conv2d(x, w1, undefined, { padding: 1 });
    h = nn.maxPool2d(nn.relu(nn.batchNorm2d(h, g1, b1, { training, runningMean: rm, runningVar: rv })), { kernel: 2 });
    h = nn.maxPool2d(nn.relu(nn.conv2d(h, w2, c2, { padding: 1 })), { kernel: 2 });
    return nn.linear(nn.reshape(h, [x.shape[0]!, 16 * 7 * 7]), wo, bo);
  };
  const opt = new nn.Adam(params, { lr: 3e-3 });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 4; epoch++) {
    rng.shuffle(train);
    for (let s = 0; s + 50 <= train.length; s += 50) {
      const { x, y } = batchOf(train.slice(s, s + 50));
      for (const p of params) p.grad = null;
      const loss = nn.crossEntropy(forward(x, true), y);
      losses.push(loss.item());
      nn.backward(loss);
      opt.step();
    }
  }
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(last < first * 0.6, `training loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const { x, y } = batchOf(test_);
  const logits = nn.noGrad(() => forward(x, false));
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const row = logits.data.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === y[i]) correct++;
  }
  assert.ok(correct / y.length > 0.6, `held-out accuracy ${correct / y.length} (chance 0.1)`);
});
