import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { backends, gradcheck, randTensor } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

const spans: nn.ColumnSpan[] = [
  { kind: 'tanh', start: 0, length: 1 },
  { kind: 'softmax', start: 1, length: 3 },
  { kind: 'tanh', start: 4, length: 1 },
  { kind: 'softmax', start: 5, length: 2 },
];

for (const be of backends) {
  describe(`tabular ops (${be})`, () => {
    const use = (): void => nn.useBackend(be);

    it('exp, sqrt, leakyRelu gradients', () => {
      use();
      const rng = new Rng(3);
      gradcheck('exp', [randTensor(rng, [3, 4])], ([a]) => nn.exp(a!));
      const pos = randTensor(rng, [3, 4]);
      for (let i = 0; i < pos.size; i++) pos.data[i] = 0.5 + Math.abs(pos.data[i]!);
      gradcheck('sqrt', [pos], ([a]) => nn.sqrt(a!));
      const x = randTensor(rng, [3, 5]);
      for (let i = 0; i < x.size; i++) if (Math.abs(x.data[i]!) < 0.05) x.data[i] = -0.4;
      gradcheck('leakyRelu', [x], ([a]) => nn.leakyRelu(a!, 0.2));
      assert.deepEqual([...nn.leakyRelu(nn.Tensor.fromArray([-1, 2], [2]), 0.2).data].map((v) => Math.round(v * 1e6) / 1e6), [-0.2, 2]);
    });

    it('concatColumns: values and gradients, same tensor twice', () => {
      use();
      const rng = new Rng(4);
      const a = randTensor(rng, [3, 2]);
      const b = randTensor(rng, [3, 4]);
      const c = nn.noGrad(() => nn.concatColumns([a, b]));
      assert.deepEqual(c.shape, [3, 6]);
      assert.equal(c.data[1 * 6 + 3], b.data[1 * 4 + 1]);
      assert.equal(c.data[2 * 6 + 1], a.data[2 * 2 + 1]);
      gradcheck('concatColumns', [a, b], ([x, y]) => nn.concatColumns([x!, y!, x!]));
      assert.throws(() => nn.concatColumns([a, randTensor(rng, [2, 2])]), /every input/);
    });

    it('spanActivation: tanh and tempered softmax per span, identity outside spans', () => {
      use();
      const rng = new Rng(5);
      const x = randTensor(rng, [4, 8]);
      const y = nn.noGrad(() => nn.spanActivation(x, spans, 0.5));
      for (let r = 0; r < 4; r++) {
        assert.ok(Math.abs(y.data[r * 8]! - Math.tanh(x.data[r * 8]!)) < 1e-6);
        const s1 = y.data[r * 8 + 1]! + y.data[r * 8 + 2]! + y.data[r * 8 + 3]!;
        assert.ok(Math.abs(s1 - 1) < 1e-5);
        assert.equal(y.data[r * 8 + 7], x.data[r * 8 + 7]); // column 7 uncovered
      }
      gradcheck('spanActivation T=1', [randTensor(rng, [4, 8])], ([a]) => nn.spanActivation(a!, spans, 1));
      gradcheck('spanActivation T=0.5', [randTensor(rng, [4, 8])], ([a]) => nn.spanActivation(a!, spans, 0.5), { eps: 5e-3 });
    });

    it('spanLogSoftmax: log-probabilities within softmax spans, zero elsewhere', () => {
      use();
      const rng = new Rng(6);
      const x = randTensor(rng, [3, 8]);
      const y = nn.noGrad(() => nn.spanLogSoftmax(x, spans));
      for (let r = 0; r < 3; r++) {
        assert.equal(y.data[r * 8], 0);
        const p = Math.exp(y.data[r * 8 + 5]!) + Math.exp(y.data[r * 8 + 6]!);
        assert.ok(Math.abs(p - 1) < 1e-5);
      }
      gradcheck('spanLogSoftmax', [randTensor(rng, [3, 8])], ([a]) => nn.spanLogSoftmax(a!, spans));
    });

    it('perExampleNormTap: identity forward, gradients unchanged, per-row squared norms equal batch-of-one gradients', () => {
      use();
      const rng = new Rng(8);
      const x = randTensor(rng, [4, 3], 1, false);
      const w = randTensor(rng, [2, 3]);
      const b = randTensor(rng, [2]);
      gradcheck('perExampleNormTap', [w, b], ([ww, bb]) => nn.perExampleNormTap(nn.linear(x, ww!, bb!), x, new Float64Array(4), true));
      // Per-row loss: sum(tanh(y_r)²) weighted differently per row, so rows have different norms.
      const rowLoss = (y: nn.Tensor, rows: number, first: number): nn.Tensor => {
        const wts = new Float32Array(rows * 2);
        for (let r = 0; r < rows; r++) wts.fill(first + r + 1, r * 2, r * 2 + 2);
        const t = nn.tanh(y);
        return nn.sum(nn.mul(nn.mul(t, t), new nn.Tensor(wts, [rows, 2])));
      };
      const sq = new Float64Array(4);
      w.grad = null;
      b.grad = null;
      nn.backward(rowLoss(nn.perExampleNormTap(nn.linear(x, w, b), x, sq, true), 4, 0));
      for (let r = 0; r < 4; r++) {
        w.grad = null;
        b.grad = null;
        const xr = new nn.Tensor(x.data.slice(r * 3, r * 3 + 3), [1, 3]);
        nn.backward(rowLoss(nn.linear(xr, w, b), 1, r));
        let n2 = 0;
        for (const v of w.grad!) n2 += v * v;
        for (const v of b.grad!) n2 += v * v;
        assert.ok(Math.abs(n2 - sq[r]!) <= 1e-4 * Math.max(1, n2), `row ${r}: ${sq[r]} vs ${n2}`);
      }
    });

    it('perExampleNormTap with pairs: rows r and r + n/2 are one example; its squared norm equals that example’s own gradient, through two layers', () => {
      use();
      const rng = new Rng(10);
      const m = 3;
      const x = randTensor(rng, [2 * m, 4], 1, false);
      const w1 = randTensor(rng, [5, 4]);
      const b1 = randTensor(rng, [5]);
      const w2 = randTensor(rng, [1, 5]);
      const b2 = randTensor(rng, [1]);
      const params = [w1, b1, w2, b2];
      // Example i's loss: D(fake_i) − D(real_i) for rows i (fake) and i + m (real), D a 2-layer MLP.
      const sign = new Float32Array(2 * m).fill(1, 0, m).fill(-1, m);
      const critic = (xs: nn.Tensor, sq: Float64Array | null): nn.Tensor => {
        const lin = (h: nn.Tensor, w: nn.Tensor, b: nn.Tensor): nn.Tensor => (sq === null ? nn.linear(h, w, b) : nn.perExampleNormTap(nn.linear(h, w, b), h, sq, true, 'pairs'));
        return lin(nn.leakyRelu(lin(xs, w1, b1), 0.2), w2, b2);
      };
      const sq = new Float64Array(m);
      for (const p of params) p.grad = null;
      const y = critic(x, sq);
      nn.backward(nn.sum(nn.mul(y, new nn.Tensor(sign, [2 * m, 1]))));
      for (let i = 0; i < m; i++) {
        for (const p of params) p.grad = null;
        const pair = new Float32Array(8);
        pair.set(x.data.subarray(i * 4, i * 4 + 4), 0);
        pair.set(x.data.subarray((i + m) * 4, (i + m) * 4 + 4), 4);
        nn.backward(nn.sum(nn.mul(critic(new nn.Tensor(pair, [2, 4]), null), nn.Tensor.fromArray([1, -1], [2, 1]))));
        let n2 = 0;
        for (const p of params) for (const v of p.grad!) n2 += v * v;
        assert.ok(Math.abs(n2 - sq[i]!) <= 1e-4 * Math.max(1, n2), `example ${i}: ${sq[i]} vs ${n2}`);
      }
      assert.throws(() => nn.perExampleNormTap(nn.linear(x, w1, b1), x, new Float64Array(2), true, 'pairs'), /pairs/);
    });

    it('batchNorm: training gradients (through the batch statistics), running statistics, eval mode', () => {
      use();
      const rng = new Rng(9);
      const mk = () => ({ runningMean: new Float32Array(3), runningVar: new Float32Array(3).fill(1) });
      gradcheck('batchNorm train', [randTensor(rng, [5, 3]), randTensor(rng, [3]), randTensor(rng, [3])],
        ([x, g, b]) => nn.batchNorm(x!, g!, b!, { training: true, ...mk() }), { eps: 5e-3 });
      gradcheck('batchNorm eval', [randTensor(rng, [4, 3]), randTensor(rng, [3]), randTensor(rng, [3])],
        ([x, g, b]) => nn.batchNorm(x!, g!, b!, { training: false, runningMean: Float32Array.of(0.5, -1, 0), runningVar: Float32Array.of(2, 1, 0.5) }));
      const x = nn.Tensor.fromArray([1, 10, 3, 20, 5, 30], [3, 2]);
      const st = { runningMean: new Float32Array(2), runningVar: new Float32Array(2).fill(1) };
      const y = nn.noGrad(() => nn.batchNorm(x, nn.Tensor.fromArray([1, 1], [2]), nn.Tensor.fromArray([0, 0], [2]), { training: true, ...st }));
      assert.ok(Math.abs(y.data[0]! + Math.sqrt(1.5)) < 1e-3); // (1 − 3) / sqrt(8/3)
      assert.ok(Math.abs(st.runningMean[1]! - 2) < 1e-6 && Math.abs(st.runningVar[0]! - (0.9 + 0.4)) < 1e-6);
      const e = nn.noGrad(() => nn.batchNorm(nn.Tensor.fromArray([3, 20], [1, 2]), nn.Tensor.fromArray([1, 1], [2]), nn.Tensor.fromArray([0, 0], [2]), { training: false, ...st }));
      assert.ok(Math.abs(e.data[0]! - (3 - 0.3) / Math.sqrt(1.3 + 1e-5)) < 1e-4);
    });
  });
}
