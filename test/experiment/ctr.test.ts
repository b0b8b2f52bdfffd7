import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { selectRows } from '../../src/data/index.ts';
import { assertDisjointRows, formatCtrTable, runCtrExperiment, temporalCtrSplit, userTemporalCtrSplit } from '../../src/experiment/index.ts';
import { createCtrModel, type CtrModel } from '../../src/models/index.ts';
import type { SampleOptions, SampleResult, Synthesizer, SynthFitOptions, SynthFitReport } from '../../src/synth/types.ts';

const META: TableMetadata = {
  columns: { row: { type: 'id' }, user: { type: 'id' }, color: { type: 'categorical' }, price: { type: 'numerical' }, label: { type: 'boolean' } },
};

/** n rows; `row` holds the row id itself, so any table handed to a fit can be checked against the test ids. */
function dataset(n: number, seed: number) {
  const rng = new Rng(seed);
  const cols: Record<string, Cell[]> = { row: [], user: [], color: [], price: [], label: [] };
  const rowIds: number[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.int(30);
    const c = ['red', 'green', 'blue'][rng.int(3)]!;
    const price = Math.round(rng.next() * 100);
    const id = 1000 + i;
    cols.row!.push(String(id));
    cols.user!.push(`u${u}`);
    cols.color!.push(c);
    cols.price!.push(price);
    // 30 % positives: the minority is the positive class here.
    cols.label!.push((c === 'red' ? 0.35 : 0) + (u % 3 === 0 ? 0.3 : 0) + rng.next() * 0.4 > 0.6);
    rowIds.push(id);
    // Times out of row order, with ties, so the split must sort.
    timestamps.push(Math.floor(rng.next() * n * 0.7));
  }
  const table: Table = { columns: Object.keys(cols), rowCount: n, data: cols };
  return { table, metadata: META, label: 'label', rowIds, timestamps };
}

/** A synthesizer that resamples rows of the table it was fitted on (so its rows carry train row ids), honouring conditions. */
class SpySynthesizer implements Synthesizer {
  readonly name = 'spy';
  fitted: Table | null = null;
  sampled: { n: number; options: SampleOptions | undefined }[] = [];
  async fit(table: Table, _m: TableMetadata, _o: SynthFitOptions): Promise<SynthFitReport> {
    this.fitted = table;
    return { seconds: 0, losses: [] };
  }
  sample(n: number, options?: SampleOptions): SampleResult {
    this.sampled.push({ n, options });
    const t = this.fitted!;
    const rng = new Rng(options?.seed ?? 0);
    const cond = options?.conditions ?? {};
    const pool = Array.from({ length: t.rowCount }, (_, i) => i).filter((i) => Object.entries(cond).every(([c, v]) => t.data[c]![i] === v));
    const idx = Array.from({ length: n }, () => pool[rng.int(pool.length)]!);
    const out = selectRows(t, idx);
    // Reversed column order: the experiment must align columns itself.
    const data = Object.fromEntries([...out.columns].reverse().map((c) => [c, out.data[c]!]));
    return { table: { columns: [...out.columns].reverse(), rowCount: n, data }, report: { requested: n, produced: n, conditionMethod: 'reject', acceptanceRate: 1, exactCopiesRemoved: 0 } };
  }
  save(): void {}
  load(): void {}
}

test('temporal split: disjoint, complete, ordered by time then row id', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 30, maxLength: 200 }), (times) => {
      const ids = times.map((_, i) => 500 - i);
      const s = temporalCtrSplit(times, ids, 0.1, 0.2);
      const all = [...s.train, ...s.valid, ...s.test];
      assert.equal(new Set(all).size, times.length);
      assert.equal(s.test.length, Math.round(times.length * 0.2));
      const key = (i: number) => [times[i]!, ids[i]!] as const;
      const le = (a: number, b: number) => key(a)[0] < key(b)[0] || (key(a)[0] === key(b)[0] && key(a)[1] <= key(b)[1]);
      for (let k = 1; k < all.length; k++) assert.ok(le(all[k - 1]!, all[k]!));
    }),
    { numRuns: 50 },
  );
  assert.throws(() => temporalCtrSplit([1, 2, 3], [1, 2, 3], 0.1, 0.1), ConfigError);
  assert.throws(() => assertDisjointRows({ train: [0, 1], test: [2, 1] }, [7, 8, 9]), /row 8/);
});

test('user-temporal split: per user, test rows come after validation rows after training rows; every test user has training rows', () => {
  const ds = dataset(800, 9);
  const users = ds.table.data.user!;
  const s = userTemporalCtrSplit(ds.timestamps, ds.rowIds, users, 0.1, 0.1);
  assert.equal(s.train.length + s.valid.length + s.test.length, 800);
  assert.equal(new Set([...s.train, ...s.valid, ...s.test]).size, 800);
  const key = (i: number) => ds.timestamps[i]! * 1e6 + ds.rowIds[i]!;
  const first = (idx: Int32Array) => {
    const m = new Map<string, { min: number; max: number }>();
    for (const i of idx) {
      const u = String(users[i]);
      const v = m.get(u) ?? { min: Infinity, max: -Infinity };
      m.set(u, { min: Math.min(v.min, key(i)), max: Math.max(v.max, key(i)) });
    }
    return m;
  };
  const tr = first(s.train), va = first(s.valid), te = first(s.test);
  for (const [u, t] of te) {
    assert.ok(tr.has(u), `test user ${u} has no training rows`);
    assert.ok(tr.get(u)!.max < t.min);
    if (va.has(u)) assert.ok(va.get(u)!.max < t.min && tr.get(u)!.max < va.get(u)!.min);
  }
});

