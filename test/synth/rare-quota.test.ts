import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { detectMetadata, tableFromRows, type Cell, type Table } from '../../src/data/index.ts';
import { finalizeSample, MAX_HELD_CATEGORIES, SampleGuard, type CandidateSource, type Conditions } from '../../src/synth/index.ts';

/** 2,000 training rows: brand common (a/b), except 'rare' in 4 rows (0.2 %) and 'solo' in 1 (0.05 %). */
function training(): Table {
  const rng = new Rng(7);
  const rows: Cell[][] = [];
  for (let i = 0; i < 2000; i++) rows.push([i < 4 ? 'rare' : i === 4 ? 'solo' : rng.next() < 0.5 ? 'a' : 'b', rng.int(5), rng.next() * 100]);
  return tableFromRows(['brand', 'size', 'price'], rows);
}

/**
 * A generator with a chosen rate per brand value (the rest 'a'/'b'); with `native`, a condition on
 * brand is written into every row, as CTGAN's conditional vector does.
 */
function source(rates: Record<string, number>, native: boolean): CandidateSource {
  return {
    nativeConditions: (c: Conditions) => native && Object.keys(c).length === 1 && 'brand' in c,
    generate(count, rng, conditions) {
      const brand: Cell[] = [];
      const r = rng.split('brand');
      for (let i = 0; i < count; i++) {
        if (native && conditions.brand !== undefined) {
          brand.push(conditions.brand);
          continue;
        }
        let u = r.next();
        let value: Cell = r.next() < 0.5 ? 'a' : 'b';
        for (const [v, p] of Object.entries(rates)) {
          if (u < p) {
            value = v;
            break;
          }
          u -= p;
        }
        brand.push(value);
      }
      const s = rng.split('size');
      const p = rng.split('price');
      return { columns: ['brand', 'size', 'price'], rowCount: count, data: { brand, size: brand.map(() => s.int(5)), price: brand.map(() => p.next() * 100) } };
    },
  };
}

function count(t: Table, value: string): number {
  return t.data.brand!.filter((v) => v === value).length;
}

test('a rare category the generator over-produces is held to its training rate', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t));
  // 5 % of generated rows are 'rare' (25× its 0.2 % training share).
  const src = source({ rare: 0.05, solo: 0.0005 }, true);
  const held = finalizeSample(src, 2000, { seed: 1 }, guard);
  assert.equal(held.report.produced, 2000);
  assert.equal(count(held.table, 'rare'), 4);
  assert.equal(count(held.table, 'solo'), 1);
  assert.ok(held.report.rareCategories!.rejected > 50, `rejected ${held.report.rareCategories!.rejected}`);
  const free = finalizeSample(src, 2000, { seed: 1, rareCategoryShare: 0 }, guard);
  assert.ok(count(free.table, 'rare') > 50, `without quotas 'rare' is over-produced: ${count(free.table, 'rare')}`);
  assert.equal(free.report.rareCategories, undefined);
});

test('a rare category the generator never writes unprompted is filled by conditional sampling, anywhere in the output', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t));
  const r = finalizeSample(source({}, true), 2000, { seed: 2 }, guard);
  assert.equal(r.report.produced, 2000);
  assert.equal(count(r.table, 'rare'), 4);
  assert.equal(count(r.table, 'solo'), 1);
  assert.equal(r.report.rareCategories!.filled, 5);
  assert.deepEqual(r.report.rareCategories!.short, []);
  // Filled rows are shuffled in, not left at the end.
  const positions = r.table.data.brand!.flatMap((v, i) => (v === 'rare' || v === 'solo' ? [i] : []));
  assert.ok(positions.some((i) => i < 1995), `positions ${positions}`);
});

test('by rejection when the generator cannot condition; what no budget finds is reported short, and the row count still met', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t));
  // 'rare' at 0.05 % of generated rows (4× under its training share), 'solo' never.
  const r = finalizeSample(source({ rare: 0.0005 }, false), 2000, { seed: 3 }, guard);
  assert.equal(r.report.produced, 2000);
  assert.equal(count(r.table, 'rare'), 4);
  assert.equal(count(r.table, 'solo'), 0);
  assert.deepEqual(r.report.rareCategories!.short, [{ column: 'brand', value: 'solo', target: 1, produced: 0 }]);
});

