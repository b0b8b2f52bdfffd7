import { describe, it, } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import { makeTrainView, type ItemAttributeSets, type SequenceDataset } from '../../src/data/index.ts';
import { AttributePopularityRecommender, BlendedRecommender, ColdItemFallbackRecommender, PopularityRecommender } from '../../src/models/index.ts';
import { runColdStartExperiment } from '../../src/experiment/index.ts';
import { tempFolder } from '../temp-folders.ts';


function attributeSets(lists: number[][], numAttributes: number): ItemAttributeSets {
  const offsets = new Int32Array(lists.length + 2);
  const values: number[] = [];
  lists.forEach((l, k) => {
    values.push(...[...l].sort((a, b) => a - b));
    offsets[k + 2] = offsets[k + 1]! + l.length;
  });
  return { numItems: lists.length, numAttributes, offsets, values: Int32Array.from(values) };
}

describe('attribute-popularity heuristic', () => {
  // Items 1, 2 carry attribute 0 and are bought a lot; 3, 4 carry attribute 1 and are rare; 5 (attr 0)
  // and 6 (attr 1) never occur in training (cold); 7 has no attributes.
  const attrs = attributeSets([[0], [0], [1], [1], [0], [1], []], 2);
  const train = makeTrainView(7, [
    ...Array.from({ length: 10 }, () => Int32Array.of(1, 2)),
    Int32Array.of(3, 1),
    Int32Array.of(4, 2),
  ]);

  it('ranks a cold item with popular attributes above a cold item with rare ones', async () => {
    const m = new AttributePopularityRecommender(attrs, { affinity: 0 });
    await m.fit(train, { seed: 0 });
    const s = m.scoreAll([Int32Array.of(1)]);
    assert.ok(s[5]! > s[6]!, `popular-attribute cold item ${s[5]} should beat rare-attribute cold item ${s[6]}`);
    assert.ok(s[1]! > s[3]!);
    assert.equal(s[1], s[5], 'scores come from attributes only, not from the item’s own count');
    // Popularity cannot tell the two cold items apart (both 0).
    const p = new PopularityRecommender();
    await p.fit(train, { seed: 0 });
    const ps = p.scoreAll([Int32Array.of(1)]);
    assert.equal(ps[5], ps[6]);
  });

  it('affinity moves items sharing the user’s attributes up, for that user only', async () => {
    const m = new AttributePopularityRecommender(attrs, { affinity: 10 });
    await m.fit(train, { seed: 0 });
    const s = m.scoreAll([Int32Array.of(3), Int32Array.of(1), Int32Array.of()]);
    const w = 8;
    assert.ok(s[6]! > s[5]!, 'a user of rare-attribute items gets the rare-attribute cold item first');
    assert.ok(s[w + 5]! > s[w + 6]!);
    assert.ok(Math.abs(s[2 * w + 5]! - s[2 * w + 6]! - (s[w + 5]! - s[w + 6]! - 10)) < 1e-4, 'empty history: the prior only');
  });

  it('saves and loads to the same scores', async () => {
    const m = new AttributePopularityRecommender(attrs, { affinity: 2 });
    await m.fit(train, { seed: 0 });
    const dir = tempFolder('samplify-attrpop-');
    m.save(dir);
    const n = new AttributePopularityRecommender(attrs, { affinity: 2 });
    n.load(dir);
    assert.deepEqual(n.scoreAll([Int32Array.of(3, 4)]), m.scoreAll([Int32Array.of(3, 4)]));
  });

  it('the cold-item fallback keeps the model’s scores for known items and orders cold items by the heuristic', async () => {
    const base = new PopularityRecommender();
    const heur = new AttributePopularityRecommender(attrs, { affinity: 0 });
    const low = new ColdItemFallbackRecommender(base, heur, 0);
    await low.fit(train, { seed: 0 });
    const high = new ColdItemFallbackRecommender(base, heur, 5).useKnownItemsOf(train);
    const hs = [Int32Array.of(3)];
    const b = base.scoreAll(hs);
    const [x, y] = [low.scoreAll(hs), high.scoreAll(hs)];
    for (const i of [1, 2, 3, 4]) assert.equal(x[i], b[i], `known item ${i} keeps its score`);
    for (const s of [x, y]) assert.ok(s[5]! > s[6]!, 'popular-attribute cold item above rare-attribute one');
    assert.ok(y[5]! > x[5]! && y[6]! > x[6]!, 'a larger shift moves cold items up');
    assert.ok(y[5]! > y[1]!, 'with shift 5 the best cold item outranks every known item');
  });

  it('a blend with weight 0 on one part ranks exactly like the other part', async () => {
    const a = new AttributePopularityRecommender(attrs, { affinity: 1 });
    const b = new PopularityRecommender();
    const blend = new BlendedRecommender([{ model: a, weight: 1 }, { model: b, weight: 0 }]);
    await blend.fit(train, { seed: 0 });
    const hs = [Int32Array.of(3), Int32Array.of(1, 2)];
    const x = blend.scoreAll(hs);
    const y = a.scoreAll(hs);
    const order = (s: Float32Array, h: number) => Array.from({ length: 7 }, (_, i) => i + 1).sort((i, j) => s[h * 8 + j]! - s[h * 8 + i]! || i - j);
    for (const h of [0, 1]) assert.deepEqual(order(x, h), order(y, h));
  });
});

