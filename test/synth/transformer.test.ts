import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/core/index.ts';
import type { Table } from '../../src/data/index.ts';
import { fitGaussianMixture1D } from '../../src/synth/gmm.ts';
import { digamma } from '../../src/stats/index.ts';
import { DataTransformer } from '../../src/synth/transformer.ts';
import { mixedTable } from './transformer-fixtures.ts';

describe('variational Gaussian mixture', () => {
  it('digamma matches known values', () => {
    assert.ok(Math.abs(digamma(1) + 0.5772156649) < 1e-9);
    assert.ok(Math.abs(digamma(0.5) + 1.9635100260) < 1e-9);
    assert.ok(Math.abs(digamma(10) - 2.2517525890) < 1e-9);
  });

  it('finds the 2 modes of a bimodal column (unused components die) and is deterministic', () => {
    const rng = new Rng(1);
    const v: number[] = [];
    for (let i = 0; i < 2000; i++) v.push(i % 3 === 0 ? 10 + rng.normal() : -5 + 2 * rng.normal());
    const g = fitGaussianMixture1D(v, new Rng(2));
    assert.equal(g.means.length, 2, JSON.stringify(g));
    assert.ok(Math.abs(g.means[0]! + 5) < 0.3 && Math.abs(g.means[1]! - 10) < 0.3, JSON.stringify(g.means));
    assert.ok(Math.abs(g.stds[0]! - 2) < 0.3 && Math.abs(g.stds[1]! - 1) < 0.2, JSON.stringify(g.stds));
    assert.ok(Math.abs(g.weights[1]! - 1 / 3) < 0.03);
    assert.deepEqual(fitGaussianMixture1D(v, new Rng(2)), g);
  });

  it('the whole-column fit (distinct values weighted by their counts) is EM on every value', () => {
    // Whole numbers in three separated clusters, each value repeated: the weighted fit on the 15
    // distinct values must reach the fixed point of unweighted EM on all 3,000 (maxFitValues above
    // the column's size takes every value once, unweighted, in input order).
    const rng = new Rng(5);
    const v: number[] = [];
    for (let i = 0; i < 3000; i++) v.push([0, 50, 100][i % 3]! + rng.int(5) + (i % 3 === 2 ? rng.int(3) : 0));
    const opts = { maxComponents: 3, maxIterations: 5000, tolerance: 1e-12 };
    const weighted = fitGaussianMixture1D(v, new Rng(1), { ...opts, maxFitValues: 0 });
    const everyValue = fitGaussianMixture1D(v, new Rng(1), { ...opts, maxFitValues: 1e9 });
    assert.equal(weighted.means.length, 3);
    for (const key of ['means', 'stds'] as const) {
      weighted[key].forEach((x, k) => assert.ok(Math.abs(x - everyValue[key][k]!) < 1e-6, `${key}[${k}] ${x} vs ${everyValue[key][k]}`));
    }
    // Stick-breaking weights depend on the components' order, which the two initialisations draw
    // differently: equal up to that (≈ 1/rows), not to rounding.
    weighted.weights.forEach((x, k) => assert.ok(Math.abs(x - everyValue.weights[k]!) < 1e-3, `weights[${k}] ${x} vs ${everyValue.weights[k]}`));
    // Fitting the whole column does not depend on the order of the values (up to the rounding of
    // the column's mean and spread, which are summed in input order).
    const reversed = fitGaussianMixture1D([...v].reverse(), new Rng(1), { ...opts, maxFitValues: 0 });
    for (const key of ['weights', 'means', 'stds'] as const) {
      weighted[key].forEach((x, k) => assert.ok(Math.abs(x - reversed[key][k]!) < 1e-9, `reversed ${key}[${k}] ${x} vs ${reversed[key][k]}`));
    }
  });

  it('maxIterations stops EM early (SDV/RDT: 100), which keeps duplicated components alive', () => {
    const rng = new Rng(3);
    const v = Array.from({ length: 4000 }, () => rng.normal());
    const converged = fitGaussianMixture1D(v, new Rng(2), { maxFitValues: 0 });
    const early = fitGaussianMixture1D(v, new Rng(2), { maxFitValues: 0, maxIterations: 5 });
    assert.ok(early.means.length > converged.means.length, `${early.means.length} modes after 5 iterations vs ${converged.means.length} converged`);
  });

  it('a constant column is one mode', () => {
    const g = fitGaussianMixture1D([3, 3, 3, 3], new Rng(0));
    assert.deepEqual(g.means, [3]);
  });
});

