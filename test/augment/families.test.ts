/**
 * One pipeline mechanism for every augmenter family: a toy family (arrays of words) gets the same
 * composition steps, YAML round trip, per-step Rng splitting and replayable chains as sequences,
 * and a spec names its family (default sequence, which is never written back).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { buildPipeline, buildAnyPipeline, defineFamily, familyNames, pipelineFromYaml, pipelineToYaml, registerOperator, type OperatorDef } from '../../src/augment/index.ts';

interface ToyCtx {
  readonly filler: string;
}
const toy = defineFamily<readonly string[], ToyCtx>({
  name: 'toy',
  copy: (x) => x.slice(),
  length: { of: (x) => x.length, describe: 'samples of ≤ threshold words take' },
  checkOutput(label, input, out) {
    if (out.length === 0 && input.length > 0) throw new ConfigError(`${label} emptied a sample`, { field: 'op' });
  },
});
const drop: OperatorDef<readonly string[], { ratio: number }, { at: number[] }, ToyCtx> = {
  name: 'drop',
  family: 'toy',
  summary: 'drop words',
  config: z.object({ ratio: z.number().gt(0).lte(1).default(0.5) }).strict(),
  sample: (x, c, _ctx, rng) => ({ at: x.map((_, i) => i).filter(() => rng.next() < c.ratio) }),
  apply: (x, p) => (p.at.length >= x.length ? x.slice(0, 1) : x.filter((_, i) => !p.at.includes(i))),
};
const pad: OperatorDef<readonly string[], Record<string, never>, Record<string, never>, ToyCtx> = {
  name: 'pad',
  family: 'toy',
  summary: 'append the context filler',
  config: z.object({}).strict(),
  sample: () => ({}),
  apply: (x, _p, ctx) => [...x, ctx.filler],
};
toy.register(drop);
registerOperator(pad); // routed by def.family
const ctx: ToyCtx = { filler: '…' };
const words = 'a b c d e f g h'.split(' ');
const spec = { version: 1, family: 'toy', name: 't', steps: [{ op: 'by_length', threshold: 3, short: { op: 'pad' }, long: [{ op: 'drop', ratio: 0.3 }, { op: 'pad', p: 0.5 }] }] };

describe('augmenter families', () => {
  it('registers the family next to sequence', () => {
    assert.equal(familyNames()[0], 'sequence');
    assert.ok(familyNames().includes('toy'));
  });

  it('builds, runs and replays a pipeline of another family; the YAML round trip is exact', () => {
    const p = buildPipeline(spec, { family: toy });
    assert.equal(p.spec.family, 'toy');
    const a = p.augment(words, ctx, new Rng(3));
    const b = p.augment(words, ctx, new Rng(3));
    assert.deepEqual(a, b);
    assert.notStrictEqual(a[0]!.output, words);
    assert.deepEqual(p.replay(words, JSON.parse(JSON.stringify(a[0]!.chain)), ctx), a[0]!.output);
    const q = pipelineFromYaml(pipelineToYaml(p), { family: toy });
    assert.deepEqual(q.spec, p.spec);
    assert.deepEqual(q.augment(words, ctx, new Rng(3)), a);
    assert.deepEqual(buildAnyPipeline(spec).spec, p.spec);
    // by_length measures with the family's length: a 2-word sample takes the short branch.
    assert.deepEqual(p.augment(['x', 'y'], ctx, new Rng(1))[0]!.output, ['x', 'y', '…']);
  });

  it('different seeds differ; the output check of the family applies', () => {
    const p = buildPipeline({ family: 'toy', steps: [{ op: 'drop', ratio: 0.5 }] }, { family: toy });
    const outs = new Set(Array.from({ length: 10 }, (_, s) => p.augment(words, ctx, new Rng(s))[0]!.output.join(' ')));
    assert.ok(outs.size > 1);
  });

  it('a spec of one family is a ConfigError in another; sequence specs do not write the default family', () => {
    assert.throws(() => buildPipeline(spec), (e: Error) => e instanceof ConfigError && /'toy' pipeline/.test(e.message));
    assert.throws(() => buildPipeline({ family: 'nope', steps: [{ op: 'crop' }] }), (e: Error) => e instanceof ConfigError && /'family' must be one of/.test(e.message));
    assert.throws(() => buildPipeline({ family: 'toy', steps: [{ op: 'crop' }] }, { family: toy }), (e: Error) => e instanceof ConfigError && /unknown operator 'crop'/.test(e.message));
    assert.throws(() => buildPipeline({ family: 'toy', resources: {}, steps: [{ op: 'pad' }] }, { family: toy }), (e: Error) => e instanceof ConfigError && /declares no resources/.test(e.message));
    const s = buildPipeline({ family: 'sequence', steps: [{ op: 'crop' }] });
    assert.equal(s.spec.family, undefined);
    assert.equal(pipelineToYaml(s), 'version: 1\nsteps:\n  - op: crop\n    ratio: 0.6\n');
  });

  it('operator names are unique per family, composites are reserved', () => {
    assert.throws(() => toy.register(drop), /registered twice/);
    assert.throws(() => toy.register({ ...drop, name: 'one_of' }), /registered twice/);
    assert.throws(() => toy.register({ ...drop, name: 'x', family: 'sequence' }), /belongs to family 'sequence'/);
  });
});
