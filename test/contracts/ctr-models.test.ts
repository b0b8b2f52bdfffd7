/** The contract of every CTR model entry: same seed ⇒ same predictions; save → load ⇒ same predictions; bad params are ConfigErrors naming the key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWithSchema, Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { CTR_MODEL_NAMES, ctrModels } from '../../src/models/index.ts';
import { bytes, checkBadParams, tempDir } from './helpers.ts';

const META: TableMetadata = { columns: { user: { type: 'id' }, color: { type: 'categorical' }, price: { type: 'numerical' }, label: { type: 'boolean' } } };

/** A small table whose label follows colour and price, with noise. */
function rows(n: number, seed: number): Table {
  const rng = new Rng(seed);
  const data: Record<string, Cell[]> = { user: [], color: [], price: [], label: [] };
  for (let i = 0; i < n; i++) {
    const color = ['red', 'green', 'blue'][rng.int(3)]!;
    const price = Math.round(rng.next() * 1000) / 10;
    data.user!.push(`u${rng.int(30)}`);
    data.color!.push(color);
    data.price!.push(price);
    data.label!.push((color === 'red' ? 1 : 0) + (price > 50 ? 1 : 0) + rng.next() > 1.2);
  }
  return { columns: Object.keys(data), rowCount: n, data };
}

const train = rows(400, 1);
const valid = rows(100, 2);
const probe = rows(50, 3);

test('CTR model registry: the name list matches it, and every entry has a description and defaults its schema gives', () => {
  assert.deepEqual([...CTR_MODEL_NAMES], ctrModels.names());
  for (const e of ctrModels.entries()) {
    assert.ok(e.description.length > 0);
    assert.deepEqual(parseWithSchema(e.schema, {}), e.defaults);
  }
});

for (const entry of ctrModels.entries()) {
  const params = { epochs: 2, batchSize: 64, ...(entry.name === 'deepfm' ? { embeddingDim: 4, hidden: [8] } : {}) };

  test(`CTR model ${entry.name}: same seed ⇒ same predictions; save → load ⇒ same predictions`, async () => {
    const fit = async () => {
      const m = ctrModels.create(entry.name, params);
      await m.fit(train, { seed: 5, metadata: META, label: 'label', validation: valid });
      return m;
    };
    const a = await fit();
    const b = await fit();
    const predictions = a.predict(probe);
    assert.equal(bytes(b.predict(probe)), bytes(predictions), 'same seed, same predictions');
    const tmp = tempDir(`samplify-contract-ctr-${entry.name}-`);
    try {
      a.save(tmp.dir);
      const loaded = ctrModels.create(entry.name, params);
      loaded.load(tmp.dir);
      assert.equal(bytes(loaded.predict(probe)), bytes(predictions), 'loaded model predicts as the saved one');
    } finally {
      tmp.cleanup();
    }
  });

  test(`CTR model ${entry.name}: bad parameters are ConfigErrors naming the key`, () => {
    checkBadParams(entry.schema, [], (raw) => ctrModels.parse(entry.name, raw, ['modelConfig', entry.name]), `modelConfig.${entry.name}.`, `CTR model ${entry.name}`);
    checkBadParams(entry.schema, [], (raw) => ctrModels.create(entry.name, raw), '', `CTR model ${entry.name} (create)`);
  });
}
