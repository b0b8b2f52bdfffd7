import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { selectRows, tableFromRows, type Cell, type Table } from '../../src/data/index.ts';
import {
  QUALITY_METRICS,
  columnImportances,
  columnPairImportances,
  rareCategoryCoverage,
  frequencyProfileSimilarity,
  qualityReport,
  trainOnSyntheticTestOnReal,
  utilityReport,
  type MetricValue,
} from '../../src/eval/index.ts';
import { PEOPLE_META, people, shuffleColumns } from './quality-fixtures.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

/** Every MetricValue anywhere in a report. */
function metricValues(x: unknown, out: MetricValue[] = []): MetricValue[] {
  if (Array.isArray(x)) for (const v of x) metricValues(v, out);
  else if (x !== null && typeof x === 'object') {
    if ('metric' in x && 'direction' in x && 'value' in x) out.push(x as MetricValue);
    else for (const v of Object.values(x)) metricValues(v, out);
  }
  return out;
}

function checkDirections(report: unknown): number {
  const values = metricValues(report);
  for (const v of values) {
    const spec = QUALITY_METRICS[v.metric as keyof typeof QUALITY_METRICS];
    assert.ok(spec, `metric ${v.metric} is declared`);
    assert.ok(v.direction === 'higher' || v.direction === 'lower', `${v.metric} has a direction`);
    assert.equal(v.direction, spec.direction);
    assert.deepEqual(v.range, spec.range);
    const [lo, hi] = v.range;
    assert.ok(Number.isFinite(v.value), `${v.metric} is finite`);
    if (lo !== null) assert.ok(v.value >= lo - 1e-12, `${v.metric} ${v.value} ≥ ${lo}`);
    if (hi !== null) assert.ok(v.value <= hi + 1e-12, `${v.metric} ${v.value} ≤ ${hi}`);
  }
  return values.length;
}

test('identical data: every shape and pair scores 1, detection AUC ≈ 0.5, directions declared', () => {
  const real = people(1500, 1);
  const r = qualityReport(real, real, PEOPLE_META, { seed: 3 });
  for (const c of r.columnShapes.columns) assert.equal(c.score?.value, 1, c.column);
  assert.equal(r.columnShapes.score.value, 1);
  assert.ok(r.columnPairs.pairs.length === 10, `5 non-id columns → 10 pairs, got ${r.columnPairs.pairs.length}`);
  for (const p of r.columnPairs.pairs) close(p.score.value, 1, 1e-12, p.columns.join('×'));
  assert.equal(r.overall.value, 1);
  assert.ok(!('skipped' in r.detection));
  if (!('skipped' in r.detection)) {
    close(r.detection.detectionAuc.linear.value, 0.5, 1e-9, `detection ${r.detection.detectionAuc.linear.value}`);
    assert.equal(r.detection.detectionAuc.linear.direction, 'lower');
    // Every real row's synthetic twin sits in its fold: the trees score both alike.
    close(r.detection.detectionAuc.trees.value, 0.5, 1e-9, `trees ${r.detection.detectionAuc.trees.value}`);
    assert.equal(r.detection.detectionAuc.trees.metric, 'DetectionAUC');
    assert.equal(r.detection.detectionAuc.linear.metric, 'LinearDetectionAUC');
    assert.deepEqual(r.detection.excludedColumns.map((e) => e.column), ['user_id']);
  }
  assert.deepEqual(r.columnPairs.skippedColumns.map((s) => s.column), ['user_id']);
  // 6 shapes, 10 pairs, 3 scores, 2 detection AUCs (trees, linear), rare-category coverage, association error.
  assert.equal(checkDirections(r), 6 + 10 + 3 + 2 + 1 + 1);
  assert.equal(r.columnPairs.associationError?.value, 0);
  // Identical tables keep every rare category at its exact rate.
  assert.ok(r.rareCategories.categories.every((c) => c.ratio === 1));
  assert.equal(r.rareCategories.score?.value ?? 1, 1);
});

