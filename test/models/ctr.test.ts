import { test, } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DataValidationError, ModelStateError, Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { loadMovieLensCtr, selectRows } from '../../src/data/index.ts';
import { rocAuc } from '../../src/eval/index.ts';
import { CtrFeatureEncoder, createCtrModel, CTR_MODEL_NAMES } from '../../src/models/index.ts';
import { tempFolder } from '../temp-folders.ts';


const ML = new URL('../../../shared/data/ml-100k/', import.meta.url).pathname;
const haveMl = existsSync(join(ML, 'ml-100k.inter'));

const META: TableMetadata = {
  columns: {
    user: { type: 'id' },
    item: { type: 'id' },
    color: { type: 'categorical' },
    price: { type: 'numerical' },
    promo: { type: 'boolean' },
    label: { type: 'boolean' },
  },
};

/**
 * A table whose label is planted in features: positive iff (user is even) XOR (color is 'red'),
 * shifted by price, with a little label noise. With `noise`, the label is a coin flip.
 */
function planted(n: number, seed: number, noise = false): Table {
  const rng = new Rng(seed);
  const cols: Record<string, Cell[]> = { user: [], item: [], color: [], price: [], promo: [], label: [] };
  const colors = ['red', 'green', 'blue'];
  for (let i = 0; i < n; i++) {
    const u = rng.int(200);
    const c = colors[rng.int(3)]!;
    const price = rng.next() * 100;
    const promo = rng.next() < 0.3;
    let y: boolean;
    if (noise) y = rng.next() < 0.5;
    else {
      const signal = (u % 2 === 0 ? 1 : -1) * (c === 'red' ? 1 : -1) * 2 + (price > 50 ? 1 : -1);
      y = signal + (rng.next() - 0.5) * 0.5 > 0;
    }
    cols.user!.push(`u${u}`);
    cols.item!.push(`i${rng.int(50)}`);
    cols.color!.push(c);
    cols.price!.push(price);
    cols.promo!.push(promo);
    cols.label!.push(y);
  }
  return { columns: Object.keys(cols), rowCount: n, data: cols };
}

function labels(t: Table): number[] {
  return t.data.label!.map((v) => (v ? 1 : 0));
}

for (const name of CTR_MODEL_NAMES) {
  test(`${name}: planted user×colour interaction (DeepFM AUC > 0.9, logistic only its marginals) and chance on pure noise`, async () => {
    const train = planted(6000, 1);
    const valid = planted(1000, 2);
    const test_ = planted(2000, 3);
    const m = createCtrModel(name, name === 'deepfm' ? { epochs: 15, patience: 5, embeddingDim: 8, hidden: [32] } : { epochs: 15, patience: 5 });
    const r = await m.fit(train, { seed: 0, metadata: META, label: 'label', validation: valid });
    const auc = rocAuc(m.predict(test_), labels(test_));
    // The label is an XOR of user parity and colour: DeepFM's pairwise terms represent it; a logistic
    // regression only gets the marginal skew of each (AUC ~0.63), see the linear test below.
    if (name === 'deepfm') assert.ok(auc > 0.9, `deepfm AUC ${auc}`);
    else assert.ok(auc > 0.55 && auc < 0.75, `logistic AUC ${auc}`);
    assert.ok(r.bestEpoch >= 1 && r.bestValidAuc !== null);

    const noiseModel = createCtrModel(name, { epochs: 3 });
    await noiseModel.fit(planted(4000, 4, true), { seed: 0, metadata: META, label: 'label', validation: planted(1000, 5, true) });
    const noiseTest = planted(4000, 6, true);
    const nauc = rocAuc(noiseModel.predict(noiseTest), labels(noiseTest));
    assert.ok(Math.abs(nauc - 0.5) < 0.04, `${name} AUC on noise ${nauc}`);
  });
}

test('logistic learns a linear planted signal (AUC > 0.9)', async () => {
  // Additive: label from the user's parity and the colour separately, which one weight per value fits.
  const t = planted(6000, 7);
  const relabel = (x: Table): Table => {
    const y = x.data.user!.map((u, i) => (Number(String(u).slice(1)) % 2 === 0 ? 1 : 0) + (x.data.color![i] === 'red' ? 1 : 0) + ((x.data.price![i] as number) > 50 ? 1 : 0) >= 2);
    return { ...x, data: { ...x.data, label: y } };
  };
  const m = createCtrModel('logistic', { epochs: 20, patience: 5 });
  await m.fit(relabel(t), { seed: 0, metadata: META, label: 'label', validation: relabel(planted(1000, 8)) });
  const te = relabel(planted(2000, 9));
  const auc = rocAuc(m.predict(te), labels(te));
  assert.ok(auc > 0.9, `logistic AUC ${auc}`);
});

for (const name of CTR_MODEL_NAMES) {
  test(`${name}: same seed gives identical predictions; another seed differs; save/load is the identity`, async () => {
    const train = planted(2000, 11);
    const valid = planted(500, 12);
    const te = planted(500, 13);
    const fit = async (seed: number) => {
      const m = createCtrModel(name, { epochs: 3 });
      await m.fit(train, { seed, metadata: META, label: 'label', validation: valid });
      return m;
    };
    const a = await fit(5);
    const b = await fit(5);
    const c = await fit(6);
    const pa = a.predict(te);
    assert.deepEqual(b.predict(te), pa);
    assert.notDeepEqual(c.predict(te), pa);
    const dir = tempFolder(`ctr-${name}-`);
    a.save(dir);
    const loaded = createCtrModel(name);
    loaded.load(dir);
    assert.deepEqual(loaded.predict(te), pa);
    const other = createCtrModel(name === 'logistic' ? 'deepfm' : 'logistic');
    assert.throws(() => other.load(dir), ModelStateError);
  });
}

