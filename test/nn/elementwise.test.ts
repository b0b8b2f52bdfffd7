import { describe, it, after } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose, backends, randTensor } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

/** Forward + backward of sum(out * R) under both backends; outputs and input grads must agree. */
function agree(name: string, build: (rng: Rng) => { inputs: nn.Tensor[]; out: nn.Tensor }, atol = 1e-6, rtol = 1e-5): void {
  const res = (['typescript', 'native'] as const).map((be) => {
    nn.useBackend(be);
    nn.resetTape();
    const { inputs, out } = build(new Rng(13));
    const rng = new Rng(6);
    const R = new nn.Tensor(Float32Array.from({ length: out.size }, () => rng.normal()), out.shape);
    nn.backward(nn.sum(nn.mul(out, R)));
    return [out.data, ...inputs.map((t) => t.grad ?? new Float32Array(0))];
  });
  res[0]!.forEach((a, i) => assertClose(res[1]![i]!, a, atol, rtol, `${name} ${i === 0 ? 'output' : `grad ${i - 1}`}`));
}

describe('element-wise kernels: native and TypeScript agree', { skip: backends.includes('native') ? false : 'native addon not built' }, () => {
  it('add, mul (full and broadcast), scale, relu, maskRows, reshape', () => {
    agree('add', (r) => { const a = randTensor(r, [70, 33]), b = randTensor(r, [70, 33]); return { inputs: [a, b], out: nn.add(a, b) }; });
    agree('add bcast', (r) => { const a = randTensor(r, [5, 70, 33]), b = randTensor(r, [70, 33]); return { inputs: [a, b], out: nn.add(a, b) }; });
    agree('mul', (r) => { const a = randTensor(r, [70, 33]), b = randTensor(r, [70, 33]); return { inputs: [a, b], out: nn.mul(a, b) }; });
    agree('mul bcast', (r) => { const a = randTensor(r, [300, 64]), b = randTensor(r, [64]); return { inputs: [a, b], out: nn.mul(a, b) }; });
    agree('scale', (r) => { const a = randTensor(r, [1001]); return { inputs: [a], out: nn.scale(a, -0.37) }; });
    agree('relu', (r) => { const a = randTensor(r, [40, 50]); return { inputs: [a], out: nn.relu(a) }; });
    agree('maskRows', (r) => {
      const a = randTensor(r, [6, 10, 16]);
      return { inputs: [a], out: nn.maskRows(a, Uint8Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 1))) };
    });
    agree('reshape', (r) => { const a = randTensor(r, [6, 10]); return { inputs: [a], out: nn.reshape(a, [3, 20]) }; });
  });

  it('rowDot, bceWithLogits, linear bias gradient', () => {
    agree('rowDot', (r) => { const a = randTensor(r, [90, 64]), b = randTensor(r, [90, 64]); return { inputs: [a, b], out: nn.rowDot(a, b) }; });
    agree('bce', (r) => {
      const x = randTensor(r, [500], 4);
      return { inputs: [x], out: nn.bceWithLogits(x, Float32Array.from({ length: 500 }, (_, i) => i % 2)) };
    });
    agree('linear', (r) => {
      const x = randTensor(r, [200, 16]), w = randTensor(r, [8, 16]), b = randTensor(r, [8]);
      return { inputs: [x, w, b], out: nn.linear(x, w, b) };
    }, 1e-5, 1e-4);
  });

  it('GELU (vectorised native form) and the GRU at a GRU4Rec-like shape', () => {
    agree('gelu', (r) => { const x = randTensor(r, [200001], 3); return { inputs: [x], out: nn.gelu(x) }; }, 2e-6, 1e-5);
    agree('gru', (r) => {
      const x = randTensor(r, [6, 20, 16]);
      const ps = [randTensor(r, [48, 16], 0.3), randTensor(r, [48, 16], 0.3), randTensor(r, [48], 0.3), randTensor(r, [48], 0.3)];
      return { inputs: [x, ...ps], out: nn.gru(x, ps[0]!, ps[1]!, ps[2]!, ps[3]!) };
    }, 1e-5, 1e-4);
  });
});
