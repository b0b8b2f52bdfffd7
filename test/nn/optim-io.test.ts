import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import * as nn from '../../src/nn/index.ts';
import { assertClose, backends } from './helpers.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

/** PyTorch's Adam written out independently in float64. */
function torchAdam(p: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i]! + wd * x[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const mhat = m[i]! / (1 - b1 ** t);
      const vhat = v[i]! / (1 - b2 ** t);
      x[i] = x[i]! - (lr * mhat) / (Math.sqrt(vhat) + eps);
    }
  });
  return x;
}

for (const be of backends) {
  describe(`Adam (${be})`, () => {
    it('matches the PyTorch formula, with and without weight decay', () => {
      nn.useBackend(be);
      for (const wd of [0, 0.05]) {
        const p = new nn.Parameter('p', Float32Array.of(1, -2, 0.5, 0), [4]);
        const opt = new nn.Adam([p], { lr: 0.1, weightDecay: wd });
        const grads = [[0.5, -1, 0.001, 0], [0.2, 3, -0.004, 0], [-0.7, 0.1, 0.002, 1e-3]];
        for (const g of grads) {
          opt.zeroGrad();
          p.grad = Float32Array.from(g);
          opt.step();
        }
        const want = torchAdam([1, -2, 0.5, 0], grads, 0.1, 0.9, 0.999, 1e-8, wd);
        assertClose(p.data, want, 2e-6, 2e-6, `adam wd=${wd}`);
      }
    });

    it('state dict round trip continues identically; params without grad are skipped', () => {
      nn.useBackend(be);
      const mk = (): nn.Parameter[] => [new nn.Parameter('a', Float32Array.of(1, 2), [2]), new nn.Parameter('b', Float32Array.of(3), [1])];
      const [a1, b1] = mk();
      const o1 = new nn.Adam([a1!, b1!], { lr: 0.01 });
      a1!.grad = Float32Array.of(0.3, -0.2);
      o1.step();
      assert.deepEqual([...b1!.data], [3]);
      const st = o1.stateDict();
      const [a2, b2] = mk();
      a2!.data.set(a1!.data);
      const o2 = new nn.Adam([a2!, b2!], { lr: 0.01 });
      o2.loadStateDict(st);
      for (const [a, o] of [[a1!, o1], [a2!, o2]] as const) {
        a.grad = Float32Array.of(0.1, 0.4);
        o.step();
      }
      assert.deepEqual([...a1!.data], [...a2!.data]);
      assert.throws(() => o2.loadStateDict({ step: 1, m: [new Float32Array(2)], v: [new Float32Array(2)] }), /moments/);
    });
  });
}

describe('save / load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samplify-nn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('round-trips bit-exactly and leaves no temp files', () => {
    const rng = new Rng(1);
    const ps = [nn.normalParameter('emb', [7, 3], 1, rng), nn.uniformParameter('w', [2, 2], 0.5, rng), nn.constantParameter('b', [3], -0.25)];
    ps[0]!.data[0] = -0;
    ps[0]!.data[1] = 1e-40;
    const path = join(dir, 'm.params');
    nn.saveParameters(ps, path);
    const qs = [nn.constantParameter('emb', [7, 3], 0), nn.constantParameter('w', [2, 2], 0), nn.constantParameter('b', [3], 0)];
    nn.loadParameters(qs, path);
    for (let i = 0; i < ps.length; i++) assert.deepEqual(new Uint8Array(qs[i]!.data.buffer), new Uint8Array(ps[i]!.data.buffer));
    assert.deepEqual(readdirSync(dir), ['m.params']);
  });
  it('refuses mismatched names, shapes, counts and corrupt files with a clear error', () => {
    const path = join(dir, 'x.params');
    nn.saveParameters([nn.constantParameter('a', [2, 3], 1)], path);
    assert.throws(() => nn.loadParameters([nn.constantParameter('a', [3, 2], 0)], path), /'a': file shape \[2, 3\], model shape \[3, 2\]/);
    assert.throws(() => nn.loadParameters([nn.constantParameter('z', [2, 3], 0)], path), /file has 'a', model has 'z'/);
    assert.throws(() => nn.loadParameters([nn.constantParameter('a', [2, 3], 0), nn.constantParameter('c', [1], 0)], path), /file has 1 parameters, model has 2/);
    writeFileSync(path, 'garbage');
    assert.throws(() => nn.loadParameters([nn.constantParameter('a', [2, 3], 0)], path), /bad magic/);
  });
});

for (const be of backends) {
  describe(`determinism and semantics (${be})`, () => {
    it('dropout depends only on the seed; keeps about 1-p; identity when not training', () => {
      nn.useBackend(be);
      const x = new nn.Tensor(new Float32Array(20000).fill(1), [20000]);
      const a = nn.dropout(x, 0.2, new Rng(42), true);
      const b = nn.dropout(x, 0.2, new Rng(42), true);
      const c = nn.dropout(x, 0.2, new Rng(43), true);
      assert.deepEqual(a.data, b.data);
      assert.notDeepEqual(a.data, c.data);
      const kept = a.data.filter((v) => v !== 0);
      assert.ok(Math.abs(kept.length / 20000 - 0.8) < 0.02);
      assert.ok(kept.every((v) => Math.abs(v - 1.25) < 1e-6));
      assert.equal(nn.dropout(x, 0.2, new Rng(42), false), x);
      assert.equal(nn.dropout(x, 0, new Rng(42), true), x);
    });

    it('attention: fully masked rows stay finite; no dropout when not training', () => {
      nn.useBackend(be);
      const rng = new Rng(2);
      const q = nn.Tensor.zeros([1, 3, 4]);
      for (let i = 0; i < q.size; i++) q.data[i] = rng.normal();
      const out = nn.attention(q, q, q, { heads: 2, causal: true, keyMask: Uint8Array.of(0, 0, 0), dropout: 0.5, rng, training: false });
      assert.ok(out.data.every(Number.isFinite));
      // All keys masked: every row sees the plain causal-free softmax over all keys.
      const ref = nn.attention(q, q, q, { heads: 2, causal: false });
      assertClose(out.data, ref.data, 1e-6, 1e-5, 'masked rows');
      assert.throws(() => nn.attention(q, q, q, { heads: 2, causal: true, dropout: 0.1 }), /needs opts.rng/);
    });

    it('noGrad records nothing; backward clears the tape and accumulates', () => {
      nn.useBackend(be);
      const w = new nn.Parameter('w', Float32Array.of(1, 2, 3), [3]);
      nn.noGrad(() => nn.sum(nn.mul(w, w)));
      assert.equal(nn.tapeLength(), 0);
      nn.backward(nn.sum(nn.mul(w, w)));
      assert.equal(nn.tapeLength(), 0);
      nn.backward(nn.sum(w));
      assert.deepEqual([...w.grad!], [3, 5, 7]);
      assert.throws(() => nn.backward(nn.noGrad(() => nn.sum(w))), /does not depend/);
    });
  });
}
