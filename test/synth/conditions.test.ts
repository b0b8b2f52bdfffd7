import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, DataValidationError, Rng } from '../../src/core/index.ts';
import { detectMetadata, tableFromRows, type Cell, type Table } from '../../src/data/index.ts';
import { finalizeSample, SampleGuard, GaussianCopulaSynthesizer, type CandidateSource, type Constraint } from '../../src/synth/index.ts';

/** Training table: start ≤ end always; (country, city) pairs fixed; price continuous. */
function training(n = 400, seed = 1): Table {
  const rng = new Rng(seed);
  const places = [['FR', 'Paris'], ['FR', 'Lyon'], ['DE', 'Berlin'], ['US', 'Boston']] as const;
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const [country, city] = places[rng.int(places.length)]!;
    const start = rng.int(50);
    rows.push([country, city, start, start + rng.int(30), 10 + rng.next() * 90, rng.int(3)]);
  }
  return tableFromRows(['country', 'city', 'start', 'end', 'price', 'tier'], rows);
}

/** A deliberately naive generator: every column resampled independently from the training table. */
function independentSource(t: Table): CandidateSource {
  return {
    generate(count, rng) {
      const data: Record<string, Cell[]> = {};
      for (const c of t.columns) {
        const r = rng.split(c);
        data[c] = Array.from({ length: count }, () => t.data[c]![r.int(t.rowCount)]!);
      }
      // Continuous values jittered so they are rarely exact copies.
      data.price = data.price!.map((v) => (v as number) + rng.split('jit').next() * 1e-6);
      return { columns: [...t.columns], rowCount: count, data };
    },
  };
}

const constraints: Constraint[] = [
  { kind: 'inequality', low: 'start', high: 'end' },
  { kind: 'fixed-combinations', columns: ['country', 'city'] },
  { kind: 'range', column: 'price', min: 10, max: 100 },
];

test('reject path: conditions exact, constraints hold, acceptance rate reported', () => {
  const t = training();
  const md = detectMetadata(t);
  const guard = SampleGuard.fit(t, md, { constraints });
  const r = finalizeSample(independentSource(t), 100, { seed: 3, conditions: { country: 'FR', price: 50 }, maxTriesPerRow: 2000 }, guard);
  assert.equal(r.report.conditionMethod, 'reject');
  assert.equal(r.report.produced, 100);
  assert.ok(r.report.acceptanceRate > 0 && r.report.acceptanceRate < 0.2, `acceptance ${r.report.acceptanceRate}`);
  for (let i = 0; i < r.table.rowCount; i++) {
    assert.equal(r.table.data.country![i], 'FR');
    assert.equal(r.table.data.price![i], 50, 'continuous condition set exactly');
    assert.ok(['Paris', 'Lyon'].includes(r.table.data.city![i] as string));
    assert.ok((r.table.data.start![i] as number) <= (r.table.data.end![i] as number));
  }
});

test('property: every row satisfies conditions and constraints for any seed and condition', () => {
  const t = training(300, 2);
  const md = detectMetadata(t);
  const guard = SampleGuard.fit(t, md, { constraints });
  const src = independentSource(t);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom('FR', 'DE', 'US'), fc.integer({ min: 0, max: 2 }), (seed, country, tier) => {
      // Acceptance is ~1 % for some (country, tier) pairs: the default budget (100 tries per row)
      // may then produce fewer rows than asked (reported as produced < requested), so give more.
      const r = finalizeSample(src, 40, { seed, conditions: { country, tier }, maxTriesPerRow: 2000 }, guard);
      if (r.report.produced !== r.table.rowCount) return false;
      for (let i = 0; i < r.table.rowCount; i++) {
        if (r.table.data.country![i] !== country || r.table.data.tier![i] !== tier) return false;
        if (!guard.satisfiesConstraints(r.table, i)) return false;
        if (guard.isTrainingCopy(r.table, i)) return false;
      }
      return r.table.rowCount === 40;
    }),
    { numRuns: 25 },
  );
});

