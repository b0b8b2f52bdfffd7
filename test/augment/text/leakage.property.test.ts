/**
 * Leakage: resources fitted on the training part of a query-disjoint split contain nothing that
 * occurs only in held-out queries — no synonym-table word, no brand word, for any split.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitTextResources, splitRaw, trainingProducts } from '../../../src/augment/index.ts';
import { Rng } from '../../../src/core/rng.ts';
import { loadHomeDepot, readHomeDepotOnce } from './homedepot.ts';

await readHomeDepotOnce();
const { groups, products } = loadHomeDepot(2500);

const words = (t: string) => splitRaw(t.toLowerCase());

describe('text resources leak nothing from held-out queries', () => {
  it('for random query-disjoint splits, every fitted word occurs in a training query or a training title', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.5, max: 0.85, noNaN: true }), (seed, share) => {
        const rng = new Rng(seed);
        const order = groups.map((_, i) => i);
        rng.shuffle(order);
        const cut = Math.floor(order.length * share);
        const train = order.slice(0, cut).map((i) => groups[i]!);
        const test = order.slice(cut).map((i) => groups[i]!);
        const res = fitTextResources(train, products, { wordnet: false, minSupport: 2 });
        const seen = new Set<string>();
        for (const g of train) for (const w of words(g.query)) seen.add(w);
        for (const p of trainingProducts(train, products)) for (const w of words(p.title)) seen.add(w);
        const testOnly = new Set<string>();
        for (const g of test) for (const w of words(g.query)) if (!seen.has(w)) testOnly.add(w);
        assert.ok(testOnly.size > 0, 'the split has held-out-only words to leak');
        assert.ok(res.domainSynonyms.size > 0, 'something was mined');
        for (const [k, vs] of res.domainSynonyms)
          for (const t of [k, ...vs])
            for (const w of words(t)) {
              assert.ok(!testOnly.has(w), `synonym word '${w}' occurs only in held-out queries`);
              assert.ok(seen.has(w), `synonym word '${w}' comes from training text`);
            }
        for (const b of res.brands.phrases) for (const w of words(b)) assert.ok(seen.has(w) && !testOnly.has(w), `brand word '${w}'`);
      }),
      { numRuns: 6 },
    );
  });
});