test('property: held counts never pass their quota, are met when the generator can condition, and the same seed gives the same rows', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 0.2, noNaN: true }), (seed, n, rate) => {
      const src = source({ rare: rate, solo: rate / 4 }, true);
      const a = finalizeSample(src, n, { seed }, guard);
      const b = finalizeSample(src, n, { seed }, guard);
      assert.deepEqual(a.table, b.table);
      assert.equal(a.report.produced, n);
      // Quota = n · share rounded down or up (stochastic rounding).
      for (const [value, trainCount] of [['rare', 4], ['solo', 1]] as const) {
        const c = count(a.table, value);
        const expected = (n * trainCount) / 2000;
        assert.ok(c === Math.floor(expected) || c === Math.ceil(expected), `${value}: ${c} rows for expected ${expected}`);
      }
    }),
    { numRuns: 40 },
  );
});

test('quotas are off under conditions and for a guard without counts (differential privacy)', () => {
  const t = training();
  const src = source({ rare: 0.05 }, true);
  const conditioned = finalizeSample(src, 500, { seed: 4, conditions: { size: 2 }, maxTriesPerRow: 1000 }, SampleGuard.fit(t, detectMetadata(t)));
  assert.equal(conditioned.report.rareCategories, undefined);
  const noCounts = SampleGuard.fit(t, detectMetadata(t), { recordCounts: false });
  assert.equal(noCounts.state.counts, undefined);
  const free = finalizeSample(src, 2000, { seed: 4 }, noCounts);
  assert.equal(free.report.rareCategories, undefined);
  assert.ok(count(free.table, 'rare') > 50);
});

test('stochastic rounding: a quota of expected 0.5 rows is 0 or 1, about half the time each', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t));
  let ones = 0;
  for (let seed = 0; seed < 200; seed++) ones += count(finalizeSample(source({ solo: 0.01 }, true), 1000, { seed }, guard).table, 'solo');
  assert.ok(ones > 70 && ones < 130, `'solo' (expected 0.5 per sample) in ${ones} of 200 samples`);
});

test('id columns and categorical columns with more than MAX_HELD_CATEGORIES values are not held', () => {
  const rows: Cell[][] = [];
  for (let i = 0; i < 3000; i++) rows.push([`sku-${i % 1500}`, `zip-${i % (MAX_HELD_CATEGORIES + 1)}`, i % 3 === 0 ? 'x' : 'y', i === 0 ? 'rare' : 'common']);
  const t = tableFromRows(['item', 'zip', 'kind', 'flag'], rows);
  const md = { columns: { item: { type: 'id' as const }, zip: { type: 'categorical' as const }, kind: { type: 'categorical' as const }, flag: { type: 'categorical' as const } } };
  const guard = SampleGuard.fit(t, md);
  const src: CandidateSource = {
    nativeConditions: () => false,
    generate(count, rng) {
      const r = rng.split('rows');
      const data: Record<string, Cell[]> = { item: [], zip: [], kind: [], flag: [] };
      for (let i = 0; i < count; i++) {
        const k = r.int(3000);
        data.item!.push(rows[k]![0]!);
        data.zip!.push(rows[k]![1]!);
        data.kind!.push(rows[k]![2]!);
        data.flag!.push(r.next() < 0.01 ? 'rare' : 'common');
      }
      return { columns: ['item', 'zip', 'kind', 'flag'], rowCount: count, data };
    },
  };
  const s = finalizeSample(src, 3000, { seed: 1 }, guard);
  // Only flag = 'rare' (1 of 3,000 rows) is held: not the 1,500 items, not the 1,001 zip codes.
  assert.equal(s.report.rareCategories!.held, 1);
  assert.equal(count({ ...s.table, data: { brand: s.table.data.flag! } }, 'rare'), 1);
});