test('ctr models: clear errors for unfitted use, bad config, bad labels, missing feature columns', async () => {
  assert.throws(() => createCtrModel('deepfm').predict(planted(10, 1)), ModelStateError);
  assert.throws(() => createCtrModel('deepfm', { hidden: 'big' }), (e: unknown) => e instanceof ConfigError && e.location.field === 'hidden');
  assert.throws(() => createCtrModel('logistic', { embeddingDim: 8 }), ConfigError);
  assert.throws(() => createCtrModel('xgboost'), ConfigError);
  const bad = planted(20, 1);
  const badLabels = { ...bad, data: { ...bad.data, label: bad.data.label!.map((v, i) => (i === 7 ? 'maybe' : v)) } };
  await assert.rejects(createCtrModel('logistic').fit(badLabels, { seed: 0, metadata: META, label: 'label' }), (e: unknown) => e instanceof DataValidationError && e.location.line === 8);
  const m = createCtrModel('logistic', { epochs: 1 });
  await m.fit(bad, { seed: 0, metadata: META, label: 'label' });
  const { color: _drop, ...rest } = bad.data;
  assert.throws(() => m.predict({ columns: bad.columns.filter((c) => c !== 'color'), rowCount: bad.rowCount, data: rest }), DataValidationError);
});

test('encoder: ids never one-hot blown up, rare ids and unseen values share index 0, numericals bucketed', () => {
  const t = planted(3000, 21);
  const enc = CtrFeatureEncoder.fit(t, META, 'label', { buckets: 4, minIdCount: 2 });
  assert.equal(enc.numFields, 5);
  const user = enc.state.fields.find((f) => f.column === 'user')!;
  assert.ok(user.size <= 201);
  const price = enc.state.fields.find((f) => f.column === 'price')!;
  assert.equal(price.size, 3 + 2); // 3 inner edges → 4 buckets, plus 'missing'
  const probe: Table = {
    columns: ['user', 'item', 'color', 'price', 'promo'],
    rowCount: 2,
    data: { user: ['never-seen', null], item: ['i1', 'i1'], color: ['purple', 'red'], price: [-1e9, 1e9], promo: [true, null] },
  };
  const e = enc.encode(probe);
  const F = enc.numFields;
  assert.equal(e.ids[0], user.offset); // unseen user → 0 of its field
  assert.equal(e.ids[1 * F + 0], user.offset); // missing → 0
  const colorF = enc.state.fields[2]!;
  assert.equal(e.ids[2], colorF.offset);
  assert.equal(e.ids[3], price.offset + 1); // below every edge → first real bucket
  assert.equal(e.ids[F + 3], price.offset + price.size - 1); // above → last
  assert.equal(e.labels, null);
});

test('movielens-100k loader: 100,000 rows, every row accounted for, label share and column types', { skip: haveMl ? false : 'no ../shared/data/ml-100k' }, async () => {
  const ml = await loadMovieLensCtr(ML);
  assert.equal(ml.table.rowCount, 100_000);
  assert.equal(ml.report.interactions.rowsIn, 100_000);
  assert.equal(ml.report.interactions.rowsKept + ml.report.interactions.rowsRejected, ml.report.interactions.rowsIn);
  assert.equal(ml.report.users.rowsKept, 943);
  assert.equal(ml.report.items.rowsKept, 1682);
  // Ratings 4 and 5: 34,174 + 21,201 (README of the data set).
  assert.equal(ml.report.positives, 55_375);
  assert.equal(ml.report.positiveShare, 0.55375);
  assert.equal(ml.table.data.label!.filter((v) => v === true).length, 55_375);
  assert.equal(ml.report.itemsWithoutYear, 2);
  assert.equal(new Set(ml.rowIds).size, 100_000);
  assert.equal(ml.metadata.columns.user_id!.type, 'id');
  assert.equal(ml.metadata.columns.item_id!.type, 'id');
  assert.ok(!ml.table.columns.includes('rating') && !ml.table.columns.includes('timestamp'));
  for (const c of ml.table.columns) assert.ok(ml.metadata.columns[c], `metadata for ${c}`);
  // First data line: user 196, item 242 (Kolya, 1996, Comedy), rating 3.
  assert.deepEqual([ml.table.data.user_id![0], ml.table.data.item_id![0], ml.table.data.release_year![0], ml.table.data.genre_Comedy![0], ml.table.data.label![0], ml.rowIds[0]], ['196', '242', 1996, true, false, 2]);
  // A slice trains and scores.
  const idx = Array.from({ length: 3000 }, (_, i) => i);
  const m = createCtrModel('logistic', { epochs: 1 });
  await m.fit(selectRows(ml.table, idx), { seed: 0, metadata: ml.metadata, label: 'label' });
  assert.equal(m.predict(selectRows(ml.table, [5000, 5001])).length, 2);
});