test('a fresh draw from the same process scores high; independent columns keep shapes but lose pair trends', () => {
  const real = people(2000, 1);
  const same = qualityReport(real, people(2000, 2), PEOPLE_META, { seed: 0 });
  const shuffled = qualityReport(real, shuffleColumns(real, 9), PEOPLE_META, { seed: 0 });
  assert.ok(same.columnShapes.score.value > 0.95, `shapes ${same.columnShapes.score.value}`);
  assert.ok(same.columnPairs.score!.value > 0.95, `pairs ${same.columnPairs.score!.value}`);
  // Permuting a column keeps its marginal exactly.
  for (const c of shuffled.columnShapes.columns) assert.equal(c.score?.value, 1, c.column);
  const pair = (r: typeof same, a: string, b: string) => r.columnPairs.pairs.find((p) => p.columns[0] === a && p.columns[1] === b)!;
  const ageIncome = pair(shuffled, 'age', 'income');
  assert.equal(ageIncome.score.metric, 'CorrelationSimilarity');
  assert.ok(ageIncome.real! > 0.8 && Math.abs(ageIncome.synthetic!) < 0.1, `ρ real ${ageIncome.real} synthetic ${ageIncome.synthetic}`);
  assert.ok(ageIncome.score.value < 0.6, `age×income ${ageIncome.score.value}`);
  assert.ok(pair(shuffled, 'age', 'city').score.metric === 'ContingencySimilarity');
  assert.ok(pair(shuffled, 'age', 'city').score.value < pair(same, 'age', 'city').score.value - 0.2);
  assert.ok(shuffled.columnPairs.score!.value < same.columnPairs.score!.value - 0.15, `pairs ${shuffled.columnPairs.score!.value} vs ${same.columnPairs.score!.value}`);
  assert.ok(shuffled.overall.value < same.overall.value);
});

test('detection: a shifted or rescaled column is found; the same process is not', () => {
  const real = people(2000, 1);
  const shifted = people(2000, 2);
  const income = shifted.data.income!.map((v) => (v as number) * 1.3 + 500);
  const r = qualityReport(real, { ...shifted, data: { ...shifted.data, income } }, PEOPLE_META, { seed: 0 });
  const same = qualityReport(real, people(2000, 2), PEOPLE_META, { seed: 0 });
  assert.ok(!('skipped' in r.detection) && !('skipped' in same.detection));
  if ('skipped' in r.detection || 'skipped' in same.detection) return;
  assert.ok(r.detection.detectionAuc.linear.value > 0.8, `shifted ${r.detection.detectionAuc.linear.value}`);
  assert.ok(same.detection.detectionAuc.linear.value < 0.57, `same ${same.detection.detectionAuc.linear.value}`);
  assert.ok(r.detection.detectionAuc.trees.value > 0.8, `trees, shifted ${r.detection.detectionAuc.trees.value}`);
  assert.ok(same.detection.detectionAuc.trees.value < 0.57, `trees, same ${same.detection.detectionAuc.trees.value}`);
  assert.equal(r.detection.importances[0]?.column, 'income');
  // Only the spread differs: the squared features let the linear detector see it.
  const ages = real.data.age!.map((v) => 42.5 + ((v as number) - 42.5) * 0.4);
  const narrow = qualityReport(real, { ...real, data: { ...real.data, age: ages } }, PEOPLE_META, { seed: 0, columns: ['age'] });
  const noSquares = qualityReport(real, { ...real, data: { ...real.data, age: ages } }, PEOPLE_META, { seed: 0, columns: ['age'], detection: { squares: false } });
  if ('skipped' in narrow.detection || 'skipped' in noSquares.detection) assert.fail('detection skipped');
  assert.ok(narrow.detection.detectionAuc.linear.value > 0.75, `spread with squares ${narrow.detection.detectionAuc.linear.value}`);
  assert.ok(noSquares.detection.detectionAuc.linear.value < 0.6, `spread without squares ${noSquares.detection.detectionAuc.linear.value}`);
});

