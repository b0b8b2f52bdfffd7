/**
 * Correlated operators (CoSeRec's insert and substitute): new items come from an item–item
 * similarity fitted on training data (ctx.similarity). The inserted/substituted items are recorded
 * in the params, so `apply` — and replay — needs no similarity table.
 * Attribute-aware variant: `sameAttribute: true` keeps only neighbours sharing at least one
 * attribute with the original item (ctx.attributes).
 */
import { z } from 'zod';
import type { Rng } from '../../core/rng.ts';
import type { AugmentContext, AugmentResource, OperatorDef } from '../types.ts';
import { shareAttribute } from '../attributes.ts';
import { bool, natInt, posInt, ratioOpen } from '../params.ts';
import { checkPositions, choosePositions, insertBefore } from './util.ts';

const CorrelatedConfig = (ratio: number) =>
  z
    .object({
      ratio: ratioOpen(ratio),
      /** Draw uniformly among the topN best eligible neighbours (1 = always the most similar, as CoSeRec). */
      topN: posInt(1),
      sameAttribute: bool(false),
    })
    .strict();

export interface CorrelatedParams {
  /** Positions in the input sequence. */
  at: number[];
  /** The item put before (insert) or at (substitute) each position. */
  items: number[];
}

function requires(c: { sameAttribute: boolean }): AugmentResource[] {
  return c.sameAttribute ? ['similarity', 'attributes'] : ['similarity'];
}

/** A neighbour of `item` drawn uniformly among its first `topN` eligible ones, or 0 when it has none. */
function drawNeighbor(item: number, topN: number, sameAttribute: boolean, ctx: AugmentContext, rng: Rng): number {
  const sim = ctx.similarity;
  if (!sim || item < 1 || item > sim.numItems) return 0;
  const o = item * sim.topK;
  const cnt = sim.counts[item]!;
  if (cnt === 0) return 0;
  if (!sameAttribute) return sim.neighbors[o + (topN === 1 || cnt === 1 ? 0 : rng.int(Math.min(topN, cnt)))]!;
  const attrs = ctx.attributes!;
  let eligible = 0;
  for (let r = 0; r < cnt && eligible < topN; r++) if (shareAttribute(attrs, item, sim.neighbors[o + r]!)) eligible++;
  if (eligible === 0) return 0;
  let pick = eligible === 1 ? 0 : rng.int(eligible);
  for (let r = 0; r < cnt; r++) {
    const j = sim.neighbors[o + r]!;
    if (shareAttribute(attrs, item, j) && pick-- === 0) return j;
  }
  return 0;
}

/** For insert and substitute: a neighbour of the item at each candidate position (positions without one are skipped). */
function neighborsAt(seq: Int32Array, positions: readonly number[], c: { topN: number; sameAttribute: boolean }, ctx: AugmentContext, rng: Rng): { at: number[]; items: number[] } {
  const at: number[] = [];
  const items: number[] = [];
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k]!;
    const j = drawNeighbor(seq[p]!, c.topN, c.sameAttribute, ctx, rng);
    if (j > 0) {
      at.push(p);
      items.push(j);
    }
  }
  return { at, items };
}

const InsertConfig = CorrelatedConfig(0.4).extend({ maxLength: natInt(0, 'must be an integer ≥ 0 (0 = no cap)') }).strict();
/**
 * Inserts, before each of max(1, ⌊ratio·n⌋) uniformly chosen positions, a neighbour of the item
 * there. Items without (eligible) neighbours get nothing. With maxLength > 0 the result never
 * exceeds max(n, maxLength): a sequence already at the cap is returned unchanged.
 */
export const insert: OperatorDef<Int32Array, z.infer<typeof InsertConfig>, CorrelatedParams> = {
  name: 'insert',
  family: 'sequence',
  summary: 'insert a similar item (ctx.similarity) before max(1, floor(ratio·n)) random positions, up to maxLength',
  config: InsertConfig,
  requires,
  sample(seq, c, ctx, rng) {
    const n = seq.length;
    let k = Math.max(1, Math.floor(c.ratio * n));
    if (c.maxLength > 0) k = Math.min(k, Math.max(0, c.maxLength - n));
    // choosePositions and neighborsAt fused into one pass (no intermediate position array); with
    // topN = 1 and no attribute filter the draws are exactly choosePositions's.
    const at: number[] = [];
    const items: number[] = [];
    let need = k;
    for (let i = 0; i < n && need > 0; i++) {
      if (k < n && !(rng.next() * (n - i) < need)) continue;
      need--;
      const j = drawNeighbor(seq[i]!, c.topN, c.sameAttribute, ctx, rng);
      if (j > 0) {
        at.push(i);
        items.push(j);
      }
    }
    return { at, items };
  },
  apply(seq, p) {
    checkPositions(p.at, seq.length, 'insert');
    if (p.items.length !== p.at.length) throw new RangeError('insert: recorded items and positions differ in length');
    return insertBefore(seq, p.at, p.items);
  },
};

const SubstituteConfig = CorrelatedConfig(0.1);
/** Replaces the items at max(1, ⌊ratio·n⌋) uniformly chosen positions by a neighbour each. */
export const substitute: OperatorDef<Int32Array, z.infer<typeof SubstituteConfig>, CorrelatedParams> = {
  name: 'substitute',
  family: 'sequence',
  summary: 'replace max(1, floor(ratio·n)) random items by a similar item (ctx.similarity)',
  config: SubstituteConfig,
  requires,
  sample(seq, c, ctx, rng) {
    const n = seq.length;
    return neighborsAt(seq, choosePositions(n, Math.max(1, Math.floor(c.ratio * n)), rng), c, ctx, rng);
  },
  apply(seq, p) {
    checkPositions(p.at, seq.length, 'substitute');
    if (p.items.length !== p.at.length) throw new RangeError('substitute: recorded items and positions differ in length');
    const out = seq.slice();
    for (let k = 0; k < p.at.length; k++) out[p.at[k]!] = p.items[k]!;
    return out;
  },
};
