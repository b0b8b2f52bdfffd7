import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { kernels } from '../../src/nn/backend.ts';
import { tsKernels } from '../../src/nn/ts-kernels.ts';
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

  it('convolutional ops (conv2d, convTranspose2d, pooling, batchNorm2d, leakyRelu)', () => {
    for (const [s, p, k] of [[1, 1, 3], [2, 1, 4], [2, 0, 3]] as const) {
      agree(`conv2d s${s} p${p} k${k}`, (rng) => {
        const x = randTensor(rng, [5, 6, 15, 13]);
        const w = randTensor(rng, [7, 6, k, k], 0.3);
        const b = randTensor(rng, [7]);
        return { inputs: [x, w, b], out: nn.conv2d(x, w, b, { stride: s, padding: p }) };
      }, 1e-4, 1e-4);
    }
    agree('convTranspose2d s2 p1 op1', (rng) => {
      const x = randTensor(rng, [5, 8, 7, 6]);
      const w = randTensor(rng, [8, 4, 4, 4], 0.3);
      const b = randTensor(rng, [4]);
      return { inputs: [x, w, b], out: nn.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) };
    }, 1e-4, 1e-4);
    for (const [k, s, p] of [[2, 2, 0], [3, 2, 1]] as const) {
      agree(`maxPool2d k${k} s${s} p${p}`, (rng) => {
        const x = randTensor(rng, [6, 5, 20, 17]);
        return { inputs: [x], out: nn.maxPool2d(x, { kernel: k, stride: s, padding: p }) };
      }, 0, 0);
      agree(`avgPool2d k${k} s${s} p${p}`, (rng) => {
        const x = randTensor(rng, [6, 5, 20, 17]);
        return { inputs: [x], out: nn.avgPool2d(x, { kernel: k, stride: s, padding: p }) };
      }, 0, 0);
    }
    for (const training of [true, false]) {
      agree(`batchNorm2d training=${training}`, (rng) => {
        const x = randTensor(rng, [8, 6, 12, 11], 2);
        const g = randTensor(rng, [6]);
        const b = randTensor(rng, [6]);
        const runningMean = new Float32Array(6).fill(0.3);
        const runningVar = new Float32Array(6).fill(1.7);
        return { inputs: [x, g, b], out: nn.batchNorm2d(x, g, b, { training, runningMean, runningVar }) };
      }, 0, 0);
    }
    agree('leakyRelu', (rng) => {
      const x = randTensor(rng, [3000]);
      return { inputs: [x], out: nn.leakyRelu(x, 0.2) };
    }, 0, 0);
  });

  it('conv kernels other than GEMM are bitwise equal to TypeScript at 1 and 2 threads', () => {
    const runAll = (k: typeof tsKernels): Float32Array[] => {
      // [nb, C, H, W] = [4, 16, 24, 22], 3×3 kernel, stride 2, padding 1 (large enough to be split over threads)
      const [nb, C, H, W, kk, s, p] = [4, 16, 24, 22, 3, 2, 1];
      const Ho = Math.floor((H + 2 * p - kk) / s) + 1;
      const Wo = Math.floor((W + 2 * p - kk) / s) + 1;
      const r2 = new Rng(4);
      const x = Float32Array.from({ length: 1 + nb * C * H * W }, () => r2.normal());
      const cols = new Float32Array(C * kk * kk * nb * Ho * Wo);
      k.im2col(x, 1, nb, C, H, W, kk, kk, Ho, Wo, s, p, cols);
      const dx = x.slice();
      k.col2imAdd(cols, nb, C, H, W, kk, kk, Ho, Wo, s, p, dx, 1);
      const cm = new Float32Array(nb * C * H * W);
      k.toChannelMajor(x, 1, nb, C, H * W, cm);
      const back = x.slice();
      k.fromChannelMajor(cm, nb, C, H * W, back, 1, true);
      const mean = new Float64Array(C);
      const sq = new Float64Array(C);
      const xb = x.subarray(1);
      k.batchNorm2dStats(xb, nb, C, H * W, mean, sq);
      const rstd = Float64Array.from(sq, (v) => 1 / Math.sqrt(v / (nb * H * W) + 1e-5));
      const y = new Float32Array(xb.length);
      const gamma = Float32Array.from({ length: C }, (_, i) => 1 + i / 10);
      k.batchNorm2dFwd(xb, nb, C, H * W, mean, rstd, gamma, gamma, y);
      const dbn = xb.slice();
      const sumG = new Float64Array(C);
      const sumGH = new Float64Array(C);
      k.batchNorm2dBwd(y, xb, nb, C, H * W, mean, rstd, gamma, true, sumG, sumGH, dbn);
      const pooled = new Float32Array(nb * C * Ho * Wo);
      const arg = new Int32Array(pooled.length);
      k.maxPool2dFwd(xb, nb * C, H, W, 3, 2, 1, Ho, Wo, pooled, arg);
      const avg = new Float32Array(pooled.length);
      k.avgPool2dFwd(xb, nb * C, H, W, 3, 2, 1, Ho, Wo, avg);
      const davg = xb.slice();
      k.avgPool2dBwd(avg, nb * C, H, W, 3, 2, 1, Ho, Wo, davg);
      return [cols, dx, cm, back, Float32Array.from(mean), Float32Array.from(sq), y, dbn, Float32Array.from(sumGH), pooled, Float32Array.from(arg), avg, davg];
    };
    const ref = runAll(tsKernels);
    nn.useBackend('native');
    const threads = nn.backendInfo().threads;
    for (const t of [1, 2]) {
      nn.setThreads(t);
      const got = runAll(kernels());
      got.forEach((a, i) => assert.deepEqual(a, ref[i], `kernel output ${i} at ${t} thread(s)`));
    }
    nn.setThreads(threads);
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

  it('rankAmong: the same ranks as a stable descending sort, ties, NaN, -Infinity and from included, on both backends', () => {
    const rng = new Rng(9);
    const width = 301;
    const n = 40;
    // Few distinct values, so ties are common; some -Infinity (excluded history) and NaN scores.
    const scores = Float32Array.from({ length: n * width }, () => {
      const u = rng.next();
      return u < 0.05 ? Number.NEGATIVE_INFINITY : u < 0.07 ? Number.NaN : Math.floor(rng.next() * 25) / 5;
    });
    const targets = Int32Array.from({ length: n }, (_, b) => (b === 0 ? 0 : b === 1 ? width - 1 : rng.int(width)));
    scores[3 * width + targets[3]!] = Number.NaN; // a NaN target ranks last
    for (const from of [0, 1, 7]) {
      const expected = Int32Array.from(targets, (t, b) => {
        const row = Array.from(scores.subarray(b * width, (b + 1) * width));
        if (Number.isNaN(row[t]!)) return width - from - 1;
        // Stable sort by descending score (NaN last), then the target's position among columns from..width-1.
        const order = Array.from({ length: width - from }, (_, i) => i + from).sort((x, y) => {
          const a = row[x]!;
          const c = row[y]!;
          const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
          return key(c) - key(a) || (Number.isNaN(a) ? 1 : 0) - (Number.isNaN(c) ? 1 : 0) || x - y;
        });
        return t < from ? order.filter((i) => row[i]! > row[t]!).length : order.indexOf(t);
      });
      for (const be of ['typescript', 'native'] as const) {
        nn.useBackend(be);
        assert.deepEqual(nn.rankAmong(scores, width, targets, from), expected, `${be}, from ${from}`);
      }
    }
    assert.throws(() => nn.rankAmong(scores, width, Int32Array.of(width), 0), /outside/);
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
