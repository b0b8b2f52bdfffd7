import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import { makeTrainView } from '../../src/data/index.ts';
import { crop, mask, reorder, reverse, del, duplicate, insert, substitute, prefixes, maskToken, fitItemSimilarity, itemAttributesFromObject, type AugmentContext, type OperatorDef } from '../../src/augment/index.ts';
import { arr, checkContract, seq } from './helpers.ts';

const ctx: AugmentContext = { numItems: 20 };
const cfg = (op: OperatorDef, c: Record<string, unknown> = {}) => op.config.parse(c);
const long = seq(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
const sorted = (x: Int32Array) => arr(x).sort((a, b) => a - b);

/** Runs the contract on lengths 1, 2, 10 and many seeds. */
// biome-ignore lint/suspicious/noExplicitAny: each check reads its own operator's params type
function sweep(op: OperatorDef, c: Record<string, unknown>, context: AugmentContext = ctx, check?: (input: Int32Array, out: Int32Array, params: any) => void): void {
  for (const input of [seq(5), seq(5, 6), long]) for (let s = 0; s < 20; s++) {
    const { out, params } = checkContract(op, cfg(op, c), input, context, s);
    check?.(input, out, params);
  }
}

describe('crop', () => {
  it('keeps a contiguous span of max(1, floor(ratio·n)) items', () => {
    sweep(crop, { ratio: 0.6 }, ctx, (input, out, p) => {
      assert.equal(out.length, Math.max(1, Math.floor(0.6 * input.length)));
      assert.deepEqual(arr(out), arr(input.subarray(p.start, p.start + out.length)));
    });
  });
  it('length 1 stays itself; ratio 1 keeps everything; tiny ratio keeps one item', () => {
    assert.deepEqual(arr(checkContract(crop, cfg(crop, { ratio: 0.01 }), seq(9), ctx).out), [9]);
    assert.deepEqual(arr(checkContract(crop, cfg(crop, { ratio: 1 }), long, ctx).out), arr(long));
    assert.equal(checkContract(crop, cfg(crop, { ratio: 0.01 }), long, ctx).out.length, 1);
  });
  it('every start is reachable', () => {
    const starts = new Set<number>();
    for (let s = 0; s < 200; s++) starts.add(crop.sample(long, cfg(crop, { ratio: 0.5 }), ctx, new Rng(s)).start);
    assert.deepEqual([...starts].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
  });
});

describe('mask', () => {
  it('masks min(floor(ratio·n), n−1) positions with numItems+1 and keeps a real item', () => {
    assert.equal(maskToken(20), 21);
    sweep(mask, { ratio: 0.3 }, ctx, (input, out) => {
      const masked = arr(out).filter((x) => x === 21).length;
      assert.equal(masked, Math.min(Math.floor(0.3 * input.length), input.length - 1));
      for (let i = 0; i < input.length; i++) assert.ok(out[i] === input[i] || out[i] === 21);
    });
  });
  it('ratio 1 leaves exactly one real item; length 1 is never masked', () => {
    const out = checkContract(mask, cfg(mask, { ratio: 1 }), long, ctx).out;
    assert.equal(arr(out).filter((x) => x !== 21).length, 1);
    assert.deepEqual(arr(checkContract(mask, cfg(mask, { ratio: 1 }), seq(4), ctx).out), [4]);
  });
  it('records the token so replay needs no context', () => {
    const p = mask.sample(long, cfg(mask, { ratio: 0.5 }), ctx, new Rng(1));
    assert.equal(p.token, 21);
    assert.deepEqual(arr(mask.apply(long, p, { numItems: 999 })), arr(mask.apply(long, p, ctx)));
  });
});

describe('reorder / reverse', () => {
  it('reorder permutes one contiguous span only', () => {
    sweep(reorder, { ratio: 0.5 }, ctx, (input, out, p) => {
      assert.deepEqual(sorted(out), sorted(input));
      const len = Math.max(1, Math.floor(0.5 * input.length));
      assert.equal(p.order.length, len);
      for (let i = 0; i < input.length; i++) if (i < p.start || i >= p.start + len) assert.equal(out[i], input[i]);
    });
  });
  it('reorder does change order sometimes', () => {
    let changed = 0;
    for (let s = 0; s < 20; s++) if (arr(checkContract(reorder, cfg(reorder, { ratio: 1 }), long, ctx, s).out).join() !== arr(long).join()) changed++;
    assert.ok(changed >= 18);
  });
  it('reverse ratio 1 reverses the whole sequence; a span otherwise', () => {
    assert.deepEqual(arr(checkContract(reverse, cfg(reverse, {}), long, ctx).out), arr(long).reverse());
    sweep(reverse, { ratio: 0.3 }, ctx, (input, out, p) => {
      assert.deepEqual(sorted(out), sorted(input));
      assert.deepEqual(arr(out.subarray(p.start, p.start + p.length)), arr(input.subarray(p.start, p.start + p.length)).reverse());
    });
  });
});

describe('delete / duplicate', () => {
  it('delete drops a subsequence and never everything', () => {
    sweep(del, { ratio: 0.5 }, ctx, (input, out, p) => {
      assert.equal(out.length, input.length - p.at.length);
      assert.deepEqual(arr(out), arr(input).filter((_, i) => !p.at.includes(i)));
    });
    for (let s = 0; s < 20; s++) {
      assert.equal(checkContract(del, cfg(del, { ratio: 1 }), long, ctx, s).out.length, 1);
      assert.deepEqual(arr(checkContract(del, cfg(del, { ratio: 1 }), seq(3), ctx, s).out), [3]);
    }
  });
  it('delete refuses recorded params that would empty the sequence', () => {
    assert.throws(() => del.apply(seq(1, 2), { at: [0, 1] }, ctx), /every item/);
  });
  it('duplicate repeats items in place (double clicks)', () => {
    sweep(duplicate, { ratio: 0.5 }, ctx, (input, out, p) => {
      assert.equal(out.length, input.length + p.at.length);
      const expect: number[] = [];
      arr(input).forEach((x, i) => (p.at.includes(i) ? expect.push(x, x) : expect.push(x)));
      assert.deepEqual(arr(out), expect);
    });
  });
  it('duplicate respects maxLength: a sequence at the cap is unchanged', () => {
    for (let s = 0; s < 20; s++) {
      assert.deepEqual(arr(checkContract(duplicate, cfg(duplicate, { ratio: 1, maxLength: 10 }), long, ctx, s).out), arr(long));
      assert.equal(checkContract(duplicate, cfg(duplicate, { ratio: 1, maxLength: 12 }), long, ctx, s).out.length, 12);
    }
  });
});

describe('insert / substitute (correlated)', () => {
  // items 1..6; users co-buy {1,2,3} and {4,5,6}; item 7 never trained.
  const train = makeTrainView(7, [seq(1, 2, 3), seq(1, 2), seq(4, 5, 6), seq(5, 6)]);
  const sim = fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 3 });
  const sctx: AugmentContext = { numItems: 7, similarity: sim };
  const groupOf = (x: number) => (x <= 3 ? 'a' : x <= 6 ? 'b' : 'c');
  it('insert puts a neighbour before the chosen positions', () => {
    for (const input of [seq(1), seq(1, 5), seq(1, 2, 3, 4, 5, 6)])
      for (let s = 0; s < 20; s++) {
        const { out, params } = checkContract(insert, cfg(insert, { ratio: 0.5, topN: 2 }), input, sctx, s);
        const p = params as { at: number[]; items: number[] };
        assert.equal(out.length, input.length + p.at.length);
        assert.equal(p.at.length, Math.max(1, Math.floor(0.5 * input.length)));
        p.at.forEach((pos, k) => assert.equal(groupOf(p.items[k]!), groupOf(input[pos]!), 'neighbour from the same co-purchase group'));
      }
  });
  it('insert at maxLength inserts nothing; items without neighbours get nothing', () => {
    assert.deepEqual(arr(checkContract(insert, cfg(insert, { ratio: 1, maxLength: 3 }), seq(1, 2, 3), sctx).out), [1, 2, 3]);
    assert.equal(checkContract(insert, cfg(insert, { ratio: 1, maxLength: 4 }), seq(1, 2, 3), sctx).out.length, 4);
    assert.deepEqual(arr(checkContract(insert, cfg(insert, { ratio: 1 }), seq(7), sctx).out), [7]);
  });
  it('substitute replaces chosen items by neighbours; length unchanged', () => {
    for (let s = 0; s < 20; s++) {
      const input = seq(1, 2, 3, 4, 5, 6);
      const { out, params } = checkContract(substitute, cfg(substitute, { ratio: 0.5 }), input, sctx, s);
      const p = params as { at: number[]; items: number[] };
      assert.equal(out.length, 6);
      assert.equal(p.at.length, 3);
      for (let i = 0; i < 6; i++) if (!p.at.includes(i)) assert.equal(out[i], input[i]);
      p.at.forEach((pos) => assert.equal(groupOf(out[pos]!), groupOf(input[pos]!)));
    }
    assert.deepEqual(arr(checkContract(substitute, cfg(substitute, {}), seq(7), sctx).out), [7]);
  });
  it('topN 1 picks the most similar item (CoSeRec); mask tokens are left alone', () => {
    const p = substitute.sample(seq(1), cfg(substitute, { topN: 1 }), sctx, new Rng(3));
    assert.deepEqual(p.items, [sim.neighbors[1 * sim.topK]]);
    assert.deepEqual(substitute.sample(seq(8), cfg(substitute, {}), sctx, new Rng(3)), { at: [], items: [] });
  });
  it('sameAttribute keeps only neighbours sharing an attribute', () => {
    const attributes = itemAttributesFromObject({ a: [1], b: [2], c: [1], d: [3], e: [3], f: [4], g: [] }, ['<pad>', 'a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const actx: AugmentContext = { ...sctx, attributes };
    for (let s = 0; s < 20; s++) {
      const p = substitute.sample(seq(1, 4), cfg(substitute, { ratio: 1, topN: 3, sameAttribute: true }), actx, new Rng(s));
      // 1 shares attribute 1 with 3 only; 4 shares attribute 3 with 5 only.
      assert.deepEqual(p, { at: [0, 1], items: [3, 5] });
    }
    assert.deepEqual(substitute.sample(seq(2), cfg(substitute, { sameAttribute: true }), actx, new Rng(1)), { at: [], items: [] });
    assert.deepEqual(insert.requires!(cfg(insert, { sameAttribute: true })), ['similarity', 'attributes']);
  });
});

describe('prefixes (multi-output)', () => {
  const c = (x: Record<string, unknown>) => cfg(prefixes, x);
  it('every prefix of length ≥ minLength, each replayable through apply', () => {
    const ps = prefixes.sampleMany!(long, c({ minLength: 2, maxOutputs: 0 }), ctx, new Rng(0));
    assert.equal(ps.length, 9);
    ps.forEach((p, k) => assert.deepEqual(arr(prefixes.apply(long, p, ctx)), arr(long.subarray(0, k + 2))));
  });
  it('maxOutputs keeps the longest; window slides', () => {
    const ps = prefixes.sampleMany!(long, c({ maxOutputs: 3, window: 4 }), ctx, new Rng(0));
    assert.deepEqual(ps.map((p) => arr(prefixes.apply(long, p, ctx))), [[5, 6, 7, 8], [6, 7, 8, 9], [7, 8, 9, 10]]);
  });
  it('a sequence shorter than minLength yields itself once (never empty)', () => {
    const ps = prefixes.sampleMany!(seq(4), c({ minLength: 2 }), ctx, new Rng(0));
    assert.deepEqual(ps.map((p) => arr(prefixes.apply(seq(4), p, ctx))), [[4]]);
  });
});

describe('config schemas', () => {
  it('reject bad values', () => {
    for (const [op, c] of [
      [crop, { ratio: 0 }],
      [crop, { ratio: 1.5 }],
      [crop, { ratio: Number.NaN }],
      [mask, { ratio: -0.1 }],
      [insert, { topN: 0 }],
      [prefixes, { window: 1.5 }],
      [reorder, { ratio: 0.2, extra: 1 }],
    ] as [OperatorDef, Record<string, unknown>][])
      assert.equal(op.config.safeParse(c).success, false, `${op.name} ${JSON.stringify(c)}`);
  });
});
