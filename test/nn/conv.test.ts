/**
 * Convolutional ops: gradient checks (both backends), agreement with direct-loop references,
 * conv2d / convTranspose2d adjointness on the same weights, batchNorm2d against the 1-D batchNorm
 * on the channel-last view, and shape errors.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose, backends, gradcheck, randTensor } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

/** Direct-loop conv2d in float64 (the definition). */
function conv2dRef(x: nn.Tensor, w: nn.Tensor, b: nn.Tensor | undefined, s: number, p: number): Float64Array {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, , kh, kw] = w.shape as [number, number, number, number];
  const Ho = Math.floor((H + 2 * p - kh) / s) + 1;
  const Wo = Math.floor((W + 2 * p - kw) / s) + 1;
  const out = new Float64Array(N * O * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b ? b.data[o]! : 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * s - p + i;
                const ix = ox * s - p + j;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += x.data[((n * C + c) * H + iy) * W + ix]! * w.data[((o * C + c) * kh + i) * kw + j]!;
              }
          out[((n * O + o) * Ho + oy) * Wo + ox] = acc;
        }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

for (const be of backends) {
  describe(`convolutional ops (${be})`, () => {
    const use = (): void => nn.useBackend(be);

    it('conv2d matches the direct definition (strides, padding, bias)', () => {
      use();
      const rng = new Rng(1);
      for (const [s, p, k] of [[1, 0, 3], [1, 1, 3], [2, 1, 3], [2, 0, 2], [1, 2, 5]] as const) {
        const x = randTensor(rng, [2, 3, 7, 6], 1, false);
        const w = randTensor(rng, [4, 3, k, k], 1, false);
        const b = randTensor(rng, [4], 1, false);
        const y = nn.conv2d(x, w, b, { stride: s, padding: p });
        assertClose(y.data, conv2dRef(x, w, b, s, p), 1e-4, 1e-4, `conv2d s${s} p${p} k${k}`);
      }
    });

    it('convTranspose2d is the adjoint of conv2d on the same weights', () => {
      use();
      const rng = new Rng(2);
      for (const [s, p, k, H, W] of [[1, 0, 3, 6, 5], [2, 1, 3, 7, 9], [2, 1, 4, 8, 8], [3, 0, 2, 9, 6]] as const) {
        const x = randTensor(rng, [2, 3, H, W], 1, false);
        const w = randTensor(rng, [5, 3, k, k], 1, false);
        const y = nn.conv2d(x, w, undefined, { stride: s, padding: p });
        const outputPadding = (H + 2 * p - k) % s;
        assert.equal((W + 2 * p - k) % s, outputPadding, 'test geometry');
        const r = randTensor(rng, [...y.shape], 1, false);
        const back = nn.convTranspose2d(r, w, undefined, { stride: s, padding: p, outputPadding });
        assert.deepEqual(back.shape, x.shape);
        const lhs = dot(y.data, r.data);
        const rhs = dot(x.data, back.data);
        assert.ok(Math.abs(lhs - rhs) <= 1e-3 * (1 + Math.abs(lhs)), `<conv x, r> = ${lhs}, <x, convT r> = ${rhs} (s${s} p${p} k${k})`);
      }
      // DCGAN geometry: 7×7 → 14×14 → 28×28 with k 4, s 2, p 1.
      const z = randTensor(rng, [2, 8, 7, 7], 1, false);
      const a = nn.convTranspose2d(z, randTensor(rng, [8, 4, 4, 4], 1, false), randTensor(rng, [4], 1, false), { stride: 2, padding: 1 });
      assert.deepEqual(a.shape, [2, 4, 14, 14]);
      assert.deepEqual(nn.convTranspose2d(a, randTensor(rng, [4, 1, 4, 4], 1, false), undefined, { stride: 2, padding: 1 }).shape, [2, 1, 28, 28]);
    });

    it('gradients of conv2d and convTranspose2d', () => {
      use();
      const rng = new Rng(3);
      gradcheck('conv2d', [randTensor(rng, [2, 2, 5, 4]), randTensor(rng, [3, 2, 3, 3], 0.5), randTensor(rng, [3])], ([x, w, b]) => nn.conv2d(x!, w!, b!, { padding: 1 }));
      gradcheck('conv2d s2', [randTensor(rng, [2, 2, 6, 5]), randTensor(rng, [3, 2, 3, 3], 0.5)], ([x, w]) => nn.conv2d(x!, w!, undefined, { stride: 2 }));
      gradcheck('convTranspose2d', [randTensor(rng, [2, 3, 3, 4]), randTensor(rng, [3, 2, 4, 4], 0.5), randTensor(rng, [2])], ([x, w, b]) => nn.convTranspose2d(x!, w!, b!, { stride: 2, padding: 1 }));
      gradcheck('convTranspose2d op', [randTensor(rng, [1, 2, 3, 3]), randTensor(rng, [2, 2, 3, 3], 0.5)], ([x, w]) => nn.convTranspose2d(x!, w!, undefined, { stride: 2, padding: 1, outputPadding: 1 }));
    });

    it('pooling: values and gradients', () => {
      use();
      const rng = new Rng(4);
      const x = nn.Tensor.fromArray([1, 5, 2, 0, 3, 4, 8, 6, 7, 9, -1, 2, 0, 1, 1, 3], [1, 1, 4, 4]);
      assert.deepEqual(Array.from(nn.maxPool2d(x, { kernel: 2 }).data), [5, 8, 9, 3]);
      assert.deepEqual(Array.from(nn.avgPool2d(x, { kernel: 2 }).data), [3.25, 4, 4.25, 1.25]);
      // Padding: max ignores it, avg counts the zeros (count_include_pad).
      assert.deepEqual(Array.from(nn.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }).data), [5, 8, 9, 9]);
      assertClose(nn.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }).data, [13 / 9, 25 / 9, 24 / 9, 33 / 9], 1e-6, 0, 'avg pad');
      gradcheck('maxPool2d', [randTensor(rng, [2, 2, 6, 5])], ([a]) => nn.maxPool2d(a!, { kernel: 2 }), { eps: 1e-3 });
      gradcheck('maxPool2d overlap', [randTensor(rng, [1, 2, 5, 5])], ([a]) => nn.maxPool2d(a!, { kernel: 3, stride: 2, padding: 1 }), { eps: 1e-3 });
      gradcheck('avgPool2d', [randTensor(rng, [2, 2, 6, 5])], ([a]) => nn.avgPool2d(a!, { kernel: 3, stride: 2, padding: 1 }));
    });

    it('batchNorm2d: the 1-D batchNorm on the channel-last view; gradients; eval mode', () => {
      use();
      const rng = new Rng(5);
      const [N, C, H, W] = [3, 4, 2, 3];
      const x = randTensor(rng, [N, C, H, W], 2, false);
      const gamma = randTensor(rng, [C], 1, false);
      const beta = randTensor(rng, [C], 1, false);
      const rm2 = new Float32Array(C);
      const rv2 = new Float32Array(C).fill(1);
      const y = nn.batchNorm2d(x, gamma, beta, { training: true, runningMean: rm2, runningVar: rv2 });
      const rows = Float32Array.from({ length: N * H * W * C }, (_, i) => {
        const c = i % C;
        const r = (i - c) / C;
        const n = Math.floor(r / (H * W));
        return x.data[(n * C + c) * H * W + (r % (H * W))]!;
      });
      const rm1 = new Float32Array(C);
      const rv1 = new Float32Array(C).fill(1);
      const y1 = nn.batchNorm(nn.Tensor.fromArray(rows, [N * H * W, C]), gamma, beta, { training: true, runningMean: rm1, runningVar: rv1 });
      for (let i = 0; i < y1.size; i++) {
        const c = i % C;
        const r = (i - c) / C;
        const n = Math.floor(r / (H * W));
        assert.ok(Math.abs(y.data[(n * C + c) * H * W + (r % (H * W))]! - y1.data[i]!) < 1e-5);
      }
      assertClose(rm2, rm1, 1e-6, 1e-5, 'running mean');
      assertClose(rv2, rv1, 1e-6, 1e-5, 'running var');
      const opts = () => ({ training: true, runningMean: new Float32Array(2), runningVar: new Float32Array(2).fill(1) });
      gradcheck('batchNorm2d train', [randTensor(rng, [3, 2, 2, 3]), randTensor(rng, [2]), randTensor(rng, [2])], ([a, g, b]) => nn.batchNorm2d(a!, g!, b!, opts()), { eps: 5e-3 });
      const evalOpts = { training: false, runningMean: Float32Array.from([0.3, -0.2]), runningVar: Float32Array.from([1.5, 0.7]) };
      gradcheck('batchNorm2d eval', [randTensor(rng, [2, 2, 2, 2]), randTensor(rng, [2]), randTensor(rng, [2])], ([a, g, b]) => nn.batchNorm2d(a!, g!, b!, evalOpts));
    });
  });
}

describe('convolutional ops: shape errors', () => {
  it('name the op and the shapes', () => {
    const x = nn.Tensor.zeros([1, 2, 4, 4]);
    assert.throws(() => nn.conv2d(x, nn.Tensor.zeros([3, 1, 3, 3])), /conv2d: weight \[3, 1, 3, 3\] expects 1 input channels/);
    assert.throws(() => nn.conv2d(x, nn.Tensor.zeros([3, 2, 5, 5])), /does not fit 4×4/);
    assert.throws(() => nn.conv2d(nn.Tensor.zeros([2, 4, 4]), nn.Tensor.zeros([3, 2, 3, 3])), /x must be \[N, C, H, W\]/);
    assert.throws(() => nn.convTranspose2d(x, nn.Tensor.zeros([2, 3, 3, 3]), undefined, { stride: 2, outputPadding: 2 }), /outputPadding must be smaller than stride/);
    assert.throws(() => nn.maxPool2d(x, { kernel: 0 }), /kernel must be an integer ≥ 1/);
    assert.throws(() => nn.conv2d(x, nn.Tensor.zeros([3, 2, 3, 3]), nn.Tensor.zeros([2])), /bias must be \[3\]/);
  });
});
