import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng, ConfigError, DataValidationError, ModelStateError } from '../../src/core/index.ts';
import { detectMetadata, readTable, tableFromRows, type Cell, type Table } from '../../src/data/index.ts';
import { GaussianCopulaSynthesizer, createSynthesizer, loadSynthesizer } from '../../src/synth/index.ts';
import { stratifiedUniforms } from '../../src/synth/copula.ts';

const tmp = mkdtempSync(join(tmpdir(), 'samplify-copula-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function gaussianPair(n: number, rho: number, seed: number): Table {
  const rng = new Rng(seed);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rho * a + Math.sqrt(1 - rho * rho) * rng.normal();
    rows.push([a, 10 + 3 * b]);
  }
  return tableFromRows(['x', 'y'], rows);
}

function pearson(a: readonly Cell[], b: readonly Cell[]): number {
  const x = a as number[];
  const y = b as number[];
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test('marginal choice: normal data → normal; bimodal data → empirical; uniform → uniform (KS recorded)', async () => {
  const rng = new Rng(3);
  const rows: Cell[][] = [];
  for (let i = 0; i < 2000; i++) rows.push([rng.normal() * 2 - 1, (rng.next() < 0.5 ? -4 : 4) + rng.normal() * 0.5, 5 + 10 * rng.next()]);
  const t = tableFromRows(['gauss', 'bimodal', 'flat'], rows);
  const s = new GaussianCopulaSynthesizer();
  await s.fit(t, detectMetadata(t), { seed: 0 });
  const ch = Object.fromEntries(s.marginalChoices().map((c) => [c.column, c]));
  assert.equal(ch.gauss!.family, 'normal');
  assert.equal(ch.bimodal!.family, 'empirical');
  assert.equal(ch.flat!.family, 'uniform');
  assert.ok(ch.gauss!.ks!.normal! < ch.gauss!.criticalValue!);
  assert.ok(Object.values(ch.bimodal!.ks!).every((k) => k > ch.bimodal!.criticalValue!), 'every parametric family failed the KS test');
  // The empirical marginal reproduces bimodality: almost no samples near 0, about half on each side.
  const out = s.sample(4000, { seed: 1 }).table.data.bimodal as number[];
  assert.ok(out.filter((v) => Math.abs(v) < 1.5).length / out.length < 0.02);
  const pos = out.filter((v) => v > 0).length / out.length;
  assert.ok(Math.abs(pos - 0.5) < 0.04, `share positive ${pos}`);
});

test('correlation of a 2-column gaussian is recovered (|ρ̂ − ρ| < 0.05) and marginals kept', async () => {
  for (const rho of [0.8, -0.5]) {
    const t = gaussianPair(3000, rho, 11);
    const s = new GaussianCopulaSynthesizer();
    await s.fit(t, detectMetadata(t), { seed: 0 });
    const out = s.sample(5000, { seed: 2 }).table;
    const r = pearson(out.data.x!, out.data.y!);
    assert.ok(Math.abs(r - rho) < 0.05, `rho ${rho}: got ${r}`);
    const y = out.data.y as number[];
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    assert.ok(Math.abs(mean - 10) < 0.2, `mean ${mean}`);
  }
});

test('categorical frequencies are recovered; integer columns stay integers; nulls keep their rate', async () => {
  const rng = new Rng(5);
  const cats = ['a', 'b', 'c', 'd'];
  const probs = [0.5, 0.3, 0.15, 0.05];
  const rows: Cell[][] = [];
  for (let i = 0; i < 3000; i++) {
    let u = rng.next();
    let k = 0;
    while (u > probs[k]! && k < 3) u -= probs[k++]!;
    rows.push([cats[k]!, 20 + rng.int(40), rng.next() < 0.2 ? null : rng.normal()]);
  }
  const t = tableFromRows(['cat', 'age', 'score'], rows);
  // A null score with a category and an age almost always equals some training row, so the default
  // exact-copy removal would take most null rows away: measure the model itself here.
  const s = new GaussianCopulaSynthesizer({ removeExactCopies: false });
  await s.fit(t, detectMetadata(t), { seed: 0 });
  const out = s.sample(6000, { seed: 9 }).table;
  const filtered = new GaussianCopulaSynthesizer();
  await filtered.fit(t, detectMetadata(t), { seed: 0 });
  const f = filtered.sample(6000, { seed: 9 });
  assert.ok(f.report.exactCopiesRemoved > 500, `copies removed ${f.report.exactCopiesRemoved}`);
  assert.ok(f.table.data.score!.filter((v) => v === null).length < 0.05 * f.table.rowCount, 'copies removed are the null-score rows');
  const c = out.data.cat!;
  cats.forEach((cat, k) => {
    const f = c.filter((v) => v === cat).length / c.length;
    assert.ok(Math.abs(f - probs[k]!) < 0.02, `${cat}: ${f} vs ${probs[k]}`);
  });
  assert.ok((out.data.age as number[]).every((v) => Number.isInteger(v) && v >= 20 && v <= 59));
  const nullRate = out.data.score!.filter((v) => v === null).length / out.rowCount;
  assert.ok(Math.abs(nullRate - 0.2) < 0.02, `null rate ${nullRate}`);
});

test('native conditions: every row carries the exact values, and the other columns follow the conditional', async () => {
  const t = gaussianPair(3000, 0.9, 4);
  const withCat = tableFromRows(['x', 'y', 'g'], Array.from({ length: t.rowCount }, (_, i) => [t.data.x![i]!, t.data.y![i]!, (t.data.x![i] as number) > 0 ? 'hi' : 'lo']));
  const s = new GaussianCopulaSynthesizer();
  await s.fit(withCat, detectMetadata(withCat), { seed: 0 });
  const r = s.sample(1000, { seed: 3, conditions: { x: 1.5 } });
  assert.equal(r.report.conditionMethod, 'native');
  assert.equal(r.report.produced, 1000);
  assert.ok(r.table.data.x!.every((v) => v === 1.5));
  // y | x = 1.5 has mean 10 + 3·0.9·1.5 ≈ 14.05 under the fitted gaussian (approximately, through the marginals).
  const y = r.table.data.y as number[];
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  assert.ok(Math.abs(my - 14.05) < 0.4, `conditional mean ${my}`);
  // Through frequency ranges a two-valued column carries only part of x (latent correlation ≈ 0.64
  // for a median split), so x | g is shifted, not separated.
  const g = s.sample(1000, { seed: 4, conditions: { g: 'lo' } });
  assert.ok(g.table.data.g!.every((v) => v === 'lo'));
  const neg = (g.table.data.x as number[]).filter((v) => v < 0).length / 1000;
  assert.ok(neg > 0.68, `share of x < 0 given lo: ${neg}`);
  const h = s.sample(1000, { seed: 4, conditions: { g: 'hi' } });
  assert.ok((h.table.data.x as number[]).filter((v) => v < 0).length / 1000 < 0.32);
});

test('determinism: same seed ⇒ identical rows after fitting twice; save → load samples identically; other kinds refused', async () => {
  const t = gaussianPair(500, 0.3, 8);
  const withCat = tableFromRows(['id', 'x', 'y', 'c'], Array.from({ length: 500 }, (_, i) => [i, t.data.x![i]!, t.data.y![i]!, ['p', 'q', 'r'][i % 3]!]));
  const md = detectMetadata(withCat);
  const a = createSynthesizer('gaussian-copula');
  const b = createSynthesizer('gaussian-copula');
  await a.fit(withCat, md, { seed: 7 });
  await b.fit(withCat, md, { seed: 7 });
  const sa = JSON.stringify(a.sample(300, { seed: 1 }).table);
  assert.equal(sa, JSON.stringify(b.sample(300, { seed: 1 }).table));
  assert.notEqual(sa, JSON.stringify(a.sample(300, { seed: 2 }).table));
  const path = join(tmp, 'm.json');
  a.save(path);
  const loaded = loadSynthesizer(path);
  assert.equal(loaded.name, 'gaussian-copula');
  assert.equal(JSON.stringify(loaded.sample(300, { seed: 1 }).table), sa);
  assert.equal(JSON.stringify(loaded.sample(50, { seed: 5, conditions: { c: 'q' } })), JSON.stringify(a.sample(50, { seed: 5, conditions: { c: 'q' } })));
  // Generated keys are new and unique.
  const ids = a.sample(300, { seed: 1 }).table.data.id as number[];
  assert.equal(new Set(ids).size, 300);
  assert.ok(ids.every((v) => v >= 500));
  const other = join(tmp, 'other.json');
  writeFileSync(other, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), kind: 'ctgan' }));
  assert.throws(() => new GaussianCopulaSynthesizer().load(other), ModelStateError);
  writeFileSync(join(tmp, 'junk.json'), 'not json');
  assert.throws(() => loadSynthesizer(join(tmp, 'junk.json')), ModelStateError);
  assert.throws(() => new GaussianCopulaSynthesizer().sample(3), ModelStateError);
  assert.throws(() => createSynthesizer('gaussian-copula', { distribtion: 'normal' }), (e: unknown) => e instanceof ConfigError && /distribtion/.test(e.location.field ?? ''));
  assert.throws(() => createSynthesizer('nope'), ConfigError);
});