test('ctr experiment: no test (or validation) row reaches a synthesizer or a model fit; every arm runs; tiny end to end', async () => {
  const ds = dataset(1200, 3);
  const split = temporalCtrSplit(ds.timestamps, ds.rowIds, 0.1, 0.1);
  const heldOut = new Set([...split.test, ...split.valid].map((i) => String(ds.rowIds[i])));
  const testIds = new Set([...split.test].map((i) => String(ds.rowIds[i])));
  const spies: SpySynthesizer[] = [];
  const fitTables: Table[] = [];
  const validTables: Table[] = [];
  const createModel = (name: string, cfg: Record<string, unknown>): CtrModel => {
    const inner = createCtrModel(name, cfg);
    return {
      name,
      fit: (t, o) => {
        fitTables.push(t);
        if (o.validation) validTables.push(o.validation);
        return inner.fit(t, o);
      },
      predict: (t) => inner.predict(t),
      save: (d) => inner.save(d),
      load: (d) => inner.load(d),
    };
  };
  const result = await runCtrExperiment(ds, { seeds: [0, 1], synthesizers: ['spy'], epochs: 3, modelConfig: { deepfm: { embeddingDim: 4, hidden: [8] } } }, {
    createModel,
    createSynthesizer: () => {
      const s = new SpySynthesizer();
      spies.push(s);
      return s;
    },
  });
  // Synthesizers saw only training rows.
  assert.equal(spies.length, 2);
  for (const s of spies) {
    assert.equal(s.fitted!.rowCount, split.train.length);
    for (const id of s.fitted!.data.row!) assert.ok(!heldOut.has(String(id)), `synthesizer saw held-out row ${id}`);
  }
  // Every model fit: no held-out row in its training table; validation is real validation, never test.
  assert.equal(fitTables.length, 2 /* models */ * 2 /* seeds */ * 4 /* arms */);
  for (const t of fitTables) for (const id of t.data.row!) assert.ok(!heldOut.has(String(id)), `model trained on held-out row ${id}`);
  for (const v of validTables) {
    assert.equal(v.rowCount, split.valid.length);
    for (const id of v.data.row!) assert.ok(!testIds.has(String(id)));
  }
  // Minority boosting: positives are the minority; sampled with a condition on the label, as many as level the classes.
  const trainPos = split.train.filter((i) => ds.table.data.label![i] === true).length;
  const minorityCall = spies[0]!.sampled.find((c) => c.options?.conditions !== undefined)!;
  assert.deepEqual(minorityCall.options!.conditions, { label: true });
  assert.equal(minorityCall.n, split.train.length - 2 * trainPos);
  const boosted = result.cells.find((c) => c.arm === 'real+minority')!;
  assert.ok(Math.abs(boosted.runs[0]!.trainPositiveShare - 0.5) < 1e-9);
  // Shape of the result.
  assert.equal(result.cells.length, 4 * 2);
  for (const c of result.cells) {
    assert.equal(c.runs.length, 2);
    assert.ok(c.testAuc.mean > 0.5 && c.testAuc.mean <= 1, `${c.arm} ${c.model} AUC ${c.testAuc.mean}`);
    assert.ok(c.testLogLoss.mean > 0);
  }
  assert.equal(result.split.train + result.split.valid + result.split.test, 1200);
  const text = formatCtrTable(result);
  assert.match(text, /real\+minority\s+spy\s+deepfm/);
  assert.equal(text.split('\n').length, 2 + 8);
});

test('ctr experiment: same seeds give identical results; bad config is a ConfigError naming the key', async () => {
  const ds = dataset(600, 5);
  const cfg = { seeds: [0], arms: ['real'], models: ['logistic'], epochs: 2 };
  const a = await runCtrExperiment(ds, cfg);
  const b = await runCtrExperiment(ds, cfg);
  assert.deepEqual(a.cells.map((c) => c.runs.map((r) => [r.testAuc, r.testLogLoss])), b.cells.map((c) => c.runs.map((r) => [r.testAuc, r.testLogLoss])));
  await assert.rejects(runCtrExperiment(ds, { arms: ['real', 'mixed'] }), (e: unknown) => e instanceof ConfigError && /arms/.test(e.message));
  await assert.rejects(runCtrExperiment(ds, { synthesizers: ['gaussian-copula'] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'synthesizers');
  await assert.rejects(runCtrExperiment(ds, { seedz: [1] }), ConfigError);
});
