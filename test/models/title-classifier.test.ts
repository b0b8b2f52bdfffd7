import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ModelStateError } from '../../src/core/index.ts';
import { TitleClassifier } from '../../src/models/index.ts';

const train = [
  ['samsung galaxy s21 128gb phantom grey', 'Mobile Phones'],
  ['apple iphone 12 64gb black', 'Mobile Phones'],
  ['nokia 3310 mobile phone blue', 'Mobile Phones'],
  ['bosch serie 4 washing machine 8kg 1400rpm', 'Washing Machines'],
  ['hotpoint 9kg washing machine white', 'Washing Machines'],
  ['lg direct drive washer 10kg', 'Washing Machines'],
  ['intel core i7 9700k processor', 'CPUs'],
  ['amd ryzen 5 3600 cpu 6 core', 'CPUs'],
  ['intel core i5 10400 desktop processor', 'CPUs'],
] as const;

test('title classifier: learns a small category task, generalises to unseen titles, deterministic, save → load identical', () => {
  const m = new TitleClassifier({ iterations: 200 });
  m.fit(train.map((t) => t[0]), train.map((t) => t[1]));
  const unseen = ['samsung galaxy a52 phone 128gb', 'beko 7kg washing machine', 'amd ryzen 7 processor'];
  assert.deepEqual(m.predict(unseen), ['Mobile Phones', 'Washing Machines', 'CPUs']);
  const again = new TitleClassifier({ iterations: 200 });
  again.fit(train.map((t) => t[0]), train.map((t) => t[1]));
  assert.equal(again.save(), m.save(), 'same data ⇒ same weights, bit for bit');
  const loaded = TitleClassifier.load(m.save());
  assert.deepEqual(loaded.probabilities(unseen), m.probabilities(unseen));
  for (const p of m.probabilities(unseen)) assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('title classifier: bad config, one class, unfitted use and a corrupt save are named errors', () => {
  assert.throws(() => new TitleClassifier({ iterationz: 3 }), ConfigError);
  assert.throws(() => new TitleClassifier().fit(['a', 'b'], ['x', 'x']), ConfigError);
  assert.throws(() => new TitleClassifier().fit(['a'], ['x', 'y']), ConfigError);
  assert.throws(() => new TitleClassifier().predict(['a']), ModelStateError);
  assert.throws(() => TitleClassifier.load('{"format":"other"}'), ModelStateError);
  assert.throws(() => TitleClassifier.load('not json'), ModelStateError);
});