test('detection: the trees see a broken dependence the linear score cannot, and name a planted artefact as the top column', () => {
  const real = people(2000, 1);
  // Every column's marginal kept exactly, every dependence between columns broken.
  const shuffled = qualityReport(real, shuffleColumns(people(2000, 2), 7), PEOPLE_META, { seed: 0 });
  // A fresh draw of the same process with one column shifted by a constant (a third of its range).
  const fresh = people(2000, 2);
  const signup = fresh.data.signup!.map((v) => (v as number) + 1e7);
  const planted = qualityReport(real, { ...fresh, data: { ...fresh.data, signup } }, PEOPLE_META, { seed: 0 });
  if ('skipped' in shuffled.detection || 'skipped' in planted.detection) assert.fail('detection skipped');
  assert.ok(shuffled.detection.detectionAuc.trees.value > 0.85, `trees, shuffled ${shuffled.detection.detectionAuc.trees.value}`);
  assert.ok(shuffled.detection.detectionAuc.linear.value < 0.6, `linear, shuffled ${shuffled.detection.detectionAuc.linear.value}`);
  assert.ok(planted.detection.detectionAuc.trees.value > 0.7, `trees, planted ${planted.detection.detectionAuc.trees.value}`);
  const top = planted.detection.importances;
  assert.equal(top[0]?.column, 'signup');
  assert.ok(top[0]!.share > 0.5, `signup share ${top[0]!.share}`);
  // One entry per non-id column, shares non-negative and summing to 1.
  assert.deepEqual(top.map((c) => c.column).sort(), ['age', 'city', 'income', 'member', 'signup']);
  assert.ok(top.every((c) => c.share >= 0 && c.gain >= 0));
  close(top.reduce((a, c) => a + c.share, 0), 1, 1e-12, 'shares');
});

test('detection importances: sub-features of one source column add up; largest first, ties by name', () => {
  const out = columnImportances([1, 2, 3, 4, 0], ['a', 'b', 'a', 'c', 'd']);
  assert.deepEqual(out.map((c) => [c.column, c.gain]), [['a', 4], ['c', 4], ['b', 2], ['d', 0]]);
  close(out[0]!.share, 0.4, 1e-12);
  assert.deepEqual(columnImportances([0, 0], ['x', 'y']).map((c) => c.share), [0, 0]);
});

test('reports are deterministic for a seed', () => {
  const real = people(800, 1);
  const syn = people(600, 5);
  const a = JSON.stringify(qualityReport(real, syn, PEOPLE_META, { seed: 7 }));
  const b = JSON.stringify(qualityReport(real, syn, PEOPLE_META, { seed: 7 }));
  assert.equal(a, b);
});

test('id columns: frequency profile ignores which ids, identity mode does not; skip is stated', () => {
  const real = people(1000, 1);
  const relabelled = { ...real, data: { ...real.data, user_id: real.data.user_id!.map((v) => `x-${String(v)}`) } };
  close(frequencyProfileSimilarity(real, relabelled, 'user_id'), 1, 1e-12);
  const uniform = tableFromRows(['user_id'], Array.from({ length: 1000 }, (_, i) => [`v${i % 300}`]));
  assert.ok(frequencyProfileSimilarity(real, uniform, 'user_id') < 0.8);
  const prof = qualityReport(real, relabelled, PEOPLE_META, { seed: 0, columns: ['user_id', 'age'] });
  const ident = qualityReport(real, relabelled, PEOPLE_META, { seed: 0, columns: ['user_id', 'age'], idColumns: 'identity' });
  const skip = qualityReport(real, relabelled, PEOPLE_META, { seed: 0, columns: ['user_id', 'age'], idColumns: 'skip' });
  assert.equal(prof.columnShapes.columns[0]!.score!.metric, 'FrequencyProfileSimilarity');
  close(prof.columnShapes.columns[0]!.score!.value, 1, 1e-12);
  assert.equal(ident.columnShapes.columns[0]!.score!.metric, 'TVComplement');
  close(ident.columnShapes.columns[0]!.score!.value, 0, 1e-12);
  assert.equal(skip.columnShapes.columns[0]!.score, null);
  assert.match(skip.columnShapes.columns[0]!.skipped!, /id column/);
});

