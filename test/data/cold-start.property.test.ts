import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { chooseColdItems, coldStartSplitFor, itemColdStartSplit, type ItemAttributeSets, type ItemColdStartSplit, type SequenceDataset } from '../../src/data/index.ts';
import { synthesizeColdStartInteractions } from '../../src/synth/index.ts';
import { makeDataset } from './helpers.ts';

const NUM_ITEMS = 20;
const seqArb = fc.array(fc.array(fc.integer({ min: 1, max: NUM_ITEMS }), { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 15 });
const optsArb = fc.record({ itemFraction: fc.double({ min: 0.1, max: 0.6, noNaN: true }), seed: fc.integer({ min: 0, max: 1000 }), minInteractions: fc.integer({ min: 1, max: 3 }) });
const attrsArb = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }), { minLength: NUM_ITEMS, maxLength: NUM_ITEMS });

/** A dataset over exactly NUM_ITEMS items (the generated sequences may not use them all). */
function dataset(seqs: number[][]): SequenceDataset {
  const d = makeDataset(seqs);
  return { ...d, numItems: NUM_ITEMS, itemIds: ['<pad>', ...Array.from({ length: NUM_ITEMS }, (_, i) => String(i + 1))] };
}

function attributeSets(lists: number[][]): ItemAttributeSets {
  const offsets = new Int32Array(NUM_ITEMS + 2);
  const values: number[] = [];
  for (let i = 1; i <= NUM_ITEMS; i++) {
    const l = [...lists[i - 1]!].sort((a, b) => a - b);
    values.push(...l);
    offsets[i + 1] = offsets[i]! + l.length;
  }
  return { numItems: NUM_ITEMS, numAttributes: 7, offsets, values: Int32Array.from(values) };
}

function trainOf(sp: ItemColdStartSplit): number[][] {
  return Array.from({ length: sp.train.numUsers }, (_, u) => Array.from(sp.train.sequence(u)));
}

function counts(d: SequenceDataset): Int32Array {
  const c = new Int32Array(d.numItems + 1);
  for (const s of d.sequences) for (const i of s) c[i]!++;
  return c;
}

/** Tries to split; random tiny datasets may have too few eligible items (a ConfigError, by design). */
function trySplit(d: SequenceDataset, o: { itemFraction: number; seed: number; minInteractions: number }): ItemColdStartSplit | null {
  try {
    return itemColdStartSplit(d, o);
  } catch (e) {
    if (e instanceof ConfigError && /need at least 2/.test(e.message)) return null;
    throw e;
  }
}

