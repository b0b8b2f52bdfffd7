/**
 * The pairwise loss both neural search rankers train with (`neural`, `knrm`): RankNet over every
 * pair of a query's products with different labels, each pair weighted by its gain difference
 * (2^label − 1), so swapping a perfect and a bad product costs more than swapping two middling ones.
 * One batch holds several query groups; pairs never cross groups.
 */
import type { Rng } from '../../core/index.ts';
import type { LabelScale } from '../../data/search/types.ts';
import { gainOf } from '../../eval/search.ts';
import { type Tensor, add, bceWithLogits, gatherRows, scale } from '../../nn/index.ts';

/** The pairs of one batch: row indices into the batch's score column (better, worse) and weights. */
export class RankNetPairs {
  private readonly better: number[] = [];
  private readonly worse: number[] = [];
  private readonly weights: number[] = [];

  constructor(private readonly labelScale: LabelScale) {}

  /**
   * Adds every ordered pair of one query group whose labels are `labels[from..to)`, the group's
   * rows sitting at `rowBase..rowBase + (to − from)` of the batch.
   */
  addGroup(labels: ArrayLike<number>, from: number, to: number, rowBase: number): void {
    for (let i = from; i < to; i++) {
      for (let j = from; j < to; j++) {
        if (!(labels[i]! > labels[j]!)) continue;
        this.better.push(rowBase + i - from);
        this.worse.push(rowBase + j - from);
        this.weights.push(gainOf(labels[i]!, this.labelScale) - gainOf(labels[j]!, this.labelScale));
      }
    }
  }

  get size(): number {
    return this.better.length;
  }

  /** The weighted RankNet loss of `scores` (one column, the batch's rows): BCE of s(better) − s(worse) against 1. */
  loss(scores: Tensor): Tensor {
    const diff = add(gatherRows(scores, Int32Array.from(this.better)), scale(gatherRows(scores, Int32Array.from(this.worse)), -1));
    return bceWithLogits(diff, new Float32Array(this.better.length).fill(1), Float32Array.from(this.weights));
  }
}

/** One epoch's batches of whole query groups, in an order shuffled by the epoch's RNG. */
export function queryGroupBatches(groups: number, batchGroups: number, epochRng: Rng): { readonly batches: number; groupsOf(batch: number): Int32Array } {
  const order = Int32Array.from({ length: groups }, (_, i) => i);
  epochRng.split('shuffle').shuffle(order);
  return {
    batches: Math.ceil(groups / batchGroups),
    groupsOf: (b) => order.subarray(b * batchGroups, Math.min(groups, (b + 1) * batchGroups)),
  };
}