test('missing values and datetime strings are handled; a bad cell is a data error naming the column', () => {
  const real = tableFromRows(['t', 'x'], [['2024-01-01T00:00:00Z', 1], ['2024-01-02T00:00:00Z', null], ['2024-01-03T00:00:00Z', 3], [null, 2]]);
  const meta = { columns: { t: { type: 'datetime' as const, datetimeFormat: 'iso' as const }, x: { type: 'numerical' as const } } };
  const r = qualityReport(real, real, meta, { seed: 0, detection: false });
  assert.equal(r.columnShapes.score.value, 1);
  close(r.columnShapes.columns[1]!.missingShare.real, 0.25, 1e-12);
  const bad = tableFromRows(['t', 'x'], [['2024-01-01T00:00:00Z', 'abc']]);
  assert.throws(() => qualityReport(real, bad, meta, { seed: 0 }), (e: Error) => e.name === 'DataValidationError' && /x|abc/.test(e.message));
  const missingCol = tableFromRows(['t'], [['2024-01-01T00:00:00Z']]);
  assert.throws(() => qualityReport(real, missingCol, meta, { seed: 0 }), /missing from the synthetic table/);
});

test('bad options are ConfigErrors naming the key', () => {
  const real = people(50, 1);
  assert.throws(() => qualityReport(real, real, PEOPLE_META, { seed: 0, quantileBins: 1 }), (e: Error) => e instanceof ConfigError && /quantileBins/.test(e.message));
  assert.throws(() => qualityReport(real, real, PEOPLE_META, { seed: 0, bogus: 1 } as never), (e: Error) => e instanceof ConfigError && /bogus/.test(e.message));
  assert.throws(() => qualityReport(real, real, PEOPLE_META, { seed: -1 }), (e: Error) => e instanceof ConfigError && /seed/.test(e.message));
});

test('utility: TSTR of a copy of the real data is 1; of label-shuffled data, near chance', () => {
  const all = people(3000, 1);
  const train = selectRows(all, Array.from({ length: 2000 }, (_, i) => i));
  const test = selectRows(all, Array.from({ length: 1000 }, (_, i) => 2000 + i));
  const same = utilityReport(train, train, test, PEOPLE_META, { seed: 0, target: 'member' });
  assert.equal(same.fraction.value, 1);
  assert.equal(same.metric.name, 'AUC');
  assert.ok(same.trainOnReal > 0.85, `TRTR AUC ${same.trainOnReal}`);
  const noisy = shuffleColumns(train, 4);
  const broken: Table = { ...train, data: { ...train.data, member: noisy.data.member! } };
  const u = utilityReport(train, broken, test, PEOPLE_META, { seed: 0, target: 'member' });
  assert.ok(u.fractionAboveChance!.value < 0.3, `above-chance fraction ${u.fractionAboveChance!.value}`);
  assert.ok(u.fraction.value < 0.75, `fraction ${u.fraction.value}`);
  assert.ok(checkDirections(u) === 2);
  // Threshold targets and the custom-model path.
  const thr = utilityReport(train, people(2000, 8), test, PEOPLE_META, { seed: 0, target: 'income', atLeast: 3500 });
  assert.ok(thr.fraction.value > 0.9, `fresh draw fraction ${thr.fraction.value}`);
  const custom = trainOnSyntheticTestOnReal(train, broken, {
    metric: { name: 'LogLoss', direction: 'lower', range: [0, null] },
    description: 'rows',
    fitAndScore: (t) => 1 / t.rowCount,
  });
  assert.equal(custom.fraction.value, 1);
  assert.throws(() => utilityReport(train, train, test, PEOPLE_META, { seed: 0, target: 'city' }), /positive/);
});

test('detection pair importances: feature pairs add up per pair of distinct source columns; pairs within one column are left out', () => {
  const gains = new Map([['0,1', 3], ['1,2', 1], ['0,2', 2], ['0,3', 5]]);
  // features 0 and 2 belong to column a, 1 to b, 3 to c
  const out = columnPairImportances(gains, ['a', 'b', 'a', 'c']);
  assert.deepEqual(out.map((p) => [p.columns, p.gain]), [[['a', 'c'], 5], [['a', 'b'], 4]]);
  close(out[0]!.share, 5 / 9, 1e-12);
});