test('unsatisfiable conditions are ConfigErrors naming the condition', () => {
  const t = training();
  const guard = SampleGuard.fit(t, detectMetadata(t), { constraints: [...constraints, { kind: 'range', column: 'start', max: 60 }] });
  const src = independentSource(t);
  const bad = (conditions: Record<string, Cell>, field: string, msg: RegExp) =>
    assert.throws(() => finalizeSample(src, 10, { seed: 0, conditions }, guard), (e: unknown) => e instanceof ConfigError && e.location.field === field && msg.test(e.message), JSON.stringify(conditions));
  bad({ country: 'JP' }, 'conditions.country', /never occurs/);
  bad({ colour: 'red' }, 'conditions.colour', /does not have/);
  bad({ start: 65 }, 'conditions.start', /range constraint/);
  bad({ start: 55 }, 'conditions.start', /outside the training range/);
  bad({ price: 500 }, 'conditions.price', /range constraint/);
  bad({ end: 500 }, 'conditions.end', /outside the training range/);
  bad({ start: 30, end: 10 }, 'conditions.start', /inequality/);
  bad({ country: 'DE', city: 'Paris' }, 'conditions.country', /no training row has that combination/);
  bad({ start: 2.5 }, 'conditions.start', /integers/);
  bad({ tier: null }, 'conditions.tier', /no missing values/);
  // Satisfiable in principle but never produced by this source within the budget → acceptance 0.
  const never: CandidateSource = { generate: (count) => ({ columns: t.columns, rowCount: count, data: Object.fromEntries(t.columns.map((c) => [c, Array.from({ length: count }, () => t.data[c]![0]!)])) }) };
  assert.throws(() => finalizeSample(never, 5, { seed: 0, conditions: { country: t.data.country![0] === 'US' ? 'FR' : 'US' }, maxTriesPerRow: 10 }, guard), (e: unknown) => e instanceof ConfigError && /after 50 candidates/.test(e.message));
});

test('constraints are checked on the training table: a violation names row and column', () => {
  const t = tableFromRows(['lo', 'hi', 'c'], [[1, 2, 'a'], [3, 9, 'b'], [5, 4, 'a']]);
  const md = detectMetadata(t);
  assert.throws(
    () => SampleGuard.fit(t, md, { constraints: [{ kind: 'inequality', low: 'lo', high: 'hi' }] }),
    (e: unknown) => e instanceof DataValidationError && e.location.line === 3 && e.location.field === 'lo',
  );
  assert.throws(
    () => SampleGuard.fit(t, md, { constraints: [{ kind: 'range', column: 'hi', max: 8 }], file: 'f.csv', lines: [2, 3, 4] }),
    (e: unknown) => e instanceof DataValidationError && e.location.line === 3 && e.location.field === 'hi' && e.location.file === 'f.csv',
  );
  assert.throws(() => SampleGuard.fit(t, md, { constraints: [{ kind: 'range', column: 'c', min: 0 }] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'constraints[0].column');
  assert.throws(() => SampleGuard.fit(t, md, { constraints: [{ kind: 'fixed-combinations', columns: ['c', 'zz'] }] }), ConfigError);
});

test('exact copies of training rows are removed and counted; unique keys are not compared', () => {
  const t = tableFromRows(['id', 'a', 'b'], Array.from({ length: 30 }, (_, i) => [i, i % 3, i % 2 ? 'x' : 'y']));
  const guard = SampleGuard.fit(t, detectMetadata(t));
  let k = 1000;
  const copies: CandidateSource = {
    generate: (count, rng) => {
      const rows: Cell[][] = Array.from({ length: count }, () => (rng.next() < 0.5 ? [k++, rng.int(3), rng.next() < 0.5 ? 'x' : 'y'] : [k++, 7, 'z']));
      return tableFromRows(t.columns, rows);
    },
  };
  const r = finalizeSample(copies, 100, { seed: 1 }, guard);
  assert.equal(r.report.produced, 100);
  assert.ok(r.report.exactCopiesRemoved > 50, `removed ${r.report.exactCopiesRemoved}`);
  assert.ok(r.table.data.a!.every((v) => v === 7), 'every row equal to a training row on (a, b) was removed, whatever its id');
  const keep = SampleGuard.fit(t, detectMetadata(t), { removeExactCopies: false });
  assert.equal(finalizeSample(copies, 100, { seed: 1 }, keep).report.exactCopiesRemoved, 0);
  // The guard survives JSON.
  const round = SampleGuard.fromJSON(JSON.parse(JSON.stringify(guard.toJSON())));
  assert.deepEqual(finalizeSample(copies, 20, { seed: 4 }, round).report, finalizeSample(copies, 20, { seed: 4 }, guard).report);
});

test('copula + constraints + conditions compose: native conditioning, constraints enforced by rejection', async () => {
  const t = training(600, 5);
  const s = new GaussianCopulaSynthesizer();
  await s.fit(t, detectMetadata(t), { seed: 0, constraints });
  const r = s.sample(500, { seed: 2, conditions: { city: 'Berlin', tier: 1 } });
  assert.equal(r.report.conditionMethod, 'native');
  assert.equal(r.report.produced, 500);
  for (let i = 0; i < 500; i++) {
    assert.equal(r.table.data.city![i], 'Berlin');
    assert.equal(r.table.data.country![i], 'DE');
    assert.equal(r.table.data.tier![i], 1);
    assert.ok((r.table.data.start![i] as number) <= (r.table.data.end![i] as number));
  }
  assert.ok(r.report.acceptanceRate < 1, 'some candidates violated a constraint and were rejected');
  await assert.rejects(s.fit(tableFromRows(['start', 'end'], [[5, 1]]), detectMetadata(tableFromRows(['start', 'end'], [[5, 1]])), { seed: 0, constraints: [{ kind: 'inequality', low: 'start', high: 'end' }] }), DataValidationError);
});
