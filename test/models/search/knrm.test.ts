import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/index.ts';
import { normalParameter } from '../../../src/nn/index.ts';
import { kernelCentres, type KnrmNet, type PairRow, poolKernels, poolKernelsBackward, subwordRows, TokenTable } from '../../../src/models/search/knrm.ts';
import { buildMlp } from '../../../src/models/search/neural.ts';

test('knrm kernel pooling: the hand-written backward matches finite differences for word and subword weights', () => {
  const rng = new Rng(7);
  const dim = 5;
  const buckets = 31;
  const words = normalParameter('w', [3, dim], 0.5, rng.split('w'));
  const grams = normalParameter('g', [buckets, dim], 0.5, rng.split('g'));
  const net: KnrmNet = { words, grams, head: buildMlp(2, [], rng.split('h')) };
  const vocab = new Map([['drill', 0], ['cordless', 1], ['saw', 2]]);
  const rowsOf = (t: string) => subwordRows(t, 3, 4, buckets);
  const { mu, sigma } = kernelCentres(5, 0.3, 0.001);
  const texts = [
    { q: ['cordless', 'dril'], t: ['acme', 'cordless', 'drill', 'kit'] },
    { q: ['cordless', 'dril'], t: ['saw', 'blade'] },
  ];
  const upstream = Float32Array.from({ length: texts.length * mu.length }, (_, i) => Math.sin(i + 1));
  const lossAt = (): number => {
    const table = new TokenTable(dim, vocab, net, rowsOf);
    const rows: PairRow[] = texts.map((x) => ({ q: table.idsOf(x.q), t: table.idsOf(x.t) }));
    table.compute();
    const phi = poolKernels(rows, table, mu, sigma);
    return phi.reduce((s, v, i) => s + v * upstream[i]!, 0);
  };
  words.grad = new Float32Array(words.size);
  grams.grad = new Float32Array(grams.size);
  const table = new TokenTable(dim, vocab, net, rowsOf);
  const rows: PairRow[] = texts.map((x) => ({ q: table.idsOf(x.q), t: table.idsOf(x.t) }));
  table.compute();
  poolKernelsBackward(rows, table, mu, sigma, upstream);
  table.scatter();
  const check = (p: typeof words, i: number): void => {
    const h = 1e-3;
    const v = p.data[i]!;
    p.data[i] = v + h;
    const up = lossAt();
    p.data[i] = v - h;
    const down = lossAt();
    p.data[i] = v;
    const numeric = (up - down) / (2 * h);
    assert.ok(Math.abs(numeric - p.grad![i]!) < 2e-3 + 0.02 * Math.abs(numeric), `${p.name}[${i}]: numeric ${numeric}, analytic ${p.grad![i]}`);
  };
  let nonzero = 0;
  for (let i = 0; i < words.size; i++) {
    check(words, i);
    if (words.grad[i] !== 0) nonzero++;
  }
  for (const r of rowsOf('dril')) for (let c = 0; c < dim; c++) check(grams, r * dim + c);
  assert.ok(nonzero > 0, 'some word gradient is non-zero');
});
