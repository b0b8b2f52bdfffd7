import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';

export const backends: ('typescript' | 'native')[] = nn.nativeAvailable() ? ['typescript', 'native'] : ['typescript'];

export function randTensor(rng: Rng, shape: number[], scale = 1, requiresGrad = true): nn.Tensor {
  const t = nn.Tensor.zeros(shape, requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  return t;
}

/**
 * Central finite-difference check of d(sum(out * R))/d(input) for every input (up to maxPerInput
 * sampled coordinates each). fn must be deterministic (re-create any Rng inside).
 */
export function gradcheck(
  name: string,
  inputs: nn.Tensor[],
  fn: (xs: nn.Tensor[]) => nn.Tensor,
  opts: { eps?: number; atol?: number; rtol?: number; maxPerInput?: number; seed?: number } = {},
): void {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 2e-3;
  const rtol = opts.rtol ?? 2e-2;
  const maxPer = opts.maxPerInput ?? 40;
  const rng = new Rng(opts.seed ?? 99);
  nn.resetTape();
  for (const t of inputs) t.grad = null;
  const out0 = fn(inputs);
  const R = new Float32Array(out0.size);
  for (let i = 0; i < R.length; i++) R[i] = rng.normal();
  const weights = new nn.Tensor(R, out0.shape);
  const lossOf = (o: nn.Tensor): number => {
    let s = 0;
    for (let i = 0; i < o.size; i++) s += o.data[i]! * R[i]!;
    return s;
  };
  nn.backward(nn.sum(nn.mul(out0, weights)));
  inputs.forEach((t, ti) => {
    if (!t.requiresGrad) return;
    const g = t.grad;
    assert.ok(g !== null, `${name}: input ${ti} got no grad`);
    const idx: number[] = [];
    if (t.size <= maxPer) for (let i = 0; i < t.size; i++) idx.push(i);
    else for (let i = 0; i < maxPer; i++) idx.push(rng.int(t.size));
    for (const i of idx) {
      const orig = t.data[i]!;
      t.data[i] = orig + eps;
      const lp = nn.noGrad(() => lossOf(fn(inputs)));
      t.data[i] = orig - eps;
      const lm = nn.noGrad(() => lossOf(fn(inputs)));
      t.data[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const analytic = g[i]!;
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
      assert.ok(Math.abs(numeric - analytic) <= tol, `${name}: input ${ti}[${i}] analytic ${analytic} vs numeric ${numeric}`);
    }
  });
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: ${x} vs ${y}`);
  }
}