test('edge tables: single row, constant and all-null columns give documented results, never NaN', async () => {
  const one = tableFromRows(['a', 'b'], [[1, 'x']]);
  const s = new GaussianCopulaSynthesizer();
  await s.fit(one, detectMetadata(one), { seed: 0 });
  // The only possible row is the training row: removed as a copy, so the request is unsatisfiable.
  assert.throws(() => s.sample(5, { seed: 0 }), (e: unknown) => e instanceof ConfigError && /exact copies/.test(e.message));
  const keep = new GaussianCopulaSynthesizer({ removeExactCopies: false });
  await keep.fit(one, detectMetadata(one), { seed: 0 });
  assert.deepEqual(keep.sample(2, { seed: 0 }).table.data.b, ['x', 'x']);
  const t = tableFromRows(['k', 'v', 'n'], Array.from({ length: 50 }, (_, i) => [3, i % 2 ? 1.5 : 2.5, null]));
  const s2 = new GaussianCopulaSynthesizer({ removeExactCopies: false });
  await s2.fit(t, detectMetadata(t), { seed: 0 });
  const out = s2.sample(100, { seed: 0 }).table;
  assert.ok(out.data.k!.every((v) => v === 3));
  assert.ok(out.data.n!.every((v) => v === null));
  assert.ok((out.data.v as number[]).every((v) => Number.isFinite(v) && v >= 1.5 && v <= 2.5));
  const nan = tableFromRows(['x'], [[1], [NaN], [3]]);
  await assert.rejects(new GaussianCopulaSynthesizer().fit(nan, { columns: { x: { type: 'numerical' } } }, { seed: 0 }), (e: unknown) => e instanceof DataValidationError && e.location.line === 2 && e.location.field === 'x');
});

