import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { backends, gradcheck, randTensor } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

for (const be of backends) {
  describe(`gradients (${be})`, () => {
    const use = (): void => nn.useBackend(be);
    const r = (): Rng => new Rng(7);

    it('matmul in all transpose modes, batched a', () => {
      use();
      const rng = r();
      gradcheck('matmul', [randTensor(rng, [3, 4]), randTensor(rng, [4, 5])], ([a, b]) => nn.matmul(a!, b!));
      gradcheck('matmul tA', [randTensor(rng, [4, 3]), randTensor(rng, [4, 5])], ([a, b]) => nn.matmul(a!, b!, { transA: true }));
      gradcheck('matmul tB', [randTensor(rng, [3, 4]), randTensor(rng, [5, 4])], ([a, b]) => nn.matmul(a!, b!, { transB: true }));
      gradcheck('matmul tAtB', [randTensor(rng, [4, 3]), randTensor(rng, [5, 4])], ([a, b]) => nn.matmul(a!, b!, { transA: true, transB: true }));
      gradcheck('matmul batched', [randTensor(rng, [2, 3, 4]), randTensor(rng, [4, 2])], ([a, b]) => nn.matmul(a!, b!));
    });

    it('linear, add/mul with broadcast, scale, reshape', () => {
      use();
      const rng = r();
      gradcheck('linear', [randTensor(rng, [2, 3, 4]), randTensor(rng, [5, 4]), randTensor(rng, [5])], ([x, w, b]) => nn.linear(x!, w!, b!));
      gradcheck('linear nobias', [randTensor(rng, [3, 4]), randTensor(rng, [2, 4])], ([x, w]) => nn.linear(x!, w!));
      gradcheck('add', [randTensor(rng, [2, 3]), randTensor(rng, [2, 3])], ([a, b]) => nn.add(a!, b!));
      gradcheck('add bcast', [randTensor(rng, [2, 3, 4]), randTensor(rng, [3, 4])], ([a, b]) => nn.add(a!, b!));
      gradcheck('mul', [randTensor(rng, [2, 3]), randTensor(rng, [2, 3])], ([a, b]) => nn.mul(a!, b!));
      gradcheck('mul bcast', [randTensor(rng, [2, 3, 4]), randTensor(rng, [4])], ([a, b]) => nn.mul(a!, b!));
      gradcheck('scale', [randTensor(rng, [5])], ([a]) => nn.scale(a!, -1.7));
      gradcheck('reshape', [randTensor(rng, [2, 6])], ([a]) => nn.mul(nn.reshape(a!, [3, -1]), nn.reshape(a!, [3, 4])));
      gradcheck('same tensor twice', [randTensor(rng, [4])], ([a]) => nn.mul(a!, a!));
    });

    it('activations', () => {
      use();
      const rng = r();
      const awayFromZero = (): nn.Tensor => {
        const t = randTensor(rng, [3, 5]);
        for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]!) < 0.05) t.data[i] = 0.3;
        return t;
      };
      gradcheck('relu', [awayFromZero()], ([a]) => nn.relu(a!));
      gradcheck('gelu', [randTensor(rng, [3, 5], 2)], ([a]) => nn.gelu(a!));
      gradcheck('tanh', [randTensor(rng, [3, 5])], ([a]) => nn.tanh(a!));
      gradcheck('sigmoid', [randTensor(rng, [3, 5], 3)], ([a]) => nn.sigmoid(a!));
    });

    it('layerNorm', () => {
      use();
      const rng = r();
      gradcheck('layerNorm', [randTensor(rng, [2, 3, 6]), randTensor(rng, [6]), randTensor(rng, [6])], ([x, g, b]) => nn.layerNorm(x!, g!, b!, 1e-5),
        { eps: 5e-3, maxPerInput: 36 });
    });

    it('dropout (fixed seed) and maskRows', () => {
      use();
      const rng = r();
      gradcheck('dropout', [randTensor(rng, [4, 8])], ([x]) => nn.dropout(x!, 0.3, new Rng(5), true));
      gradcheck('maskRows', [randTensor(rng, [2, 3, 4])], ([x]) => nn.maskRows(x!, Uint8Array.of(1, 0, 1, 1, 0, 1)));
    });

    it('embedding and gatherRows (repeated ids accumulate), rowDot', () => {
      use();
      const rng = r();
      const ids = Int32Array.of(1, 3, 1, 0, 3, 3);
      gradcheck('embedding', [randTensor(rng, [5, 3])], ([w]) => nn.embedding(w!, ids, [2, 3]));
      gradcheck('gatherRows', [randTensor(rng, [2, 2, 3])], ([x]) => nn.gatherRows(x!, Int32Array.of(3, 0, 3)));
      gradcheck('rowDot', [randTensor(rng, [4, 3]), randTensor(rng, [4, 3])], ([a, b]) => nn.rowDot(a!, b!));
    });

    it('attention: causal, key mask, dropout, fully masked rows', () => {
      use();
      const rng = r();
      const B = 2, L = 4, D = 6;
      const mk = (): nn.Tensor[] => [randTensor(rng, [B, L, D]), randTensor(rng, [B, L, D]), randTensor(rng, [B, L, D])];
      gradcheck('attn plain', mk(), ([q, k, v]) => nn.attention(q!, k!, v!, { heads: 2, causal: false }), { maxPerInput: 30 });
      const keyMask = Uint8Array.of(0, 1, 1, 1, 0, 0, 1, 1);
      gradcheck('attn causal+mask', mk(), ([q, k, v]) => nn.attention(q!, k!, v!, { heads: 3, causal: true, keyMask }), { maxPerInput: 30 });
      gradcheck('attn dropout', mk(), ([q, k, v]) => nn.attention(q!, k!, v!, { heads: 2, causal: true, keyMask, dropout: 0.25, rng: new Rng(3), training: true }), { maxPerInput: 30 });
    });

    it('gru', () => {
      use();
      const rng = r();
      const B = 2, L = 3, I = 3, H = 4;
      gradcheck('gru', [randTensor(rng, [B, L, I]), randTensor(rng, [3 * H, I], 0.5), randTensor(rng, [3 * H, H], 0.5), randTensor(rng, [3 * H], 0.5), randTensor(rng, [3 * H], 0.5)],
        ([x, wi, wh, bi, bh]) => nn.gru(x!, wi!, wh!, bi!, bh!), { maxPerInput: 30 });
    });

    it('losses and reductions', () => {
      use();
      const rng = r();
      const labels = Float32Array.of(1, 0, 1, 0, 0, 1);
      gradcheck('bce', [randTensor(rng, [6], 3)], ([x]) => nn.bceWithLogits(x!, labels));
      gradcheck('ce', [randTensor(rng, [4, 5], 2)], ([x]) => nn.crossEntropy(x!, Int32Array.of(0, 4, 2, 2)));
      const w6 = Float32Array.of(0.5, 2, 0, 1, 3, 0.25);
      gradcheck('bce weighted', [randTensor(rng, [6], 3)], ([x]) => nn.bceWithLogits(x!, labels, w6));
      gradcheck('ce weighted', [randTensor(rng, [4, 5], 2)], ([x]) => nn.crossEntropy(x!, Int32Array.of(0, 4, 2, 2), Float32Array.of(1.5, 0, 0.25, 2)));
      gradcheck('sum', [randTensor(rng, [3, 2])], ([x]) => nn.sum(x!));
      gradcheck('mean', [randTensor(rng, [3, 2])], ([x]) => nn.mean(x!));
    });

    it('weighted losses: Σ wᵢℓᵢ / n; weight 1 is the plain loss, weight 2 counts a row twice, weight 0 gives it no gradient', () => {
      use();
      const rng = r();
      const x = randTensor(rng, [4, 5], 2);
      const t = Int32Array.of(1, 3, 0, 4);
      const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
      close(nn.crossEntropy(x, t, new Float32Array(4).fill(1)).item(), nn.crossEntropy(x, t).item(), 'ce, weights 1');
      // Weight 2 on row 0 = row 0 duplicated (5 rows), rescaled from /5 to /4.
      const dup = new nn.Tensor(Float32Array.from([...x.data.subarray(0, 5), ...x.data]), [5, 5]);
      close(nn.crossEntropy(x, t, Float32Array.of(2, 1, 1, 1)).item(), (nn.crossEntropy(dup, Int32Array.of(1, ...t)).item() * 5) / 4, 'ce, weight 2');
      const labels = Float32Array.of(1, 0, 1, 1);
      const z = randTensor(rng, [4], 2);
      close(nn.bceWithLogits(z, labels, new Float32Array(4).fill(1)).item(), nn.bceWithLogits(z, labels).item(), 'bce, weights 1');
      const xg = new nn.Tensor(x.data.slice(), [4, 5], true);
      nn.backward(nn.crossEntropy(xg, t, Float32Array.of(1, 0, 1, 1)));
      assert.ok(xg.grad!.subarray(5, 10).every((g) => g === 0), 'a row with weight 0 gets no gradient');
      assert.ok(xg.grad!.subarray(0, 5).some((g) => g !== 0));
    });

    it('a small composite network', () => {
      use();
      const rng = r();
      const emb = randTensor(rng, [6, 4], 0.5);
      const g = randTensor(rng, [4], 0.3);
      const b = randTensor(rng, [4], 0.3);
      const w = randTensor(rng, [4, 4], 0.5);
      const ids = Int32Array.of(1, 2, 3, 0, 5, 1);
      gradcheck('composite', [emb, g, b, w], ([e, gg, bb, ww]) => {
        const x = nn.embedding(e!, ids, [2, 3]);
        const a = nn.attention(x, x, x, { heads: 2, causal: true });
        const h = nn.layerNorm(nn.add(x, nn.gelu(nn.linear(a, ww!))), gg!, bb!);
        const logits = nn.matmul(nn.reshape(h, [6, 4]), e!, { transB: true });
        return nn.crossEntropy(logits, Int32Array.of(2, 3, 4, 5, 1, 0));
      }, { maxPerInput: 24 });
    });
  });
}
