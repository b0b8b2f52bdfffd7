import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { makeTrainView } from '../../src/data/index.ts';
import {
  buildPipeline,
  pipelineFromJson,
  pipelineFromYaml,
  pipelineToJson,
  pipelineToYaml,
  loadPipeline,
  replayChain,
  registerOperator,
  createAugmenter,
  fitItemSimilarity,
  type AugmentContext,
  type Pipeline,
} from '../../src/augment/index.ts';
import { arr, seq } from './helpers.ts';
import { z } from 'zod';

const ctx: AugmentContext = { numItems: 50 };
const long = Int32Array.from({ length: 20 }, (_, i) => i + 1);

function configError(f: () => unknown, message: RegExp): ConfigError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
  assert.match(err.message, message);
  assert.ok(!err.describe().includes('\n'));
  return err;
}

const full = `
version: 1
name: everything
steps:
  - op: crop
    ratio: 0.8
    p: 0.5
  - op: some_of
    n: 2
    steps:
      - {op: reverse, ratio: 0.5}
      - {op: delete, ratio: 0.1}
      - {op: duplicate}
  - op: by_length
    threshold: 5
    short: [{op: insert, ratio: 0.5, topN: 2}, {op: substitute, p: 0.7}]
    long:
      op: one_of
      weights: [1, 2, 1]
      steps: [{op: crop, ratio: 0.6}, {op: mask, ratio: 0.3}, {op: reorder, ratio: 0.2}]
`;

describe('pipeline serialisation', () => {
  it('YAML and JSON round-trip exactly (canonical form, defaults filled)', () => {
    const p = pipelineFromYaml(full);
    const y = pipelineToYaml(p);
    const j = pipelineToJson(p);
    assert.equal(pipelineToYaml(pipelineFromYaml(y)), y);
    assert.equal(pipelineToJson(pipelineFromJson(j)), j);
    assert.deepEqual(pipelineFromJson(j).spec, p.spec);
    assert.deepEqual(pipelineFromYaml(y).spec, p.spec);
    assert.equal(pipelineToJson(pipelineFromYaml(y)), j);
    assert.deepEqual((p.spec.steps[0] as Record<string, unknown>), { op: 'crop', p: 0.5, ratio: 0.8 });
    assert.equal(p.name, 'everything');
  });
  it('the example pipelines load and round-trip', () => {
    for (const f of ['examples/pipelines/crop-reorder.yaml', 'examples/pipelines/coserec-default.yaml']) {
      const p = loadPipeline(f);
      assert.equal(pipelineToYaml(pipelineFromYaml(pipelineToYaml(p))), pipelineToYaml(p));
      assert.deepEqual(pipelineFromYaml(readFileSync(f, 'utf-8')).spec, p.spec);
    }
  });
});

