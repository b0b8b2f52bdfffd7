import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose, backends, gradcheck, randTensor } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

function offsetsOf(lens: number[]): Int32Array {
  const o = new Int32Array(lens.length + 1);
  for (let i = 0; i < lens.length; i++) o[i + 1] = o[i]! + lens[i]!;
  return o;
}

/** Left-pads packed rows [N, D] into [B, L, D] (and the inverse row map). */
function padLayout(lens: number[], L: number): { rowOf: Int32Array; keyMask: Uint8Array } {
  const N = lens.reduce((a, b) => a + b, 0);
  const rowOf = new Int32Array(N); // packed row -> padded row
  const keyMask = new Uint8Array(lens.length * L);
  let r = 0;
  lens.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      const pr = b * L + (L - n) + t;
      rowOf[r++] = pr;
      keyMask[pr] = 1;
    }
  });
  return { rowOf, keyMask };
}

for (const be of backends) {
  describe(`attentionPacked (${be})`, () => {
    it('gradients: causal, non-causal, dropout, empty and length-1 sequences', () => {
      nn.useBackend(be);
      const rng = new Rng(21);
      const offsets = offsetsOf([3, 0, 1, 4]);
      const mk = (): nn.Tensor[] => [randTensor(rng, [8, 6]), randTensor(rng, [8, 6]), randTensor(rng, [8, 6])];
      gradcheck('packed causal', mk(), ([q, k, v]) => nn.attentionPacked(q!, k!, v!, { heads: 2, offsets, causal: true }), { maxPerInput: 48 });
      gradcheck('packed full', mk(), ([q, k, v]) => nn.attentionPacked(q!, k!, v!, { heads: 3, offsets, causal: false }), { maxPerInput: 48 });
      gradcheck('packed dropout', mk(), ([q, k, v]) => nn.attentionPacked(q!, k!, v!, { heads: 2, offsets, causal: true, dropout: 0.3, rng: new Rng(4), training: true }), { maxPerInput: 48 });
    });

    it('equals padded attention with a key-padding mask on the non-padding rows (dropout 0), forward and backward', () => {
      nn.useBackend(be);
      const rng = new Rng(8);
      const lens = [1, 7, 12, 3, 12, 5];
      const L = 12, D = 16, H = 2;
      const N = lens.reduce((a, b) => a + b, 0);
      const offsets = offsetsOf(lens);
      const { rowOf, keyMask } = padLayout(lens, L);
      const xs = [randTensor(rng, [N, D]), randTensor(rng, [N, D]), randTensor(rng, [N, D])];
      const R = Float32Array.from({ length: N * D }, () => rng.normal());
      // Padded copies; padding rows get noise (they must not matter).
      const padded = xs.map((x) => {
        const t = randTensor(rng, [lens.length, L, D]);
        for (let r = 0; r < N; r++) t.data.set(x.data.subarray(r * D, r * D + D), rowOf[r]! * D);
        return t;
      });
      const Rp = new Float32Array(lens.length * L * D);
      for (let r = 0; r < N; r++) Rp.set(R.subarray(r * D, r * D + D), rowOf[r]! * D);
      nn.resetTape();
      const outP = nn.attentionPacked(xs[0]!, xs[1]!, xs[2]!, { heads: H, offsets, causal: true, dropout: 0.5, training: false });
      nn.backward(nn.sum(nn.mul(outP, new nn.Tensor(R, [N, D]))));
      const outL = nn.attention(padded[0]!, padded[1]!, padded[2]!, { heads: H, causal: true, keyMask, dropout: 0 });
      nn.backward(nn.sum(nn.mul(outL, new nn.Tensor(Rp, [lens.length, L, D]))));
      const pick = (a: Float32Array): Float32Array => {
        const o = new Float32Array(N * D);
        for (let r = 0; r < N; r++) o.set(a.subarray(rowOf[r]! * D, rowOf[r]! * D + D), r * D);
        return o;
      };
      assertClose(outP.data, pick(outL.data), 1e-5, 1e-4, 'output');
      for (let i = 0; i < 3; i++) assertClose(xs[i]!.grad!, pick(padded[i]!.grad!), 1e-5, 1e-4, `grad ${'qkv'[i]}`);
    });

    it('validates its arguments', () => {
      nn.useBackend(be);
      const x = nn.Tensor.zeros([5, 4]);
      assert.throws(() => nn.attentionPacked(x, x, x, { heads: 2, offsets: Int32Array.of(0, 3, 4), causal: true }), /offsets/);
      assert.throws(() => nn.attentionPacked(x, x, x, { heads: 2, offsets: Int32Array.of(0, 4, 3, 5), causal: true }), /decrease/);
      assert.throws(() => nn.attentionPacked(x, x, x, { heads: 3, offsets: Int32Array.of(0, 5), causal: true }), /divisible/);
      assert.throws(() => nn.attentionPacked(x, x, x, { heads: 2, offsets: Int32Array.of(0, 5), causal: true, dropout: 0.1 }), /rng/);
      assert.equal(nn.attentionPacked(nn.Tensor.zeros([0, 4]), nn.Tensor.zeros([0, 4]), nn.Tensor.zeros([0, 4]), { heads: 2, offsets: Int32Array.of(0), causal: true }).size, 0);
    });
  });
}

describe('attentionPacked: native and TypeScript agree', { skip: backends.includes('native') ? false : 'native addon not built' }, () => {
  for (const p of [0, 0.2]) {
    for (const causal of [true, false]) {
      it(`p=${p} causal=${causal}`, () => {
        const res = (['typescript', 'native'] as const).map((be) => {
          nn.useBackend(be);
          nn.resetTape();
          const rng = new Rng(31);
          const lens = [5, 0, 1, 50, 9, 2, 17];
          const N = lens.reduce((a, b) => a + b, 0);
          const xs = [randTensor(rng, [N, 64]), randTensor(rng, [N, 64]), randTensor(rng, [N, 64])];
          const out = nn.attentionPacked(xs[0]!, xs[1]!, xs[2]!, { heads: 2, offsets: offsetsOf(lens), causal, dropout: p, rng, training: true });
          const R = Float32Array.from({ length: out.size }, () => rng.normal());
          nn.backward(nn.sum(nn.mul(out, new nn.Tensor(R, out.shape))));
          return [out.data, ...xs.map((x) => x.grad!)];
        });
        res[0]!.forEach((a, i) => assertClose(res[1]![i]!, a, 1e-5, 1e-4, i === 0 ? 'output' : `grad ${i - 1}`));
      });
    }
  }

  it('is deterministic across thread counts', () => {
    nn.useBackend('native');
    const before = nn.backendInfo().threads;
    const run = (threads: number): Float32Array[] => {
      nn.setThreads(threads);
      nn.resetTape();
      const rng = new Rng(2);
      const lens = Array.from({ length: 40 }, () => 1 + rng.int(20));
      const N = lens.reduce((a, b) => a + b, 0);
      const q = randTensor(rng, [N, 32]);
      const out = nn.attentionPacked(q, q, q, { heads: 2, offsets: offsetsOf(lens), causal: true, dropout: 0.1, rng, training: true });
      nn.backward(nn.sum(nn.mul(out, out)));
      return [out.data, q.grad!];
    };
    const one = run(1);
    const two = run(2);
    nn.setThreads(before);
    assert.deepEqual(two, one);
  });
});
