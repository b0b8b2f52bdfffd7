/**
 * The contract of every metric entry: it declares a direction and a range and its values stay in
 * it; the same ranks give the same values; its result-column name reads back into the same metric
 * (the serialisation round trip of a results file); a bad parameter is a ConfigError naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, parseWithSchema } from '../../src/core/index.ts';
import { metrics, metricFromName, metricsFromRanks } from '../../src/eval/index.ts';
import { assertConfigError, bytes, checkBadParams } from './helpers.ts';

const rng = new Rng(2);
const ranks = Int32Array.from({ length: 300 }, () => rng.int(60));

test('metric registry: an unknown result column is a ConfigError listing the families', () => {
  assertConfigError(() => metricFromName('AUC@3'), 'metric', 'AUC@3');
  assertConfigError(() => metricFromName('NDCG'), 'metric', 'NDCG without a cut-off');
});

for (const entry of metrics.entries()) {
  for (const params of [{}, { k: 1 }, { k: 20 }]) {
    test(`metric ${entry.name} ${JSON.stringify(params)}: declared direction and range hold; same ranks ⇒ same values; name round trip`, () => {
      assert.ok(entry.direction === 'higher' || entry.direction === 'lower');
      assert.ok(entry.range[0] < entry.range[1]);
      const spec = metrics.create(entry.name, params);
      assert.equal(spec.direction, entry.direction);
      assert.deepEqual(spec.range, entry.range);
      const a = metricsFromRanks(ranks, [spec]).perQuery[spec.name]!;
      const b = metricsFromRanks(ranks, [metrics.create(entry.name, params)]).perQuery[spec.name]!;
      assert.equal(bytes(b), bytes(a));
      for (const v of a) assert.ok(v >= entry.range[0] && v <= entry.range[1], `${spec.name} = ${v} outside its range`);
      const back = metricFromName(spec.name);
      assert.equal(back.name, spec.name);
      assert.equal(bytes(metricsFromRanks(ranks, [back]).perQuery[spec.name]!), bytes(a));
    });
  }
  test(`metric ${entry.name}: bad params are ConfigErrors naming the key`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
    checkBadParams(entry.schema, [], (raw) => metrics.parse(entry.name, raw, ['metrics', entry.name]), `metrics.${entry.name}.`, entry.name);
    assertConfigError(() => metrics.create(entry.name, { k: -1 }), 'k', entry.name);
  });
}