const userFile = resolve(import.meta.dirname, '../../../shared/data/ml-100k/ml-100k.user');
test('ml-100k users: fit + sample; gender/occupation frequencies within 3 points', { skip: !existsSync(userFile) && 'no ../shared/data' }, async () => {
  const r = await readTable(userFile);
  const s = new GaussianCopulaSynthesizer();
  await s.fit(r.table, detectMetadata(r.table), { seed: 0 });
  const out = s.sample(3000, { seed: 0 });
  const share = (col: readonly Cell[], v: Cell) => col.filter((x) => x === v).length / col.length;
  assert.ok(Math.abs(share(out.table.data.gender!, 'F') - share(r.table.data.gender!, 'F')) < 0.03);
  assert.ok(Math.abs(share(out.table.data.occupation!, 'student') - share(r.table.data.occupation!, 'student')) < 0.03);
});

/** Cramér's V of two categorical columns. */
function cramersV(t: Table, a: string, b: string): number {
  const key = (c: Cell | undefined) => String(c);
  const ra = new Map<string, number>();
  const rb = new Map<string, number>();
  const joint = new Map<string, number>();
  const n = t.rowCount;
  for (let i = 0; i < n; i++) {
    const x = key(t.data[a]![i]);
    const y = key(t.data[b]![i]);
    ra.set(x, (ra.get(x) ?? 0) + 1);
    rb.set(y, (rb.get(y) ?? 0) + 1);
    joint.set(`${x}\u0000${y}`, (joint.get(`${x}\u0000${y}`) ?? 0) + 1);
  }
  let chi = 0;
  for (const [x, cx] of ra) for (const [y, cy] of rb) {
    const e = (cx * cy) / n;
    chi += ((joint.get(`${x}\u0000${y}`) ?? 0) - e) ** 2 / e;
  }
  return Math.sqrt(chi / n / Math.max(1, Math.min(ra.size, rb.size) - 1));
}