describe('DataTransformer', () => {
  it('spans tile the encoded width; ids are bucketed, never one-hot per id', () => {
    const { table, metadata } = mixedTable(600, 3);
    const t = DataTransformer.fit(table, metadata, new Rng(4), { idBuckets: 8 });
    let off = 0;
    for (const s of t.spans) {
      assert.equal(s.start, off);
      off += s.length;
    }
    assert.equal(off, t.width);
    const userSpans = t.spansOf(t.codecIndexOf('user'));
    assert.equal(userSpans.length, 1);
    assert.ok(userSpans[0]!.length <= 8);
    // qty (whole numbers 1–9) is a low-cardinality count: discrete, one slot per value (SDV's rule).
    assert.deepEqual(t.discrete.map((d) => d.column), ['color', 'flag', 'qty']);
    assert.equal(t.condWidth, 4 + 2 + new Set(table.data.qty).size);
    const continuous = DataTransformer.fit(table, metadata, new Rng(4), { idBuckets: 8, discreteIntegerMaxValues: 0 });
    assert.deepEqual(continuous.discrete.map((d) => d.column), ['color', 'flag'], 'discreteIntegerMaxValues: 0 keeps every number continuous');
  });

  it('a rare count gets its own slot and decodes back to the number; a far tail value encodes inside the tanh range', () => {
    // 1–6 like ml-100k's n_genres: 6 is 0.4 % of the rows.
    const counts = [3000, 2500, 1800, 1000, 400, 30];
    const n = counts.reduce((a, b) => a + b, 0);
    const genres: number[] = counts.flatMap((c, i) => Array.from({ length: c }, () => i + 1));
    const ages: number[] = genres.map((_, i) => (i === 0 ? 7 : 30 + (i % 20)));
    const table: Table = { columns: ['n_genres', 'age'], rowCount: n, data: { n_genres: genres, age: ages } };
    const metadata = { columns: { n_genres: { type: 'numerical' as const, integer: true }, age: { type: 'numerical' as const, integer: true } } };
    const t = DataTransformer.fit(table, metadata, new Rng(1));
    assert.deepEqual(t.discrete.map((d) => [d.column, d.categories]), [['n_genres', 6]]);
    const { data } = t.transform(table, new Rng(2));
    const span = t.spansOf(t.codecIndexOf('n_genres'))[0]!;
    const onehot = new Float32Array(t.width);
    onehot[span.start + 5] = 1;
    const ageSpans = t.spansOf(t.codecIndexOf('age'));
    onehot[ageSpans[1]!.start] = 1;
    assert.equal(t.inverse(onehot, 1, new Rng(3)).data.n_genres![0], 6);
    // age = 7 once among ages 30–49: far outside every mode, still a scalar the generator can produce.
    for (let r = 0; r < n; r++) assert.ok(Math.abs(data[r * t.width + ageSpans[0]!.start]!) <= 0.99 + 1e-6, `row ${r}: ${data[r * t.width + ageSpans[0]!.start]}`);
  });

  it('inverse(transform(x)) reproduces every non-id cell; ids stay in their frequency bucket', () => {
    const { table, metadata } = mixedTable(600, 5);
    const t = DataTransformer.fit(table, metadata, new Rng(6), { idBuckets: 8 });
    const { data, categories } = t.transform(table, new Rng(7));
    // Every row's encoding is valid: one-hot spans with exactly one 1, scalars within [-1, 1].
    for (let r = 0; r < table.rowCount; r++) {
      for (const s of t.spans) {
        if (s.kind === 'softmax') {
          let ones = 0;
          for (let j = 0; j < s.length; j++) ones += data[r * t.width + s.start + j]!;
          assert.equal(ones, 1);
        } else assert.ok(Math.abs(data[r * t.width + s.start]!) <= 1);
      }
    }
    assert.equal(categories.length, 3);
    const back = t.inverse(data, table.rowCount, new Rng(8));
    for (const c of ['color', 'flag', 'day', 'qty']) assert.deepEqual(back.data[c], table.data[c], c);
    const price = table.data.price!;
    back.data.price!.forEach((v, i) => {
      if (price[i] === null) assert.equal(v, null);
      else assert.ok(Math.abs((v as number) - (price[i] as number)) < 1e-3, `${v} vs ${price[i]}`);
    });
    // Ids: the decoded id has the same bucket as the original.
    const re = t.transform(back, new Rng(9)).data;
    const us = t.spansOf(t.codecIndexOf('user'))[0]!;
    for (let r = 0; r < table.rowCount; r++) {
      for (let j = 0; j < us.length; j++) assert.equal(re[r * t.width + us.start + j], data[r * t.width + us.start + j]);
    }
  });

  it('mixture options reach every continuous column: whole column, capped iterations; bad values are ConfigErrors', () => {
    const { table, metadata } = mixedTable(6000, 13);
    const opts = { mixtureFitValues: 0, mixtureMaxIterations: 100 };
    const t = DataTransformer.fit(table, metadata, new Rng(4), opts);
    const prices = table.data.price!.filter((v): v is number => v !== null);
    const codec = t.codecs[t.codecIndexOf('price')]!;
    assert.equal(codec.kind, 'continuous');
    // The transformer's mixture is the one fitted on the whole column with those options (not on
    // a 5,000-value subsample, and not to convergence).
    const expected = fitGaussianMixture1D(prices, new Rng(4).split('gmm:price'), { maxComponents: 10, maxFitValues: 0, maxIterations: 100 });
    assert.deepEqual(codec.kind === 'continuous' ? codec.gmm : null, expected);
    const subsampled = DataTransformer.fit(table, metadata, new Rng(4)).codecs[t.codecIndexOf('price')]!;
    assert.notDeepEqual(subsampled.kind === 'continuous' ? subsampled.gmm : null, expected);
    assert.throws(() => DataTransformer.fit(table, metadata, new Rng(4), { mixtureFitValues: -1 }), /mixtureFitValues/);
    assert.throws(() => DataTransformer.fit(table, metadata, new Rng(4), { mixtureMaxIterations: 0 }), /mixtureMaxIterations/);
  });

  it('state round-trips through JSON and encodes identically', () => {
    const { table, metadata } = mixedTable(300, 11);
    const t = DataTransformer.fit(table, metadata, new Rng(1));
    const t2 = DataTransformer.fromState(JSON.parse(JSON.stringify(t.state())));
    assert.deepEqual(t2.transform(table, new Rng(2)).data, t.transform(table, new Rng(2)).data);
  });

  it('bad cells are clear errors', () => {
    const table: Table = { columns: ['x'], rowCount: 2, data: { x: [1, 'abc'] } };
    assert.throws(() => DataTransformer.fit(table, { columns: { x: { type: 'numerical' } } }, new Rng(0)), /not a finite number/);
    assert.throws(() => DataTransformer.fit(table, { columns: {} }, new Rng(0)), /no metadata/);
    const ok: Table = { columns: ['c'], rowCount: 2, data: { c: ['a', 'b'] } };
    const t = DataTransformer.fit(ok, { columns: { c: { type: 'categorical' } } }, new Rng(0));
    assert.throws(() => t.transform({ columns: ['c'], rowCount: 1, data: { c: ['z'] } }, new Rng(0)), /not seen/);
  });
});
