/**
 * The label-preserving rule: meaning-changing steps are refused for positive judged pairs (a
 * ConfigError naming the step), allowed only for negatives; augmentQueryGroups keeps products and
 * labels only for chains that kept the meaning.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { augmentQueryGroups, buildTextPipeline, textFamily, type TextOperatorDef } from '../../../src/augment/index.ts';
import { homeDepotFixture } from './fixtures.ts';

const { groups, resources } = homeDepotFixture();
const train = groups.slice(0, 300);

describe('label-preserving rule', () => {
  it('every text operator declares it; exactly the head-dropping configurations say false', () => {
    const changing: string[] = [];
    for (const e of textFamily.operators.entries()) {
      const def = e.def as TextOperatorDef<unknown, unknown>;
      if (!def.labelPreserving(e.defaults)) changing.push(e.name);
    }
    assert.deepEqual(changing, [], 'defaults keep the meaning');
    const del = textFamily.operator('random_delete') as TextOperatorDef<{ keepHead: boolean; ratio: number }, unknown>;
    const ref = textFamily.operator('reformulate') as TextOperatorDef<{ dropHead: boolean }, unknown>;
    assert.equal(del.labelPreserving({ keepHead: false, ratio: 0.1 }), false);
    assert.equal(ref.labelPreserving({ dropHead: true } as never), false);
  });

  it('a pipeline augmenting positive pairs refuses a meaning-changing step, naming it', () => {
    const p = buildTextPipeline({ steps: [{ op: 'random_swap' }, { op: 'one_of', steps: [{ op: 'typo' }, { op: 'random_delete', keepHead: false }] }] });
    assert.deepEqual(p.meaningChangingSteps(), ['step 2.2 (random_delete)']);
    assert.throws(
      () => augmentQueryGroups(train, p, { seed: 1, views: 1, context: resources }),
      (e: unknown) => e instanceof ConfigError && /^step 2\.2 \(random_delete\): may change the query's meaning/.test(e.message) && /negatives/.test(e.message),
    );
    assert.throws(() => augmentQueryGroups(train, p, { seed: 1, views: 1, context: resources, meaningChanging: 'negatives' }), /negativeLabel/);
  });

  it('allowed for negatives: chains that dropped the head get the negative label, the others keep theirs', () => {
    const p = buildTextPipeline({ steps: [{ op: 'reformulate', mode: 'drop', ratio: 0.5, dropHead: true }] });
    const out = augmentQueryGroups(train, p, { seed: 3, views: 2, context: resources, meaningChanging: 'negatives', negativeLabel: 1 });
    const byKey = new Map(train.map((g) => [g.key, g]));
    let negatives = 0;
    let kept = 0;
    for (const g of out) {
      assert.ok(!byKey.has(g.key), 'augmented queries are new queries');
      if ([...g.labels].every((l) => l === 1)) negatives++;
      else kept++;
    }
    assert.ok(negatives > 0 && kept > 0, `both kinds occur (negatives ${negatives}, kept ${kept})`);
  });

  it('meaning-preserving pipelines keep products and labels, are deterministic, and add only new queries', () => {
    const p = buildTextPipeline({ steps: [{ op: 'one_of', steps: [{ op: 'synonym_replace' }, { op: 'typo', rate: 0.3 }, { op: 'unit_variant' }, { op: 'abbreviate' }] }] });
    const a = augmentQueryGroups(train, p, { seed: 5, views: 2, context: resources });
    const b = augmentQueryGroups(train, p, { seed: 5, views: 2, context: resources });
    assert.deepEqual(a, b);
    assert.ok(a.length > train.length / 2, `${a.length} augmented groups from ${train.length}`);
    const originals = new Set(train.map((g) => g.key));
    const labelsOf = new Map<string, string[]>();
    for (const g of train) labelsOf.set(g.productIds.join(','), [...(labelsOf.get(g.productIds.join(',')) ?? []), [...g.labels].join(',')]);
    for (const g of a) {
      assert.ok(!originals.has(g.key));
      const srcLabels = labelsOf.get(g.productIds.join(','));
      assert.ok(srcLabels, 'products of some source group');
      assert.ok(srcLabels.includes([...g.labels].join(',')), 'and the labels of a group with those products');
    }
  });
});