test('categorical dependence: latent correlations and association order keep Cramér\u2019s V that the classic copula loses', async () => {
  // Two associated booleans, and a 4-value nominal column whose link to a boolean is not monotone
  // in frequency order (the most and least frequent values lean one way, the middle ones the other).
  const rng = new Rng(11);
  const rows: Cell[][] = [];
  for (let i = 0; i < 6000; i++) {
    const a = rng.next() < 0.3;
    const b = rng.next() < (a ? 0.8 : 0.1);
    const u = rng.next();
    const nominal = u < 0.4 ? 'p' : u < 0.7 ? 'q' : u < 0.9 ? 'r' : 's';
    const lean = nominal === 'p' || nominal === 's';
    const g = rng.next() < (lean ? 0.85 : 0.15) ? 'M' : 'F';
    rows.push([a, b, nominal, g]);
  }
  const table = tableFromRows(['a', 'b', 'nominal', 'g'], rows);
  const metadata = { columns: { a: { type: 'boolean' as const }, b: { type: 'boolean' as const }, nominal: { type: 'categorical' as const }, g: { type: 'categorical' as const } } };
  const fitSample = async (params: Record<string, unknown>) => {
    // Every combination of these four columns occurs in training, so exact copies must be allowed.
    const s = createSynthesizer('gaussian-copula', { removeExactCopies: false, ...params });
    await s.fit(table, metadata, { seed: 0 });
    return s.sample(6000, { seed: 1 }).table;
  };
  // Without the categorical tree (next tests), the latent mechanism alone.
  const improved = await fitSample({ categoryDependence: 'latent' });
  const classic = await fitSample({ discreteCorrelation: 'scores', categoryOrder: 'frequency', categoryDependence: 'latent' });
  const realAB = cramersV(table, 'a', 'b');
  const realNG = cramersV(table, 'nominal', 'g');
  assert.ok(realAB > 0.5 && realNG > 0.5, `planted associations: ${realAB}, ${realNG}`);
  assert.ok(Math.abs(cramersV(improved, 'a', 'b') - realAB) < 0.1, `a×b: real ${realAB}, synthetic ${cramersV(improved, 'a', 'b')}`);
  assert.ok(Math.abs(cramersV(improved, 'nominal', 'g') - realNG) < 0.15, `nominal×g: real ${realNG}, synthetic ${cramersV(improved, 'nominal', 'g')}`);
  assert.ok(cramersV(classic, 'a', 'b') < realAB - 0.15, 'the classic copula attenuates a×b (the test can tell them apart)');
  assert.ok(cramersV(classic, 'nominal', 'g') < realNG - 0.3, 'the classic copula misses the non-monotone nominal link');
});

/** 20,000 rows: genre A/B/C shifts x; 'six' has 6 rows and 'once' one, as ml-100k's rare genres. */
function rareGenres(): Table {
  const rng = new Rng(21);
  const rows: Cell[][] = [];
  for (let i = 0; i < 20000; i++) {
    const genre = i === 777 ? 'once' : i % 3334 === 5 ? 'six' : rng.next() < 0.6 ? 'A' : rng.next() < 0.75 ? 'B' : 'C';
    const shift = genre === 'B' ? 2 : genre === 'C' ? 4 : 0;
    rows.push([genre, shift + rng.normal()]);
  }
  return tableFromRows(['genre', 'x'], rows);
}