describe('pipeline validation (before any work)', () => {
  it('invalid params name the step and the key', () => {
    configError(() => pipelineFromYaml('steps:\n  - op: reverse\n  - op: crop\n    ratio: -0.5\n'), /^step 2 \(crop\): 'ratio' must be a number in \(0, 1\], got -0\.5$/);
    configError(() => pipelineFromYaml('steps:\n  - op: crop\n    ratio: .nan\n'), /step 1 \(crop\): 'ratio' .*got NaN/);
    configError(() => pipelineFromYaml('steps:\n  - op: mask\n    ratio: 1.5\n'), /step 1 \(mask\): 'ratio' must be a number in \[0, 1\], got 1\.5/);
    configError(() => pipelineFromYaml('steps:\n  - op: mask\n    ratio: "0.3"\n'), /'ratio' must be a number in \[0, 1\], got "0\.3"/);
    configError(() => buildPipeline({ steps: [{ op: 'crop', p: 2 }] }), /step 1 \(crop\): 'p' must be a number in \[0, 1\], got 2/);
    configError(() => buildPipeline({ steps: [{ op: 'crop', ratoi: 0.5 }] }), /step 1 \(crop\): unknown key 'ratoi'; expected 'ratio'/);
    configError(() => buildPipeline({ steps: [{ op: 'one_of', steps: [{ op: 'crop' }, { op: 'mask', ratio: -1 }] }] }), /^step 1\.2 \(mask\)/);
    configError(() => buildPipeline({ steps: [{ op: 'by_length', threshold: 3, short: [{ op: 'crop' }, { op: 'reorder', ratio: 0 }], long: { op: 'crop' } }] }), /^step 1\.short\.2 \(reorder\)/);
    configError(() => buildPipeline({ steps: [{ op: 'some_of', n: 3, steps: [{ op: 'crop' }] }] }), /'n' must be an integer in 1\.\.1/);
    configError(() => buildPipeline({ steps: [{ op: 'one_of', weights: [1], steps: [{ op: 'crop' }, { op: 'mask' }] }] }), /'weights' must be 2/);
  });
  it('unknown operators list the known ones', () => {
    const e = configError(() => pipelineFromYaml('steps:\n  - op: crop\n  - op: shuffle\n'), /^step 2: unknown operator 'shuffle'; expected one of: /);
    for (const n of ['crop', 'mask', 'reorder', 'reverse', 'delete', 'duplicate', 'insert', 'substitute', 'prefixes', 'one_of', 'some_of', 'by_length']) assert.ok(e.message.includes(n), n);
  });
  it('bad documents', () => {
    configError(() => pipelineFromYaml('steps: [\n'), /not valid YAML/);
    configError(() => pipelineFromJson('{'), /not valid JSON/);
    configError(() => pipelineFromYaml('steps: []'), /'steps' must be a non-empty list/);
    configError(() => pipelineFromYaml('version: 2\nsteps: [{op: crop}]'), /'version' must be 1/);
    configError(() => pipelineFromYaml('stepz: [{op: crop}]'), /unknown key 'stepz'/);
    const e = configError(() => loadPipeline('/nonexistent/p.yaml'), /not found/);
    assert.equal(e.location.file, '/nonexistent/p.yaml');
  });
  it('a similarity-based step without a fitted similarity is refused at validate time, naming the step', () => {
    const p = pipelineFromYaml('steps:\n  - op: crop\n  - op: by_length\n    threshold: 3\n    short: {op: substitute}\n    long: {op: crop}\n');
    configError(() => p.validate(ctx), /^step 2\.short \(substitute\): needs a fitted item similarity/);
    const sim = fitItemSimilarity(makeTrainView(3, [seq(1, 2, 3)]), { kind: 'itemcf-iuf', topK: 2 });
    configError(() => p.validate({ numItems: 50, similarity: sim }), /covers 3 items, the data has 50/);
    const q = pipelineFromYaml('steps: [{op: insert, sameAttribute: true}]');
    configError(() => q.validate({ numItems: 3, similarity: sim }), /step 1 \(insert\): needs item attributes/);
  });
  it('a multi-output step must be last, top level, p = 1', () => {
    buildPipeline({ steps: [{ op: 'crop' }, { op: 'prefixes' }] });
    configError(() => buildPipeline({ steps: [{ op: 'prefixes' }, { op: 'crop' }] }), /^step 1 \(prefixes\): .*last top-level step/);
    configError(() => buildPipeline({ steps: [{ op: 'crop' }, { op: 'prefixes', p: 0.5 }] }), /step 2 \(prefixes\)/);
    configError(() => buildPipeline({ steps: [{ op: 'one_of', steps: [{ op: 'prefixes' }] }] }), /step 1\.1 \(prefixes\)/);
  });
});