describe('item cold-start split', () => {
  it('validation-cold and test-cold are disjoint, eligible, and no cold interaction reaches the training view', () => {
    fc.assert(
      fc.property(seqArb, optsArb, (seqs, o) => {
        const d = dataset(seqs);
        const sp = trySplit(d, o);
        if (!sp) return;
        const c = counts(d);
        const valid = new Set(sp.validColdItems);
        const test = new Set(sp.testColdItems);
        for (const i of valid) assert.ok(!test.has(i), `item ${i} is both validation-cold and test-cold`);
        for (const i of [...valid, ...test]) assert.ok(c[i]! >= o.minInteractions, `cold item ${i} has ${c[i]} < ${o.minInteractions} interactions`);
        for (const s of trainOf(sp)) for (const i of s) assert.ok(!valid.has(i) && !test.has(i), `cold item ${i} in the training view`);
        for (const cs of [sp.warm.valid, sp.warm.test]) for (const k of cs) assert.equal(sp.coldKind[k.target], 0, 'warm targets are warm');
        for (const k of sp.coldValid) assert.ok(valid.has(k.target));
        for (const k of sp.coldTest) assert.ok(test.has(k.target));
        for (const k of [...sp.coldValid, ...sp.coldTest]) {
          assert.ok(k.history.length > 0);
          for (const h of k.history) assert.equal(sp.coldKind[h], 0, 'a cold case history holds warm items only');
        }
        // Every interaction is accounted for exactly once.
        const total = seqs.reduce((a, s) => a + s.length, 0);
        const s = sp.summary;
        assert.equal(s.coldInteractions, sp.coldValid.length + sp.coldTest.length + s.skippedNoHistory);
        assert.equal(total, s.trainInteractions + s.warmValidCases + s.warmTestCases + s.coldInteractions);
      }),
      { numRuns: 150 },
    );
  });

  it('a cold case is the warm prefix before the cold interaction', () => {
    fc.assert(
      fc.property(seqArb, optsArb, (seqs, o) => {
        const d = dataset(seqs);
        const sp = trySplit(d, o);
        if (!sp) return;
        const expected: string[] = [];
        d.sequences.forEach((s, u) => {
          const warm: number[] = [];
          for (const i of s) {
            if (sp.coldKind[i] === 0) warm.push(i);
            else if (warm.length) expected.push(`${u}|${warm.join(',')}|${i}`);
          }
        });
        const got = [...sp.coldValid, ...sp.coldTest].map((c) => `${c.user}|${Array.from(c.history).join(',')}|${c.target}`);
        assert.deepEqual(got.sort(), expected.sort());
      }),
      { numRuns: 100 },
    );
  });

  it("changing the cold items' interactions changes nothing in training or in the synthesizer's output", () => {
    fc.assert(
      fc.property(seqArb, optsArb, attrsArb, fc.integer({ min: 0, max: 1e6 }), (seqs, o, attrLists, perturbSeed) => {
        const d = dataset(seqs);
        let chosen: ReturnType<typeof chooseColdItems>;
        try {
          chosen = chooseColdItems(d, o);
        } catch {
          return;
        }
        const cold = [...chosen.validCold, ...chosen.testCold];
        const isCold = new Set(cold);
        // Move cold interactions around: drop some, insert cold items at random places of random users.
        const rng = new Rng(perturbSeed);
        const perturbed = seqs.map((s) => {
          const out: number[] = [];
          for (const i of s) {
            if (rng.int(3) === 0) out.push(cold[rng.int(cold.length)]!);
            if (isCold.has(i) && rng.int(2) === 0) continue;
            out.push(i);
          }
          return out.length ? out : [cold[0]!];
        });
        const a = coldStartSplitFor(d, chosen.validCold, chosen.testCold);
        const b = coldStartSplitFor(dataset(perturbed), chosen.validCold, chosen.testCold);
        assert.deepEqual(trainOf(b), trainOf(a));
        const warmCases = (sp: ItemColdStartSplit) => [...sp.warm.valid, ...sp.warm.test].map((c) => [c.user, Array.from(c.history), c.target]);
        assert.deepEqual(warmCases(b), warmCases(a));
        const attrs = attributeSets(attrLists);
        const coldIds = Int32Array.from(cold);
        const sa = synthesizeColdStartInteractions(a.train, attrs, coldIds, { perItem: 3, after: 1 }, 7);
        const sb = synthesizeColdStartInteractions(b.train, attrs, coldIds, { perItem: 3, after: 1 }, 7);
        assert.deepEqual(sb.sequences.map((s) => Array.from(s)), sa.sequences.map((s) => Array.from(s)));
      }),
      { numRuns: 100 },
    );
  });

  it('the same seed draws the same cold items; another seed usually draws others', () => {
    const rng = new Rng(3);
    const seqs = Array.from({ length: 200 }, () => Array.from({ length: 6 }, () => 1 + rng.int(100)));
    const d = makeDataset(seqs);
    const a = itemColdStartSplit(d, { itemFraction: 0.2, seed: 1 });
    const b = itemColdStartSplit(d, { itemFraction: 0.2, seed: 1 });
    const c = itemColdStartSplit(d, { itemFraction: 0.2, seed: 2 });
    assert.deepEqual(a.testColdItems, b.testColdItems);
    assert.deepEqual(a.coldTest, b.coldTest);
    assert.notDeepEqual(a.testColdItems, c.testColdItems);
    assert.equal(a.validColdItems.length + a.testColdItems.length, Math.round(0.2 * a.summary.eligibleItems));
  });

  it('bad options are ConfigErrors naming the option', () => {
    const d = makeDataset([[1, 2, 3], [2, 3, 4]]);
    assert.throws(() => itemColdStartSplit(d, { itemFraction: 1.5, seed: 0 }), (e: unknown) => e instanceof ConfigError && e.location.field === 'itemFraction');
    assert.throws(() => itemColdStartSplit(d, { itemFraction: 0.01, seed: 0, minInteractions: 1 }), (e: unknown) => e instanceof ConfigError && /need at least 2/.test(e.message));
    assert.throws(() => coldStartSplitFor(d, Int32Array.of(2), Int32Array.of(2)), (e: unknown) => e instanceof ConfigError && /disjoint/.test(e.message));
  });
});

