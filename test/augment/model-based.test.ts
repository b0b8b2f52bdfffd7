import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { makeTrainView } from '../../src/data/index.ts';
import {
  buildPipeline,
  pipelineFromYaml,
  pipelineToYaml,
  replayChain,
  expandSequences,
  pseudoPrior,
  continueOp,
  drawFromScores,
  generateItems,
  prefetchGreedy,
  type AugmentContext,
  type NextItemSampler,
  type GenerationDirection,
} from '../../src/augment/index.ts';
import { arr, checkContract, seq } from './helpers.ts';

const N = 30;

/**
 * A deterministic fake generator: the next item prefers ids near (last·7 mod N) + 1; padding (0)
 * gets the highest score of all, so a sampler that looked at column 0 would emit it.
 */
function fakeSampler(direction: GenerationDirection, allowed?: Uint8Array): NextItemSampler & { calls: number } {
  const g = {
    direction,
    numItems: N,
    calls: 0,
    ...(allowed ? { allowed } : {}),
    scoreNext(histories: readonly Int32Array[]): Float32Array {
      g.calls++;
      const out = new Float32Array(histories.length * (N + 1));
      histories.forEach((h, b) => {
        const last = h.length ? h[h.length - 1]! : 0;
        const centre = ((last * 7) % N) + 1;
        for (let i = 1; i <= N; i++) out[b * (N + 1) + i] = -Math.abs(i - centre) / 3;
        out[b * (N + 1)] = 1000;
      });
      return out;
    },
  };
  return g;
}

const ctxOf = (gens: { forward?: NextItemSampler; reverse?: NextItemSampler }): AugmentContext => ({ numItems: N, generators: gens });
const ctx = ctxOf({ forward: fakeSampler('forward'), reverse: fakeSampler('reverse') });

function configError(f: () => unknown, message: RegExp): ConfigError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
  assert.match(err.message, message);
  return err;
}

describe('drawing from scores', () => {
  const scores = Float32Array.from({ length: N + 1 }, (_, i) => (i === 0 ? 99 : i % 10));
  it('greedy is the best allowed, non-excluded item and draws nothing', () => {
    const rng = new Rng(1);
    const before = new Rng(1).nextUint32();
    assert.equal(drawFromScores(scores, N, { temperature: 0, topK: 0, noRepeat: true }, rng), 9);
    assert.equal(drawFromScores(scores, N, { temperature: 0, topK: 0, noRepeat: true }, rng, new Set([9])), 19);
    assert.equal(rng.nextUint32(), before, 'greedy consumed randomness');
  });
  it('top-k keeps only the k best; padding and disallowed items never come out', () => {
    const allowed = new Uint8Array(N + 1).fill(1);
    allowed[29] = 0;
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let t = 0; t < 400; t++) seen.add(drawFromScores(scores, N, { temperature: 5, topK: 3, noRepeat: false }, rng, undefined, allowed));
    // 29 is disallowed; of the score-8 ties (8, 18, 28) the lowest id wins the third place.
    assert.deepEqual([...seen].sort((a, b) => a - b), [8, 9, 19]);
  });
  it('temperature sharpens: low temperature picks the best almost always', () => {
    const rng = new Rng(4);
    let best = 0;
    for (let t = 0; t < 200; t++) if (drawFromScores(scores, N, { temperature: 0.05, topK: 0, noRepeat: false }, rng) % 10 === 9) best++;
    assert.equal(best, 200);
  });
  it('returns 0 when nothing is eligible', () => {
    const allowed = new Uint8Array(N + 1);
    assert.equal(drawFromScores(scores, N, { temperature: 1, topK: 0, noRepeat: true }, new Rng(0), undefined, allowed), 0);
  });
  it('batched generation: each history depends only on its own rng', () => {
    const g = fakeSampler('forward');
    const opts = { temperature: 1, topK: 0, noRepeat: true };
    const both = generateItems(g, [seq(1, 2), seq(5)], [4, 6], opts, [new Rng(10), new Rng(11)]);
    const alone = generateItems(g, [seq(5)], [6], opts, [new Rng(11)]);
    assert.deepEqual(arr(both[1]!), arr(alone[0]!));
    assert.equal(both[0]!.length, 4);
    assert.equal(both[1]!.length, 6);
  });
});