describe('cold-start experiment (tiny end-to-end)', () => {
  // 40 items in 4 attribute groups; users mostly stay inside one group.
  const numItems = 40;
  const rng = new Rng(9);
  const sequences = Array.from({ length: 120 }, () => {
    const g = rng.int(4);
    return Int32Array.from(Array.from({ length: 5 + rng.int(5) }, () => (rng.int(5) === 0 ? 1 + rng.int(numItems) : 1 + g * 10 + rng.int(10))));
  });
  const dataset: SequenceDataset = { name: 'tiny', userIds: sequences.map((_, u) => String(u)), itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => String(i + 1))], numItems, sequences, checksum: 'tiny' };
  const attributes = attributeSets(Array.from({ length: numItems }, (_, i) => [Math.floor(i / 10), 4 + (i % 3)]), 7);
  const model = { model: 'sasrec' as const, config: { hidden: 8, blocks: 1, heads: 2, maxLen: 8, loss: 'bce' }, trainer: { batchSize: 32 } };
  const options = (out: string) => ({ dataset, attributes, split: { itemFraction: 0.2, seed: 0, minInteractions: 3 }, model, seeds: [0, 1], epochs: 2, intensities: [2, 6], affinities: [0, 3], hybridShifts: [0, 2], out });

  it('reports every arm on cold and warm cases, chooses on validation-cold, is deterministic and resumes', async () => {
    const tmp = tempFolder('samplify-cold-');
    const a = await runColdStartExperiment(options(join(tmp, 'a')));
    const names = a.arms.map((x) => x.arm);
    for (const n of ['attr-pop', 'none', 'synth', 'hybrid', 'context-copy']) assert.ok(names.includes(n), n);
    // The control copies exactly the synthesis arm's windows, without the cold items.
    const control = a.arms.find((x) => x.arm === 'context-copy')!;
    const synthArm = a.arms.find((x) => x.arm === 'synth')!;
    assert.deepEqual(control.perSeed.map((p) => p.info['copiedWindows']), synthArm.perSeed.map((p) => p.info['syntheticSequences']));
    assert.ok(a.comparisons.some((c) => c.baseline === 'context-copy' && c.treatment === 'synth' && c.cases === 'warmTest'));
    const synth = a.arms.find((x) => x.arm === 'synth')!;
    assert.ok([2, 6].includes(synth.chosen!['perItem']!));
    assert.deepEqual(synth.seeds, [0, 1]);
    // The intensity not chosen ran on the first seed only (selection on seed 0).
    const other = a.arms.find((x) => x.arm.startsWith('synth-'))!;
    assert.deepEqual(other.seeds, [0]);
    const sel = a.selection['intensity'] as { chosen: number; validNdcg20: Record<string, number> };
    const best = Math.max(...Object.values(sel.validNdcg20));
    assert.equal(sel.validNdcg20[String(sel.chosen)], best, 'the chosen intensity is the best on validation-cold');
    const cold = a.split.validColdItems + a.split.testColdItems;
    assert.equal(synth.perSeed[0]!.info['syntheticSequences'], synth.chosen!['perItem']! * (cold - (synth.perSeed[0]!.info['itemsWithoutNeighbors'] as number)));
    for (const arm of a.arms) for (const set of ['coldTest', 'warmTest'] as const) {
      const v = arm.metrics[set]['NDCG@20']!;
      assert.ok(v >= 0 && v <= 1, `${arm.arm} ${set}`);
    }
    // The model never saw cold items: BCE pushes them down as negatives, so no cold target can be ranked first.
    assert.ok(a.comparisons.some((c) => c.treatment === 'synth' && c.baseline === 'none' && c.cases === 'coldTest'));
    assert.ok(existsSync(join(tmp, 'a', 'results.json')));
    assert.match(readFileSync(join(tmp, 'a', 'table.md'), 'utf8'), /\| synth \| perItem/);

    const lines: string[] = [];
    const b = await runColdStartExperiment({ ...options(join(tmp, 'a')), progress: { line: (l) => void lines.push(l) } });
    assert.ok(lines.some((l) => l.includes('already done')), 'a rerun resumes from the saved runs');
    assert.deepEqual(b.arms.map((x) => x.metrics), a.arms.map((x) => x.metrics));
    const c = await runColdStartExperiment(options(join(tmp, 'c')));
    assert.deepEqual(c.arms.map((x) => x.metrics), a.arms.map((x) => x.metrics), 'a fresh run with the same seeds gives the same numbers');
  });
});