test('stratified categories: a 1-row and a 6-row category come out within 2x of their share in every seed (independent draws miss them)', async () => {
  const t = rareGenres();
  const counts = (rows: readonly Cell[], v: string): number => rows.filter((c) => c === v).length;
  assert.equal(counts(t.data.genre!, 'once'), 1);
  assert.equal(counts(t.data.genre!, 'six'), 6);
  const stratified = new GaussianCopulaSynthesizer();
  const independent = new GaussianCopulaSynthesizer({ categorySampling: 'independent' });
  await stratified.fit(t, detectMetadata(t), { seed: 0 });
  await independent.fit(t, detectMetadata(t), { seed: 0 });
  let independentMisses = 0;
  const meanX = (tb: Table, g: string): number => {
    const xs = (tb.data.x as number[]).filter((_, i) => tb.data.genre![i] === g);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  for (let seed = 0; seed < 8; seed++) {
    const s = stratified.sample(20000, { seed, rareCategoryShare: 0 }).table;
    // The sampler's quotas have nothing to correct in stratified counts: the same rows.
    assert.deepEqual(stratified.sample(20000, { seed }).table, s, `seed ${seed}: quotas changed a stratified sample`);
    assert.ok(counts(s.data.genre!, 'once') >= 1 && counts(s.data.genre!, 'once') <= 2, `seed ${seed}: 'once' ×${counts(s.data.genre!, 'once')}`);
    assert.ok(counts(s.data.genre!, 'six') >= 3 && counts(s.data.genre!, 'six') <= 12, `seed ${seed}: 'six' ×${counts(s.data.genre!, 'six')}`);
    for (const g of ['A', 'B', 'C']) assert.ok(Math.abs(counts(s.data.genre!, g) - counts(t.data.genre!, g)) <= 1, `seed ${seed}: ${g} within one row of its training count`);
    // Without the sampler's rare-category quotas (rare-quota.ts), which would hide the difference.
    const i = independent.sample(20000, { seed, rareCategoryShare: 0 }).table;
    const once = counts(i.data.genre!, 'once');
    if (once < 1 || once > 2) independentMisses++;
    // The ranks carry the dependence: x given the genre is what the independent draws give.
    for (const g of ['A', 'B', 'C']) assert.ok(Math.abs(meanX(s, g) - meanX(i, g)) < 0.15, `seed ${seed}: mean x | ${g}: ${meanX(s, g)} vs ${meanX(i, g)}`);
  }
  // The control: independent draws give Poisson(1) copies of the 1-row category (within 1-2 only 55 % of the time).
  assert.ok(independentMisses >= 1, 'independent sampling missed the 1-row category in no seed: the test could not tell');
});

test('stratified categories: conditioned samples keep the conditional distribution, not the unconditional counts', async () => {
  const t = rareGenres();
  const s = new GaussianCopulaSynthesizer();
  await s.fit(t, detectMetadata(t), { seed: 0 });
  // Given a large x, genre C dominates; forcing the training counts would make A the majority.
  const out = s.sample(2000, { seed: 3, conditions: { x: 5 } }).table;
  const c = out.data.genre!.filter((v) => v === 'C').length / out.rowCount;
  assert.ok(c > 0.8, `share of C given x = 5: ${c}`);
});

test('stratifiedUniforms: ranks are kept, and any interval of width w holds n·w ± 1 of the values', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (z, offset, p, q) => {
        const u = stratifiedUniforms(z, offset);
        const n = z.length;
        for (let i = 0; i < n; i++) {
          assert.ok(u[i]! >= 0 && u[i]! < 1);
          for (let j = 0; j < n; j++) if (z[i]! < z[j]! || (z[i] === z[j] && i < j)) assert.ok(u[i]! < u[j]!);
        }
        const [a, b] = p <= q ? [p, q] : [q, p];
        const inside = Array.from(u).filter((v) => v >= a && v < b).length;
        assert.ok(Math.abs(inside - n * (b - a)) <= 1 + 1e-9, `${inside} of ${n} in [${a}, ${b})`);
      },
    ),
  );
});

