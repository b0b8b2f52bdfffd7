/**
 * Sampled softmax for the 'ce' loss of SASRec and GRU4Rec (`ceNegatives: K`, `ceSampler`): each
 * training position scores its target and K items drawn once per batch instead of the whole
 * catalogue (docs/decisions/sampled-softmax.md).
 *
 * - 'uniform' (the default): K distinct items, uniformly. Every column's logQ correction is the same
 *   constant, which the softmax ignores, so none is applied.
 * - 'popularity': K draws with replacement from q(i) ∝ (training count of i + 1), and every logit —
 *   the target's and each sampled item's — is corrected by −log(K·q(i)), the item's expected count in
 *   the sample (Jean et al. 2015; TensorFlow's sampled_softmax_loss with subtract_log_q; Yi et al.
 *   2019 for recommendation). Popular items are the negatives a full softmax pushes down hardest;
 *   without the correction they would be pushed down once per draw, far more than the full softmax
 *   does.
 *
 * In both, a sampled item that is the position's own target is masked (an accidental hit), so the
 * target never competes with a copy of itself.
 */
import { z } from 'zod';
import { ModelStateError, type Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import { Tensor, add, concatColumns, crossEntropy, embedding, gatherRows, matmul, reshape, rowDot } from '../nn/index.ts';
import type { SequenceLoss } from './sasrec.ts';

/**
 * `ceNegatives`: 0 (the default) is the full softmax; K > 0 makes loss 'ce' a sampled softmax over
 * the target and K items drawn per batch, for catalogues where the full softmax dominates an epoch
 * (Taobao: 53,324 items, ~10x the rest of the network).
 */
export const ceNegativesSchema = z.number().int({ error: 'must be an integer >= 0' }).min(0, { error: 'must be an integer >= 0' }).default(0);

export type CeSampler = 'uniform' | 'popularity';
/** How the sampled softmax draws its K items: 'uniform' (distinct) or 'popularity' (training counts, logQ-corrected). */
export const ceSamplerSchema = z.enum(['uniform', 'popularity'], { error: "must be 'uniform' or 'popularity'" }).default('uniform');

/** The rule both sequence networks' schemas refine with: a sampled softmax only makes sense for the softmax loss. */
export const ceNegativesNeedCe: [(c: { loss: SequenceLoss; ceNegatives: number }) => boolean, { message: string; path: string[] }] = [
  (c) => c.ceNegatives === 0 || c.loss === 'ce',
  { message: "ceNegatives is only used with loss 'ce'", path: ['ceNegatives'] },
];

/** And a sampler other than the default only makes sense with a sample. */
export const ceSamplerNeedsNegatives: [(c: { ceNegatives: number; ceSampler: CeSampler }) => boolean, { message: string; path: string[] }] = [
  (c) => c.ceSampler === 'uniform' || c.ceNegatives > 0,
  { message: 'ceSampler needs ceNegatives > 0 (the full softmax samples nothing)', path: ['ceSampler'] },
];

/** The sampled-softmax keys of a parsed network config, as saved: absent at their defaults, so existing fingerprints stay as they were. */
export function sampledSoftmaxConfig(c: { ceNegatives: number; ceSampler: CeSampler }): { ceNegatives?: number; ceSampler?: CeSampler } {
  return { ...(c.ceNegatives === 0 ? {} : { ceNegatives: c.ceNegatives }), ...(c.ceSampler === 'uniform' ? {} : { ceSampler: c.ceSampler }) };
}

/** One batch's sample: the item ids of the K columns, and with a popularity sampler each item's log expected count. */
export interface CeSample {
  readonly ids: Int32Array;
  /** log(K·q(i)) for every item id 0..numItems (0 unused); absent when no correction applies (uniform). */
  readonly logExpected?: Float32Array;
}

/**
 * K distinct item ids from 1..numItems, uniformly (Floyd's algorithm: K draws, no rejection loop),
 * for one batch's sampled softmax; undefined when K covers the catalogue (the full softmax is then
 * both exact and no dearer).
 */
export function drawCeNegatives(count: number, numItems: number, rng: Rng): Int32Array | undefined {
  if (count <= 0 || count >= numItems - 1) return undefined;
  const picked = new Set<number>();
  for (let j = numItems - count + 1; j <= numItems; j++) {
    const t = 1 + rng.int(j);
    picked.add(picked.has(t) ? j : t);
  }
  return Int32Array.from(picked);
}

/** Draws each batch's sample for a network's sampled softmax (none when `count` is 0: the full softmax). */
export class CeNegativeSampler {
  readonly count: number;
  readonly numItems: number;
  readonly kind: CeSampler;
  /** Popularity: cumulative q over items 1..numItems, and log(K·q). Set from the training data. */
  #cdf: Float64Array | null = null;
  #logExpected: Float32Array | null = null;

  constructor(count: number, numItems: number, kind: CeSampler) {
    this.count = count;
    this.numItems = numItems;
    this.kind = kind;
  }

  /** Reads the item counts a popularity sampler draws by; nothing to read for the others. */
  observeTraining(train: TrainView): void {
    if (this.kind !== 'popularity' || this.count === 0) return;
    const n = this.numItems;
    const weight = new Float64Array(n + 1).fill(1);
    weight[0] = 0;
    for (const u of train.users()) for (const item of train.sequence(u)) if (item >= 1 && item <= n) weight[item]! += 1;
    let total = 0;
    for (let i = 1; i <= n; i++) total += weight[i]!;
    const cdf = new Float64Array(n + 1);
    const logExpected = new Float32Array(n + 1);
    let acc = 0;
    for (let i = 1; i <= n; i++) {
      acc += weight[i]! / total;
      cdf[i] = acc;
      logExpected[i] = Math.log((this.count * weight[i]!) / total);
    }
    cdf[n] = 1;
    this.#cdf = cdf;
    this.#logExpected = logExpected;
  }

  /** The batch's sample, or undefined for the full softmax (also when K covers the catalogue: exact and no dearer). */
  draw(rng: Rng): CeSample | undefined {
    if (this.count === 0 || this.count >= this.numItems - 1) return undefined;
    if (this.kind === 'uniform') {
      const ids = drawCeNegatives(this.count, this.numItems, rng);
      return ids && { ids };
    }
    const cdf = this.#cdf;
    if (cdf === null) throw new ModelStateError("ceSampler 'popularity' draws by the training counts: the network was trained without observing its training data");
    const ids = new Int32Array(this.count);
    for (let j = 0; j < ids.length; j++) {
      // Smallest item i with cdf[i] > u (binary search over 1..numItems).
      const u = rng.next();
      let lo = 1;
      let hi = this.numItems;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      ids[j] = lo;
    }
    return { ids, logExpected: this.#logExpected! };
  }
}

/** Added to a masked logit: exp of it underflows to 0 against any real logit (as attention's mask). */
const MASKED_LOGIT = -1e4;

/**
 * Row i's softmax over its target (column 0) and the batch's shared sample: `h` [n, d] hidden states,
 * `E` the output item table, `ids` the n targets. Accidental hits are masked; with a popularity
 * sample every column is corrected by −log(K·q).
 */
export function sampledSoftmax(h: Tensor, E: Tensor, ids: Int32Array, sample: CeSample, weights?: Float32Array): Tensor {
  const n = ids.length;
  const k = sample.ids.length;
  const pos = reshape(rowDot(h, embedding(E, ids, [n])), [n, 1]);
  const neg = matmul(h, gatherRows(E, sample.ids), { transB: true });
  let logits = concatColumns([pos, neg]);
  // One constant added to the logits: the logQ correction (popularity) and the accidental-hit mask.
  const lq = sample.logExpected;
  let shift: Float32Array | null = null;
  if (lq) {
    shift = new Float32Array(n * (k + 1));
    for (let i = 0; i < n; i++) {
      const row = i * (k + 1);
      shift[row] = -lq[ids[i]!]!;
      for (let c = 0; c < k; c++) shift[row + 1 + c] = -lq[sample.ids[c]!]!;
    }
  }
  // Columns of each sampled item (a popularity sample may hold an item more than once).
  const columns = new Map<number, number[]>();
  sample.ids.forEach((item, c) => {
    const at = columns.get(item);
    if (at) at.push(c + 1);
    else columns.set(item, [c + 1]);
  });
  for (let i = 0; i < n; i++) {
    const hits = columns.get(ids[i]!);
    if (hits === undefined) continue;
    shift ??= new Float32Array(n * (k + 1));
    for (const c of hits) shift[i * (k + 1) + c] = MASKED_LOGIT;
  }
  if (shift !== null) logits = add(logits, new Tensor(shift, [n, k + 1]));
  return crossEntropy(logits, new Int32Array(n), weights);
}