describe('cold-start synthesis', () => {
  const rng = new Rng(5);
  const seqs = Array.from({ length: 60 }, () => Array.from({ length: 4 + rng.int(6) }, () => 1 + rng.int(NUM_ITEMS)));
  const attrs = attributeSets(Array.from({ length: NUM_ITEMS }, (_, i) => (i % 5 === 4 ? [] : [i % 4, 4 + (i % 3)])));
  const sp = coldStartSplitFor(dataset(seqs), Int32Array.of(3, 7), Int32Array.of(11, 20));
  const cold = Int32Array.of(3, 7, 11, 20);

  it('is deterministic per seed and differs across seeds', () => {
    const a = synthesizeColdStartInteractions(sp.train, attrs, cold, { perItem: 8 }, 1);
    const b = synthesizeColdStartInteractions(sp.train, attrs, cold, { perItem: 8 }, 1);
    const c = synthesizeColdStartInteractions(sp.train, attrs, cold, { perItem: 8 }, 2);
    assert.deepEqual(a.sequences, b.sequences);
    assert.deepEqual(a.provenance, b.provenance);
    assert.notDeepEqual(a.sequences, c.sequences);
  });

  it('each synthetic sequence is a real training window with one cold item put where an attribute neighbour was', () => {
    for (const placement of ['substitute', 'insert'] as const) {
      const r = synthesizeColdStartInteractions(sp.train, attrs, cold, { perItem: 8, placement, maxHistory: 3, after: 2 }, 4);
      // Item 20 (index 19) has no attributes: nothing can be synthesized for it.
      assert.equal(r.itemsWithoutNeighbors, 1);
      assert.equal(r.sequences.length, 3 * 8);
      r.sequences.forEach((s, k) => {
        const p = r.provenance[k]!;
        const src = sp.train.sequence(p.sourceUser);
        assert.equal(src[p.position], p.neighbor);
        const at = Array.from(s).indexOf(p.coldItem);
        assert.ok(at >= (placement === 'substitute' ? 1 : 1), 'the cold item has context before it');
        assert.equal(Array.from(s).filter((i) => cold.includes(i)).length, 1, 'exactly one cold item');
        const before = Array.from(s.subarray(0, at));
        const end = placement === 'substitute' ? p.position : p.position + 1;
        assert.deepEqual(before, Array.from(src.subarray(Math.max(0, end - 3), end)));
        assert.deepEqual(Array.from(s.subarray(at + 1)), Array.from(src.subarray(p.position + 1, p.position + 3)));
        // The neighbour shares an attribute with the cold item.
        const av = (i: number) => new Set(attrs.values.subarray(attrs.offsets[i]!, attrs.offsets[i + 1]!));
        assert.ok([...av(p.coldItem)].some((a) => av(p.neighbor).has(a)));
      });
    }
  });

  it("the 'neighbor-popularity' budget gives more synthetic interactions to items whose neighbours are popular", () => {
    // Attribute 0: items 1-4 (item 1 very popular), cold item 5; attribute 1: items 6-9 (rare), cold item 10.
    const a = attributeSets(Array.from({ length: NUM_ITEMS }, (_, i) => (i < 5 ? [0] : i < 10 ? [1] : [2])));
    const seqs2 = [...Array.from({ length: 30 }, (_, u) => [1, 2 + (u % 3), 11 + (u % 5)]), [6, 7, 12], [8, 9, 13]];
    const sp2 = coldStartSplitFor(dataset(seqs2), Int32Array.of(5), Int32Array.of(10));
    const r = synthesizeColdStartInteractions(sp2.train, a, Int32Array.of(5, 10), { perItem: 6, budget: 'neighbor-popularity', placement: 'insert' }, 0);
    const per = (c: number) => r.provenance.filter((p) => p.coldItem === c).length;
    assert.ok(per(5) > per(10), `popular-looking item got ${per(5)}, rare-looking ${per(10)}`);
    assert.ok(per(10) >= 1);
    const u = synthesizeColdStartInteractions(sp2.train, a, Int32Array.of(5, 10), { perItem: 6, placement: 'insert' }, 0);
    assert.deepEqual([5, 10].map((c) => u.provenance.filter((p) => p.coldItem === c).length), [6, 6]);
  });

  it('refuses an item that has training interactions as cold', () => {
    const warmItem = sp.train.sequence(sp.train.users()[0]!)[0]!;
    assert.throws(() => synthesizeColdStartInteractions(sp.train, attrs, Int32Array.of(warmItem), { perItem: 1 }, 0), (e: unknown) => e instanceof ConfigError && e.location.field === 'coldItems');
    assert.throws(() => synthesizeColdStartInteractions(sp.train, attrs, cold, { perItem: -1 }, 0), (e: unknown) => e instanceof ConfigError && e.location.field === 'perItem');
  });
});
