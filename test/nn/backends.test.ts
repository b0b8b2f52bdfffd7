import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose, randTensor } from './helpers.ts';

const haveNative = nn.nativeAvailable();
const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

/** Run build() under a backend: forward, backward of sum(out * R); returns output and all input grads. */
function runOn(be: 'typescript' | 'native', build: (rng: Rng) => { inputs: nn.Tensor[]; out: nn.Tensor }): Float32Array[] {
  nn.useBackend(be);
  nn.resetTape();
  const { inputs, out } = build(new Rng(11));
  const rng = new Rng(5);
  const R = new nn.Tensor(Float32Array.from({ length: out.size }, () => rng.normal()), out.shape);
  nn.backward(nn.sum(nn.mul(out, R)));
  return [out.data, ...inputs.map((t) => t.grad ?? new Float32Array(0))];
}

function agree(name: string, build: (rng: Rng) => { inputs: nn.Tensor[]; out: nn.Tensor }, atol = 1e-5, rtol = 1e-4): void {
  const a = runOn('typescript', build);
  const b = runOn('native', build);
  a.forEach((x, i) => assertClose(b[i]!, x, atol, rtol, `${name} ${i === 0 ? 'output' : `grad ${i - 1}`}`));
}

describe('native and TypeScript backends agree', { skip: haveNative ? false : 'native addon not built' }, () => {
  it('gemm in all transpose modes with offsets and leading dims', () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      agree(`matmul ${tA} ${tB}`, (rng) => {
        const a = randTensor(rng, tA ? [37, 19] : [19, 37]);
        const b = randTensor(rng, tB ? [23, 37] : [37, 23]);
        return { inputs: [a, b], out: nn.matmul(a, b, { transA: tA, transB: tB }) };
      });
    }
    agree('linear', (rng) => {
      const x = randTensor(rng, [4, 9, 16]);
      const w = randTensor(rng, [24, 16]);
      const b = randTensor(rng, [24]);
      return { inputs: [x, w, b], out: nn.linear(x, w, b) };
    });
  });

  it('layerNorm, gelu, dropout (identical masks), embedding', () => {
    agree('layerNorm', (rng) => {
      const x = randTensor(rng, [8, 10, 64], 2);
      const g = randTensor(rng, [64]);
      const b = randTensor(rng, [64]);
      return { inputs: [x, g, b], out: nn.layerNorm(x, g, b, 1e-8) };
    });
    agree('gelu', (rng) => {
      const x = randTensor(rng, [1000], 3);
      return { inputs: [x], out: nn.gelu(x) };
    });
    agree('dropout', (rng) => {
      const x = randTensor(rng, [5000]);
      return { inputs: [x], out: nn.dropout(x, 0.3, rng, true) };
    }, 0, 0);
    agree('embedding', (rng) => {
      const w = randTensor(rng, [50, 16]);
      const ids = Int32Array.from({ length: 300 }, () => rng.int(50));
      return { inputs: [w], out: nn.embedding(w, ids, [30, 10]) };
    });
  });

  it('attention with causal mask, key mask and dropout (same dropout stream)', () => {
    for (const p of [0, 0.2]) {
      agree(`attention p=${p}`, (rng) => {
        const B = 3, L = 12, D = 16;
        const q = randTensor(rng, [B, L, D]);
        const k = randTensor(rng, [B, L, D]);
        const v = randTensor(rng, [B, L, D]);
        const keyMask = Uint8Array.from({ length: B * L }, (_, i) => (i % L < 3 ? 0 : 1));
        return { inputs: [q, k, v], out: nn.attention(q, k, v, { heads: 2, causal: true, keyMask, dropout: p, rng, training: true }) };
      });
    }
  });

  it('gru, cross-entropy, bce', () => {
    agree('gru', (rng) => {
      const x = randTensor(rng, [4, 7, 8]);
      const ps = [randTensor(rng, [30, 8], 0.3), randTensor(rng, [30, 10], 0.3), randTensor(rng, [30], 0.3), randTensor(rng, [30], 0.3)];
      return { inputs: [x, ...ps], out: nn.gru(x, ps[0]!, ps[1]!, ps[2]!, ps[3]!) };
    });
    agree('crossEntropy', (rng) => {
      const x = randTensor(rng, [20, 33], 4);
      const t = Int32Array.from({ length: 20 }, () => rng.int(33));
      return { inputs: [x], out: nn.crossEntropy(x, t) };
    });
  });

  it('Adam steps agree bit-for-bit or nearly', () => {
    const res = (['typescript', 'native'] as const).map((be) => {
      nn.useBackend(be);
      const rng = new Rng(3);
      const p = nn.normalParameter('p', [257], 1, rng);
      const opt = new nn.Adam([p], { lr: 0.01, weightDecay: 0.01 });
      for (let s = 0; s < 5; s++) {
        p.grad = Float32Array.from({ length: 257 }, () => rng.normal());
        opt.step();
      }
      return p.data;
    });
    assertClose(res[1]!, res[0]!, 1e-7, 1e-6, 'adam');
  });

  it('same seed and thread count give identical native results', () => {
    nn.useBackend('native');
    const run = (): Float32Array => {
      const rng = new Rng(9);
      const q = randTensor(rng, [4, 20, 32]);
      return nn.noGrad(() => nn.attention(q, q, q, { heads: 2, causal: true, dropout: 0.1, rng, training: true })).data;
    };
    assert.deepEqual(run(), run());
  });
});