describe('pseudo_prior and continue: the operator contract', () => {
  it('sample/apply split, JSON params, replay (pseudo_prior)', () => {
    const config = pseudoPrior.config.parse({ threshold: 8, k: 5, temperature: 1 });
    const { params, out } = checkContract(pseudoPrior, config, seq(3, 4, 5), ctx, 5);
    const items = (params as { items: number[] }).items;
    assert.equal(items.length, 5);
    assert.deepEqual(arr(out), [...items, 3, 4, 5]);
  });
  it('sample/apply split, JSON params, replay (continue)', () => {
    const config = continueOp.config.parse({ k: 4, topK: 5 });
    const { params, out } = checkContract(continueOp, config, seq(3, 4, 5), ctx, 6);
    assert.deepEqual(arr(out), [3, 4, 5, ...(params as { items: number[] }).items]);
    assert.equal(out.length, 7);
  });
  it('the reverse generator reads the sequence back to front, each item one step further back', () => {
    const g = fakeSampler('reverse');
    const config = pseudoPrior.config.parse({ threshold: 10, k: 3 });
    const { items } = pseudoPrior.sample(seq(2, 8, 11), config, ctxOf({ reverse: g }), new Rng(0));
    // Greedy: the item before 2 is centred at 2·7+1 = 15, the one before 15 at (105 mod 30)+1 = 16, …
    assert.equal(items[2], 15);
    assert.equal(items[1], ((15 * 7) % N) + 1);
  });
  it('greedy generation is memoised per generator: the second identical call asks the model nothing', () => {
    const g = fakeSampler('reverse');
    const c = ctxOf({ reverse: g });
    const config = pseudoPrior.config.parse({ threshold: 10, k: 4, temperature: 0 });
    const a = pseudoPrior.sample(seq(3, 9), config, c, new Rng(0));
    const calls = g.calls;
    assert.equal(calls, 4);
    assert.deepEqual(pseudoPrior.sample(seq(3, 9), config, c, new Rng(99)), a);
    assert.equal(g.calls, calls);
    pseudoPrior.sample(seq(3, 9), pseudoPrior.config.parse({ threshold: 10, k: 4, temperature: 1 }), c, new Rng(0));
    assert.equal(g.calls, calls + 4, 'sampling with temperature is never memoised');
  });
  it('prefetchGreedy fills the memo in batches: the same items, and the run asks the model nothing', () => {
    const histories = [seq(1, 2), seq(7), seq(3, 4, 5, 6, 7, 8, 9, 10, 11, 12), seq(20, 21, 22)];
    const config = { threshold: 6, k: 5, temperature: 0 };
    const plain = fakeSampler('reverse');
    const expected = histories.map((h) => pseudoPrior.sample(h, pseudoPrior.config.parse(config), ctxOf({ reverse: plain }), new Rng(0)));
    const g = fakeSampler('reverse');
    const c = ctxOf({ reverse: g });
    assert.equal(prefetchGreedy('pseudo_prior', config, histories, c, 2), 3, 'the long history needs nothing');
    const calls = g.calls;
    assert.ok(calls <= 2 * 5, `batched: ${calls} model calls`);
    assert.deepEqual(histories.map((h) => pseudoPrior.sample(h, pseudoPrior.config.parse(config), c, new Rng(1))), expected);
    assert.equal(g.calls, calls);
    assert.equal(prefetchGreedy('pseudo_prior', { ...config, temperature: 1 }, histories, c), 0, 'sampled steps are not prefetched');
  });
  it('a pipeline chain replays without any generator', () => {
    const p = buildPipeline({ version: 1, steps: [{ op: 'pseudo_prior', threshold: 6, k: 4, temperature: 1 }, { op: 'continue', k: 2 }, { op: 'crop', ratio: 0.9 }] });
    p.validate(ctx);
    for (let s = 0; s < 20; s++) {
      const input = seq(1 + s, 2 + s);
      const [r] = p.run(input, ctx, new Rng(s));
      const chain = JSON.parse(JSON.stringify(r!.chain));
      assert.deepEqual(arr(replayChain(input, chain, { numItems: N })), arr(r!.items));
    }
  });
});