test('detection reports the pair of columns whose dependence the synthetic rows break', () => {
  // b copies a in the real rows; in the synthetic rows b is a shuffled copy (same marginals, no link).
  const rng = new Rng(5);
  const n = 600;
  const a = Array.from({ length: n }, () => Math.round(rng.normal() * 1000) / 10);
  const noise = Array.from({ length: n }, () => rng.normal());
  const real = { columns: ['a', 'b', 'noise'], rowCount: n, data: { a, b: a.map((v) => v + 0.5), noise } };
  const shuffled = a.slice();
  rng.shuffle(shuffled);
  const synthetic = { columns: ['a', 'b', 'noise'], rowCount: n, data: { a: a.slice(), b: shuffled.map((v) => v + 0.5), noise: noise.slice().reverse() } };
  const meta = { columns: { a: { type: 'numerical' as const }, b: { type: 'numerical' as const }, noise: { type: 'numerical' as const } } };
  const r = qualityReport(real, synthetic, meta, { seed: 0 });
  if ('skipped' in r.detection) assert.fail('detection skipped');
  assert.ok(r.detection.detectionAuc.trees.value > 0.8, `trees ${r.detection.detectionAuc.trees.value}`);
  assert.deepEqual(r.detection.pairImportances[0]?.columns, ['a', 'b']);
});

test('rare categories: a value the synthetic rows never produce, or produce at the wrong rate, is counted; common values are not', () => {
  const n = 1000;
  // real: 'x' in 0.5 % of rows, 'y' in 0.8 %, the rest 'a'; n_genres = 6 in 0.4 %.
  const realCat = Array.from({ length: n }, (_, i) => (i < 5 ? 'x' : i < 13 ? 'y' : 'a'));
  const realCount = Array.from({ length: n }, (_, i) => (i < 4 ? 6 : 1 + (i % 3)));
  const synCat = Array.from({ length: n }, (_, i) => (i < 8 ? 'y' : 'a')); // 'x' never, 'y' at 1×
  const synCount = Array.from({ length: n }, (_, i) => (i < 20 ? 6 : 1 + (i % 3))); // 6 at 5×
  const meta = { columns: { cat: { type: 'categorical' as const }, genres: { type: 'numerical' as const, integer: true } } };
  const r = rareCategoryCoverage({ columns: ['cat', 'genres'], rowCount: n, data: { cat: realCat, genres: realCount } }, { columns: ['cat', 'genres'], rowCount: n, data: { cat: synCat, genres: synCount } }, [
    { name: 'cat', meta: meta.columns.cat },
    { name: 'genres', meta: meta.columns.genres },
  ]);
  assert.deepEqual(r.categories.map((c) => [c.column, c.value, c.ratio]), [['cat', 'x', 0], ['cat', 'y', 1], ['genres', '6', 5]]);
  assert.equal(r.neverProduced, 1);
  assert.equal(r.outside2x, 2);
  close(r.score!.value, 1 / 3, 1e-12);
  assert.equal(r.score!.metric, 'RareCategoryCoverage');
});

test("AssociationError: Cramér's V per categorical pair (hand-computed), 0 for a copy, large when the link is broken", () => {
  // 2×2 table [[30, 10], [10, 50]]: χ² = 100 · (30·50 − 10·10)² / (40·60·40·60) = 34.03, V = √(χ²/100) = 0.5833.
  const rows: Cell[][] = [];
  const push = (a: string, b: string, k: number) => {
    for (let i = 0; i < k; i++) rows.push([a, b]);
  };
  push('x', 'u', 30);
  push('x', 'v', 10);
  push('y', 'u', 10);
  push('y', 'v', 50);
  const real = tableFromRows(['a', 'b'], rows);
  const metadata = { columns: { a: { type: 'categorical' as const }, b: { type: 'categorical' as const } } };
  const copy = qualityReport(real, real, metadata, { detection: false, seed: 0 });
  const pair = copy.columnPairs.pairs[0]!;
  assert.ok(Math.abs(pair.cramersV!.real - 0.58333) < 1e-4, String(pair.cramersV!.real));
  assert.equal(copy.columnPairs.associationError!.value, 0);
  // Same marginals, independent columns: the association is lost entirely.
  const broken = tableFromRows(['a', 'b'], rows.map((r, i) => [r[0]!, rows[(i * 37) % rows.length]![1]!]));
  const lost = qualityReport(real, broken, metadata, { detection: false, seed: 0 });
  assert.ok(lost.columnPairs.associationError!.value > 0.3, String(lost.columnPairs.associationError!.value));
  assert.equal(lost.columnPairs.associationError!.metric, 'AssociationError');
});