test('stratified categories: a model saved before the option existed loads and samples as it did (independent draws)', async () => {
  const t = rareGenres();
  const s = new GaussianCopulaSynthesizer();
  await s.fit(t, detectMetadata(t), { seed: 0 });
  const file = join(tmp, 'copula-before-stratified.json');
  s.save(file);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { params: Record<string, unknown> };
  delete saved.params.categorySampling;
  writeFileSync(file, `${JSON.stringify(saved)}\n`);
  const old = new GaussianCopulaSynthesizer();
  old.load(file);
  const independent = new GaussianCopulaSynthesizer({ categorySampling: 'independent' });
  await independent.fit(t, detectMetadata(t), { seed: 0 });
  assert.deepEqual(old.sample(3000, { seed: 4 }).table.data, independent.sample(3000, { seed: 4 }).table.data);
  // A model saved now keeps its stratified sampling through save → load.
  const now = join(tmp, 'copula-stratified.json');
  s.save(now);
  const back = new GaussianCopulaSynthesizer();
  back.load(now);
  assert.deepEqual(back.sample(3000, { seed: 4 }).table.data, s.sample(3000, { seed: 4 }).table.data);
  assert.notDeepEqual(old.sample(3000, { seed: 4 }).table.data, s.sample(3000, { seed: 4 }).table.data);
});

test('categorical tree: a child column keeps its table given the parent where one latent direction cannot, and the numeric dependence stays', async () => {
  // dept is role + 0 or role + 3 (mod 6): two departments per role, far apart in any order of the
  // values, so no monotone (Gaussian) dependence can carry it; x rises with role.
  const rng = new Rng(5);
  const rows: Cell[][] = [];
  for (let i = 0; i < 6000; i++) {
    const role = Math.floor(rng.next() * 6);
    const dept = (role + (rng.next() < 0.5 ? 0 : 3)) % 6;
    rows.push([`r${role}`, `d${dept}`, role + rng.normal(), rng.next() < 0.5]);
  }
  const table = tableFromRows(['role', 'dept', 'x', 'flag'], rows);
  const metadata = { columns: { role: { type: 'categorical' as const }, dept: { type: 'categorical' as const }, x: { type: 'numerical' as const }, flag: { type: 'boolean' as const } } };
  const fitSample = async (params: Record<string, unknown>) => {
    const s = new GaussianCopulaSynthesizer(params);
    await s.fit(table, metadata, { seed: 0 });
    return { model: s, sample: s.sample(6000, { seed: 1 }).table };
  };
  const tree = await fitSample({});
  const latent = await fitSample({ categoryDependence: 'latent' });
  const real = cramersV(table, 'role', 'dept');
  assert.ok(real > 0.6, `planted: ${real}`);
  assert.ok(Math.abs(cramersV(tree.sample, 'role', 'dept') - real) < 0.03, `tree: real ${real}, synthetic ${cramersV(tree.sample, 'role', 'dept')}`);
  assert.ok(Math.abs(cramersV(latent.sample, 'role', 'dept') - real) > 0.2, `latent only: real ${real}, synthetic ${cramersV(latent.sample, 'role', 'dept')} (the test must tell them apart)`);
  // Only the planted pairs of categories occur.
  for (let i = 0; i < 6000; i++) {
    const r = Number(String(tree.sample.data.role![i]).slice(1));
    const d = Number(String(tree.sample.data.dept![i]).slice(1));
    assert.ok(d === r || d === (r + 3) % 6, `row ${i}: r${r} with d${d}`);
  }
  // x | role: the latent ranks still carry it (mean x per role within 0.25 of real).
  const meanBy = (t: Table, role: string): number => {
    const xs = t.data.x!.filter((_, i) => t.data.role![i] === role).map(Number);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  for (const role of ['r0', 'r3', 'r5']) assert.ok(Math.abs(meanBy(tree.sample, role) - meanBy(table, role)) < 0.25, `${role}: x mean ${meanBy(tree.sample, role)} vs ${meanBy(table, role)}`);
  // The tree is saved with the model, and a loaded model samples the same rows.
  const path = join(tmp, 'tree.json');
  tree.model.save(path);
  const loaded = loadSynthesizer(path);
  assert.deepEqual(loaded.sample(500, { seed: 3 }), tree.model.sample(500, { seed: 3 }));
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { tree?: unknown[]; params: { categoryDependence: string } };
  assert.equal(saved.params.categoryDependence, 'tree', 'the default');
  assert.equal(saved.tree?.length, 2, 'role–dept and one edge to flag');
});