describe('generator resource validation', () => {
  it('a missing generator is a ConfigError naming the step', () => {
    const p = buildPipeline({ version: 1, steps: [{ op: 'crop' }, { op: 'by_length', threshold: 3, short: { op: 'pseudo_prior' }, long: { op: 'reverse' } }] });
    configError(() => p.validate({ numItems: N }), /step 2\.short \(pseudo_prior\): needs a reverse next-item generator/);
    configError(() => p.validate(ctxOf({ forward: fakeSampler('forward') })), /step 2\.short \(pseudo_prior\)/);
    const c = buildPipeline({ version: 1, steps: [{ op: 'continue' }] });
    configError(() => c.validate(ctxOf({ reverse: fakeSampler('reverse') })), /step 1 \(continue\): needs a forward/);
  });
  it('a generator of the wrong direction or catalogue is refused', () => {
    const p = buildPipeline({ version: 1, steps: [{ op: 'pseudo_prior' }] });
    configError(() => p.validate(ctxOf({ reverse: fakeSampler('forward') })), /step 1 \(pseudo_prior\): needs a reverse generator, got one trained in direction 'forward'/);
    configError(() => p.validate({ numItems: N + 5, generators: { reverse: fakeSampler('reverse') } }), /covers 30 items, the data has 35/);
    const train = makeTrainView(N, [seq(1, 2, 3)]);
    assert.throws(() => p.bindGenerators(train, { reverse: fakeSampler('forward') }), ConfigError);
  });
  it('bad operator params name the step and key', () => {
    configError(() => buildPipeline({ version: 1, steps: [{ op: 'pseudo_prior', temperature: -1 }] }), /step 1 \(pseudo_prior\): 'temperature' must be a number ≥ 0/);
    configError(() => buildPipeline({ version: 1, steps: [{ op: 'continue', k: 0 }] }), /step 1 \(continue\): 'k' must be an integer ≥ 1/);
  });
  it('resources.generators round-trips through YAML with defaults filled in', () => {
    const text = `version: 1
resources:
  generators:
    reverse: { epochs: 3, config: { hidden: 16 } }
steps:
  - op: pseudo_prior
    threshold: 10
`;
    const p = pipelineFromYaml(text);
    assert.deepEqual(p.spec.resources?.generators?.reverse, { model: 'sasrec', epochs: 3, seed: 0, config: { loss: 'ce', hidden: 16 } });
    assert.deepEqual(pipelineFromYaml(pipelineToYaml(p)).spec, p.spec);
    configError(() => pipelineFromYaml(text.replace('epochs: 3', 'epochs: 0')), /resources\.generators\.reverse: 'epochs' must be an integer ≥ 1/);
    configError(() => pipelineFromYaml(text.replace('reverse:', 'sideways:')), /unknown key 'sideways'/);
  });
  it('bound generators reach expandSequences; another training view is refused', () => {
    const train = makeTrainView(N, [seq(1, 2), seq(3, 4, 5, 6, 7, 8, 9)]);
    const p = buildPipeline({ version: 1, steps: [{ op: 'pseudo_prior', threshold: 5, k: 9 }] });
    p.bindGenerators(train, { reverse: fakeSampler('reverse') });
    const out = [...expandSequences(train, p, { views: 1, seed: 0 })];
    assert.equal(out[0]!.items.length, 5, 'fill stops at the threshold');
    assert.deepEqual(arr(out[1]!.items), [3, 4, 5, 6, 7, 8, 9], 'long sequences untouched');
    configError(() => [...expandSequences(makeTrainView(N, [seq(1)]), p, { views: 1, seed: 0 })], /generators were fitted on a different training view/);
  });
});

describe('pseudo_prior invariants (property)', () => {
  const history = fc.uniqueArray(fc.integer({ min: 1, max: N }), { minLength: 1, maxLength: 14 });
  it('touches only sequences under the threshold, prepends only real unseen items, replays', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 5 }), fc.nat(), (h, threshold, k, fill, temperature, topK, seed) => {
        const input = Int32Array.from(h);
        const config = pseudoPrior.config.parse({ threshold, k, fill, temperature, topK, noRepeat: true });
        const p = pseudoPrior.sample(input, config, ctx, new Rng(seed));
        const out = pseudoPrior.apply(input, p, ctx);
        if (input.length >= threshold) return assert.deepEqual(arr(out), h);
        assert.deepEqual(arr(out.subarray(out.length - h.length)), h, 'the original sequence is the suffix');
        const added = p.items;
        assert.ok(added.length <= k && (!fill || out.length <= threshold));
        for (const i of added) assert.ok(i >= 1 && i <= N, `item ${i} is padding or mask`);
        assert.equal(new Set(out).size, out.length, 'no-repeat: no duplicate with the user items or among the new ones');
        assert.deepEqual(arr(pseudoPrior.apply(input, JSON.parse(JSON.stringify(p)), { numItems: N })), arr(out));
      }),
      { numRuns: 150 },
    );
  });
  it('with noRepeat false, repeats are possible (Taobao-style) and still never padding', () => {
    const config = pseudoPrior.config.parse({ threshold: 20, k: 15, noRepeat: false, temperature: 0 });
    const { items } = pseudoPrior.sample(seq(1), config, ctx, new Rng(0));
    assert.equal(items.length, 15);
    assert.ok(new Set(items).size < items.length, 'greedy on a cyclic fake repeats');
    assert.ok(items.every((i) => i >= 1 && i <= N));
  });
  it('disallowed items (never in training) are never generated', () => {
    const allowed = new Uint8Array(N + 1);
    for (let i = 1; i <= N; i += 2) allowed[i] = 1;
    const c = ctxOf({ reverse: fakeSampler('reverse', allowed), forward: fakeSampler('forward', allowed) });
    for (let s = 0; s < 30; s++) {
      const pp = pseudoPrior.sample(seq(2, 4), pseudoPrior.config.parse({ threshold: 12, k: 10, temperature: 2 }), c, new Rng(s));
      const co = continueOp.sample(seq(2, 4), continueOp.config.parse({ k: 6, temperature: 2 }), c, new Rng(s));
      for (const i of [...pp.items, ...co.items]) assert.equal(i % 2, 1);
    }
  });
});
