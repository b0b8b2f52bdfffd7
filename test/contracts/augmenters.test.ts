/**
 * The contract of every augmentation operator on the registry: same seed ⇒ same output; the
 * recorded operator chain replays to the same output; the pipeline's YAML (and JSON) round trip
 * gives the same spec and the same output; bad params are ConfigErrors naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, parseWithSchema } from '../../src/core/index.ts';
import {
  operators, buildPipeline, pipelineFromYaml, pipelineToYaml, pipelineFromJson, pipelineToJson, replayChain, fitItemSimilarity, itemAttributesFromObject,
  type AugmentContext, type NextItemSampler, type GenerationDirection,
} from '../../src/augment/index.ts';
import { checkBadParams, tinyTrain } from './helpers.ts';

const train = tinyTrain();
const N = train.numItems;

/** A deterministic next-item scorer (no model): favours items near 7 × the last item. */
function sampler(direction: GenerationDirection): NextItemSampler {
  return {
    direction,
    numItems: N,
    scoreNext(histories: readonly Int32Array[]): Float32Array {
      const out = new Float32Array(histories.length * (N + 1));
      histories.forEach((h, b) => {
        const centre = ((h.length ? h[h.length - 1]! * 7 : 0) % N) + 1;
        for (let i = 1; i <= N; i++) out[b * (N + 1) + i] = -Math.abs(i - centre) / 3;
      });
      return out;
    },
  };
}

const itemIds = ['<pad>', ...Array.from({ length: N }, (_, i) => String(i + 1))];
const attributes = itemAttributesFromObject(Object.fromEntries(itemIds.slice(1).map((id, i) => [id, [`cat${i % 4}`, `brand${i % 3}`]])), itemIds);
/** Every resource an operator may need, fitted on the tiny training view. */
const ctx: AugmentContext = {
  numItems: N,
  similarity: fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 5 }),
  attributes,
  generators: { forward: sampler('forward'), reverse: sampler('reverse') },
};
const inputs = train.users().slice(0, 10).map((u) => train.sequence(u));

for (const entry of operators.entries()) {
  const spec = { version: 1, name: `contract-${entry.name}`, steps: [{ op: entry.name }] };

  test(`operator ${entry.name}: same seed ⇒ same output; the chain replays to the same output`, () => {
    const p = buildPipeline(spec);
    p.validate(ctx);
    for (const [i, x] of inputs.entries()) {
      const a = p.run(x, ctx, new Rng(31).split(String(i)));
      const b = p.run(x, ctx, new Rng(31).split(String(i)));
      assert.deepEqual(b.map((r) => Array.from(r.items)), a.map((r) => Array.from(r.items)), 'same seed, same output');
      for (const r of a) {
        const chain = JSON.parse(JSON.stringify(r.chain));
        assert.deepEqual(Array.from(replayChain(x, chain, ctx)), Array.from(r.items), 'the recorded chain replays exactly');
      }
    }
  });

  test(`operator ${entry.name}: pipeline YAML and JSON round trips give the same spec and output`, () => {
    const p = buildPipeline(spec);
    for (const q of [pipelineFromYaml(pipelineToYaml(p)), pipelineFromJson(pipelineToJson(p))]) {
      assert.deepEqual(q.spec, p.spec);
      assert.equal(pipelineToYaml(q), pipelineToYaml(p));
      const x = inputs[0]!;
      assert.deepEqual(q.run(x, ctx, new Rng(5)).map((r) => Array.from(r.items)), p.run(x, ctx, new Rng(5)).map((r) => Array.from(r.items)));
    }
  });

  test(`operator ${entry.name}: bad params are ConfigErrors naming the key`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
    checkBadParams(entry.schema, [], (raw) => operators.parse(entry.name, raw, ['steps', 0]), 'steps[0].', entry.name);
    // In a pipeline file: the step and the key are named.
    assert.throws(() => buildPipeline({ steps: [{ op: entry.name, hiden_typo: 1 }] }), (e: Error & { location?: { field?: string } }) => e.name === 'ConfigError' && e.location?.field === 'hiden_typo' && /step 1/.test(e.message));
  });
}
