/**
 * The contract of every search ranker entry: fits on a tiny fixture; same seed ⇒ identical scores;
 * save → loadRanker ⇒ identical scores; an unknown or mistyped config key is a ConfigError naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedKeysAt, ConfigError, ModelStateError, parseWithSchema } from '../../src/core/index.ts';
import { loadRanker, SEARCH_RANKER_NAMES, searchRankers } from '../../src/models/search/index.ts';
import { plantedSearch } from '../models/search/fixture.ts';
import { bytes, checkBadParams } from './helpers.ts';

const data = plantedSearch(40, 2);

/** Small values for whatever size/epoch keys an entry's schema has. */
const SMALL: Readonly<Record<string, unknown>> = { numTrees: 12, minSamplesLeaf: 3, epochs: 2, hidden: [8], batchGroups: 8, features: { embeddingDim: 4, embeddingIterations: 3 } };
const smallFor = (name: string): Record<string, unknown> => {
  const allowed = new Set(allowedKeysAt(searchRankers.entry(name).schema, []));
  return Object.fromEntries(Object.entries(SMALL).filter(([k]) => allowed.has(k)));
};

test('search ranker registry: the name list matches it; every entry has a description and the defaults its schema gives', () => {
  assert.deepEqual([...SEARCH_RANKER_NAMES], searchRankers.names());
  assert.deepEqual(searchRankers.names(), ['bm25', 'lambdamart', 'gbdt-regression', 'neural', 'knrm']);
  for (const e of searchRankers.entries()) {
    assert.ok(e.description.trim().length > 0);
    assert.deepEqual(parseWithSchema(e.schema, {}), e.defaults);
  }
});

for (const entry of searchRankers.entries()) {
  const params = smallFor(entry.name);

  test(`search ranker ${entry.name}: same seed ⇒ same scores; save → loadRanker ⇒ same scores`, async () => {
    const fit = async (seed: number) => {
      const r = searchRankers.create(entry.name, params);
      await r.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: data.scale, seed });
      return r;
    };
    const a = await fit(3);
    const b = await fit(3);
    const scores = data.test.map((g) => a.score(g, data.products));
    assert.equal(scores.length, data.test.length);
    scores.forEach((s, i) => {
      assert.equal(s.length, data.test[i]!.productIds.length);
      assert.ok(s.every(Number.isFinite));
    });
    assert.deepEqual(data.test.map((g) => bytes(b.score(g, data.products))), scores.map(bytes), 'same seed, same scores');
    const saved = a.save();
    const loaded = loadRanker(saved);
    assert.equal(loaded.name, entry.name);
    assert.equal(loaded.predictsLabels, a.predictsLabels);
    assert.deepEqual(data.test.map((g) => bytes(loaded.score(g, data.products))), scores.map(bytes), 'loaded ranker scores as the saved one');
    assert.equal(loaded.save(), saved, 'save → load → save is a fixed point');
  });

  test(`search ranker ${entry.name}: bad parameters are ConfigErrors naming the key; an unfitted ranker is a ModelStateError`, () => {
    checkBadParams(entry.schema, [], (raw) => searchRankers.parse(entry.name, raw, ['ranker', 'config']), 'ranker.config.', `search ranker ${entry.name}`);
    checkBadParams(entry.schema, [], (raw) => searchRankers.create(entry.name, raw), '', `search ranker ${entry.name} (create)`);
    assert.throws(() => searchRankers.create(entry.name).score(data.test[0]!, data.products), ModelStateError);
    assert.throws(() => searchRankers.create(entry.name).save(), ModelStateError);
  });
}

test('loadRanker: malformed text is a ModelStateError, an unknown ranker a ConfigError', () => {
  assert.throws(() => loadRanker('not json'), ModelStateError);
  assert.throws(() => loadRanker('{"format":"samplify-search-ranker/1"}'), ModelStateError);
  assert.throws(() => loadRanker('{"format":"samplify-search-ranker/1","ranker":"nope","config":{},"state":{}}'), ConfigError);
});