describe('pipeline runs', () => {
  const run = (p: Pipeline, s: Int32Array, seed: number, c = ctx) => p.run(s, c, new Rng(seed));
  it('a run is a function of (input, rng seed); the chain replays to the same output', () => {
    const sim = fitItemSimilarity(makeTrainView(50, [long, seq(3, 7, 9, 11)]), { kind: 'itemcf-iuf', topK: 5 });
    const c = { numItems: 50, similarity: sim };
    const p = pipelineFromYaml(full);
    p.validate(c);
    for (let s = 0; s < 50; s++)
      for (const input of [seq(3), seq(3, 7, 9), long]) {
        const [a] = run(p, input, s, c);
        const [b] = run(p, input, s, c);
        assert.deepEqual(a, b);
        assert.deepEqual(arr(replayChain(input, a!.chain, c)), arr(a!.items));
        assert.deepEqual(arr(replayChain(input, JSON.parse(JSON.stringify(a!.chain)), { numItems: 50 })), arr(a!.items), 'replay needs no similarity');
        assert.ok(a!.items.length >= 1);
      }
  });
  it('p is honoured, one_of picks by weight, some_of applies exactly n', () => {
    const p = buildPipeline({ steps: [{ op: 'reverse', p: 0.3 }] });
    let hits = 0;
    for (let s = 0; s < 2000; s++) hits += run(p, long, s)[0]!.chain.length;
    assert.ok(hits > 520 && hits < 680, `p=0.3 applied ${hits}/2000`);
    const o = buildPipeline({ steps: [{ op: 'one_of', weights: [1, 3], steps: [{ op: 'reverse' }, { op: 'crop' }] }] });
    let crops = 0;
    for (let s = 0; s < 2000; s++) {
      const ch = run(o, long, s)[0]!.chain;
      assert.equal(ch.length, 1);
      if (ch[0]!.op === 'crop') crops++;
    }
    assert.ok(crops > 1400 && crops < 1600, `weights 1:3 gave ${crops}/2000 crops`);
    const so = buildPipeline({ steps: [{ op: 'some_of', n: 2, steps: [{ op: 'reverse' }, { op: 'crop' }, { op: 'mask' }] }] });
    const seen = new Set<string>();
    for (let s = 0; s < 300; s++) {
      const ch = run(so, long, s)[0]!.chain.map((e) => e.op);
      assert.equal(ch.length, 2);
      seen.add(ch.join(','));
    }
    assert.deepEqual([...seen].sort(), ['crop,mask', 'reverse,crop', 'reverse,mask']);
  });
  it('by_length routes length ≤ threshold to short', () => {
    const p = buildPipeline({ steps: [{ op: 'by_length', threshold: 3, short: { op: 'duplicate', ratio: 1 }, long: { op: 'reverse' } }] });
    assert.equal(run(p, seq(1, 2, 3), 0)[0]!.chain[0]!.op, 'duplicate');
    assert.equal(run(p, seq(1, 2, 3, 4), 0)[0]!.chain[0]!.op, 'reverse');
  });
  it('a step draws from its own stream: adding a p<1 step before does not change it when skipped', () => {
    const a = buildPipeline({ steps: [{ op: 'reverse', p: 0 }, { op: 'crop', ratio: 0.5 }] });
    const b = buildPipeline({ steps: [{ op: 'mask', p: 0 }, { op: 'crop', ratio: 0.5 }] });
    for (let s = 0; s < 20; s++) assert.deepEqual(run(a, long, s), run(b, long, s));
  });
  it('the input is never modified; a skipped pipeline returns a copy', () => {
    const input = long.slice();
    const out = run(buildPipeline({ steps: [{ op: 'reverse', p: 0 }] }), input, 0)[0]!;
    assert.deepEqual(out.chain, []);
    assert.notEqual(out.items, input);
    assert.deepEqual(arr(input), arr(long));
  });
  it('multi-output: one result per prefix, each with a replayable chain', () => {
    const p = buildPipeline({ steps: [{ op: 'reverse' }, { op: 'prefixes', minLength: 2, maxOutputs: 3 }] });
    const outs = run(p, seq(1, 2, 3, 4, 5), 0);
    assert.deepEqual(outs.map((o) => arr(o.items)), [[5, 4, 3], [5, 4, 3, 2], [5, 4, 3, 2, 1]]);
    for (const o of outs) assert.deepEqual(arr(replayChain(seq(1, 2, 3, 4, 5), o.chain, ctx)), arr(o.items));
  });
  it('an operator that empties a sequence is stopped with an error naming the step', () => {
    registerOperator({ name: 'test-empty', family: 'sequence', summary: 'bad', config: z.object({}).strict(), sample: () => ({}), apply: () => new Int32Array(0) });
    const p = buildPipeline({ steps: [{ op: 'crop' }, { op: 'test-empty' }] });
    configError(() => run(p, long, 0), /^step 2 \(test-empty\) produced an empty sequence/);
    assert.throws(() => registerOperator({ name: 'crop' } as never), /registered twice/);
  });
  it('createAugmenter binds a config: sample and apply as in the contract', () => {
    const a = createAugmenter('crop', { ratio: 0.5 });
    const params = a.sample(long, ctx, new Rng(1));
    assert.equal(a.apply(long, params, ctx).length, 10);
    configError(() => createAugmenter('crop', { ratio: 5 }), /^crop: 'ratio'/);
    configError(() => createAugmenter('nope'), /unknown operator 'nope'/);
  });
});
