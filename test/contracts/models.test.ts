/** The contract of every model entry: same seed ⇒ same scores; save → load ⇒ same scores; bad params are ConfigErrors naming the key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWithSchema } from '../../src/core/index.ts';
import { models, createRecommender, type ModelName } from '../../src/models/index.ts';
import { assertConfigError, bytes, checkBadParams, tempDir, tinyFor, tinyTrain } from './helpers.ts';

const train = tinyTrain();
const histories = train.users().slice(0, 12).map((u) => train.sequence(u));

test('model registry: an unknown name is a ConfigError listing every entry', () => {
  assert.throws(() => models.entry('sasrek', 'model.model'), (e: Error) => e.name === 'ConfigError' && models.names().every((n) => e.message.includes(n)));
});

for (const entry of models.entries()) {
  const params = { config: tinyFor(entry.schema, ['config']), trainer: { batchSize: 16 } };

  test(`model ${entry.name}: declares a description and defaults its schema accepts`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
  });

  test(`model ${entry.name}: same seed ⇒ same scores; save → load ⇒ same scores`, async () => {
    const fit = async () => {
      const m = models.create(entry.name, params);
      await m.fit(train, { seed: 3, epochs: 2 });
      return m;
    };
    const a = await fit();
    const b = await fit();
    const scores = a.scoreAll(histories);
    assert.equal(bytes(b.scoreAll(histories)), bytes(scores), 'same seed, same scores');
    const tmp = tempDir(`samplify-contract-${entry.name}-`);
    try {
      a.save(tmp.dir);
      const loaded = models.create(entry.name, params);
      loaded.load(tmp.dir);
      assert.equal(bytes(loaded.scoreAll(histories)), bytes(scores), 'loaded model scores as the saved one');
    } finally {
      tmp.cleanup();
    }
  });

  test(`model ${entry.name}: bad parameters are ConfigErrors naming the full key path`, () => {
    checkBadParams(entry.schema, ['config'], (raw) => models.parse(entry.name, { config: raw }, ['model']), 'model.config.', `model ${entry.name}`);
    checkBadParams(entry.schema, ['trainer'], (raw) => models.parse(entry.name, { trainer: raw }, ['model']), 'model.trainer.', `model ${entry.name}`);
    assertConfigError(() => createRecommender({ model: entry.name as ModelName, config: { hiden_typo: 3 } }), 'config.hiden_typo', entry.name);
  });
}
