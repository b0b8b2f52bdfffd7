/**
 * Item–item neighbour tables for the correlated operators (insert, substitute). Fitted from a
 * TrainView only — validation/test interactions are not reachable from it — so an item that first
 * appears in validation or test has no neighbours and is nobody's neighbour.
 *
 * Layout: a dense [numItems+1, topK] table (row 0 unused) of neighbour ids (0 = none) and scores,
 * best first, ties broken by smaller item id, so fitting is deterministic.
 */
import { ConfigError } from '../core/errors.ts';
import type { TrainView } from '../data/types.ts';
import { Tensor, matmul, noGrad } from '../nn/index.ts';
import type { ItemAttributes } from './attributes.ts';

export interface ItemSimilarity {
  readonly kind: string;
  readonly numItems: number;
  readonly topK: number;
  /** neighbors[i*topK + r] = r-th neighbour of item i (0 = no more neighbours). */
  readonly neighbors: Int32Array;
  readonly scores: Float32Array;
  /** counts[i] = number of neighbours item i has (≤ topK). */
  readonly counts: Int32Array;
}

export type SimilarityKind = 'itemcf-iuf' | 'attribute-jaccard';

export interface FitSimilarityOptions {
  kind: SimilarityKind;
  /** Neighbours kept per item (default 20). */
  topK?: number;
  /** attribute-jaccard: the item attributes (loadItemAttributes). */
  attributes?: ItemAttributes;
}

/** Neighbour ids of `item` (a view into the table; do not modify). */
export function neighborsOf(sim: ItemSimilarity, item: number): Int32Array {
  if (item <= 0 || item > sim.numItems) return sim.neighbors.subarray(0, 0);
  const o = item * sim.topK;
  return sim.neighbors.subarray(o, o + sim.counts[item]!);
}

function checkTopK(topK: unknown): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) throw new ConfigError(`'topK' must be an integer ≥ 1, got ${JSON.stringify(topK)}`, { field: 'topK' });
  return topK;
}

/** Keeps the topK best of the touched candidates of one row (score desc, id asc). */
class TopKWriter {
  readonly neighbors: Int32Array;
  readonly scores: Float32Array;
  readonly counts: Int32Array;
  private cand: number[] = [];
  constructor(
    readonly numItems: number,
    readonly topK: number,
  ) {
    this.neighbors = new Int32Array((numItems + 1) * topK);
    this.scores = new Float32Array((numItems + 1) * topK);
    this.counts = new Int32Array(numItems + 1);
  }
  /** acc[j] holds row i's scores for the items in `touched`; acc is reset for them. */
  write(i: number, touched: number[], acc: Float64Array): void {
    const c = this.cand;
    c.length = 0;
    for (const j of touched) if (j !== i && acc[j]! > 0) c.push(j);
    c.sort((a, b) => acc[b]! - acc[a]! || a - b);
    const k = Math.min(this.topK, c.length);
    const o = i * this.topK;
    for (let r = 0; r < k; r++) {
      this.neighbors[o + r] = c[r]!;
      this.scores[o + r] = acc[c[r]!]!;
    }
    this.counts[i] = k;
    for (const j of touched) acc[j] = 0;
  }
  /** Row i's neighbours, already ranked best first. */
  set(i: number, ids: Int32Array, scores: Float32Array, count: number): void {
    const o = i * this.topK;
    this.neighbors.set(ids.subarray(0, count), o);
    this.scores.set(scores.subarray(0, count), o);
    this.counts[i] = count;
  }
  finish(kind: string): ItemSimilarity {
    return { kind, numItems: this.numItems, topK: this.topK, neighbors: this.neighbors, scores: this.scores, counts: this.counts };
  }
}

/** CSR of distinct items per training user, and users per item. */
function userItemIndex(train: TrainView): { uOff: Int32Array; uItems: Int32Array; iOff: Int32Array; iUsers: Int32Array } {
  const n = train.numItems;
  const users = train.users();
  const seqs: Int32Array[] = [];
  const mark = new Int32Array(n + 1).fill(-1);
  let total = 0;
  for (let k = 0; k < users.length; k++) {
    const s = train.sequence(users[k]!);
    let m = 0;
    for (let t = 0; t < s.length; t++) {
      const it = s[t]!;
      if (it < 1 || it > n) throw new RangeError(`training item ${it} of user ${users[k]} is outside 1..${n}`);
      if (mark[it] !== k) (mark[it] = k), (s[m++] = it);
    }
    seqs.push(s.subarray(0, m));
    total += m;
  }
  const uOff = new Int32Array(seqs.length + 1);
  const uItems = new Int32Array(total);
  const deg = new Int32Array(n + 2);
  for (let k = 0; k < seqs.length; k++) {
    uItems.set(seqs[k]!, uOff[k]!);
    uOff[k + 1] = uOff[k]! + seqs[k]!.length;
    for (const it of seqs[k]!) deg[it + 1]!++;
  }
  const iOff = new Int32Array(n + 2);
  for (let i = 1; i <= n + 1; i++) iOff[i] = iOff[i - 1]! + deg[i]!;
  const fill = iOff.slice(0, n + 1);
  const iUsers = new Int32Array(total);
  for (let k = 0; k < seqs.length; k++) for (const it of seqs[k]!) iUsers[fill[it]!++] = k;
  return { uOff, uItems, iOff, iUsers };
}

/**
 * ItemCF-IUF: sim(i, j) = Σ_{u ∋ i, j} 1 / log(1 + |N(u)|)  /  sqrt(|N(i)| · |N(j)|), over the
 * distinct training items N(u) of each user; |N(i)| = number of training users of i. Users with
 * long histories say less about any one pair (inverse user frequency). Or
 * attribute-jaccard: |A(i) ∩ A(j)| / |A(i) ∪ A(j)| over items that occur in training.
 */
export function fitItemSimilarity(train: TrainView, opts: FitSimilarityOptions): ItemSimilarity {
  const topK = checkTopK(opts.topK ?? 20);
  if (opts.kind === 'attribute-jaccard') {
    if (!opts.attributes) throw new ConfigError("similarity kind 'attribute-jaccard' needs item attributes (loadItemAttributes)", { field: 'attributes' });
    return attributeJaccard(train, opts.attributes, topK);
  }
  if (opts.kind !== 'itemcf-iuf') throw new ConfigError(`unknown similarity kind '${String(opts.kind)}'; expected one of: itemcf-iuf, attribute-jaccard`, { field: 'kind' });
  const n = train.numItems;
  const { uOff, uItems, iOff, iUsers } = userItemIndex(train);
  const w = new Float64Array(uOff.length - 1);
  for (let k = 0; k < w.length; k++) w[k] = 1 / Math.log(1 + (uOff[k + 1]! - uOff[k]!));
  const acc = new Float64Array(n + 1);
  const out = new TopKWriter(n, topK);
  const touched: number[] = [];
  for (let i = 1; i <= n; i++) {
    const di = iOff[i + 1]! - iOff[i]!;
    if (di === 0) continue;
    touched.length = 0;
    for (let a = iOff[i]!; a < iOff[i + 1]!; a++) {
      const u = iUsers[a]!;
      const wu = w[u]!;
      for (let b = uOff[u]!; b < uOff[u + 1]!; b++) {
        const j = uItems[b]!;
        if (acc[j] === 0) touched.push(j);
        acc[j]! += wu;
      }
    }
    for (const j of touched) acc[j] = acc[j]! / Math.sqrt(di * (iOff[j + 1]! - iOff[j]!));
    out.write(i, touched, acc);
  }
  return out.finish('itemcf-iuf');
}

function attributeJaccard(train: TrainView, attrs: ItemAttributes, topK: number): ItemSimilarity {
  const n = train.numItems;
  if (attrs.numItems !== n) throw new ConfigError(`item attributes are for ${attrs.numItems} items, the training data has ${n}`, { field: 'attributes' });
  const inTrain = new Uint8Array(n + 1);
  for (const u of train.users()) for (const it of train.sequence(u)) if (it >= 1 && it <= n) inTrain[it] = 1;
  // attribute → training items
  const A = attrs.numAttributes;
  const deg = new Int32Array(A + 1);
  for (let i = 1; i <= n; i++) if (inTrain[i]) for (let a = attrs.offsets[i]!; a < attrs.offsets[i + 1]!; a++) deg[attrs.values[a]! + 1]!++;
  for (let a = 1; a <= A; a++) deg[a]! += deg[a - 1]!;
  const aOff = deg;
  const fill = aOff.slice(0, A);
  const aItems = new Int32Array(aOff[A]!);
  for (let i = 1; i <= n; i++) if (inTrain[i]) for (let a = attrs.offsets[i]!; a < attrs.offsets[i + 1]!; a++) aItems[fill[attrs.values[a]!]!++] = i;
  const size = (i: number) => attrs.offsets[i + 1]! - attrs.offsets[i]!;
  const acc = new Float64Array(n + 1);
  const out = new TopKWriter(n, topK);
  const touched: number[] = [];
  for (let i = 1; i <= n; i++) {
    if (!inTrain[i] || size(i) === 0) continue;
    touched.length = 0;
    for (let a = attrs.offsets[i]!; a < attrs.offsets[i + 1]!; a++) {
      const v = attrs.values[a]!;
      for (let b = aOff[v]!; b < aOff[v + 1]!; b++) {
        const j = aItems[b]!;
        if (acc[j] === 0) touched.push(j);
        acc[j]! += 1;
      }
    }
    for (const j of touched) acc[j] = acc[j]! / (size(i) + size(j) - acc[j]!);
    out.write(i, touched, acc);
  }
  return out.finish('attribute-jaccard');
}

export interface EmbeddingSimilarityOptions {
  numItems: number;
  topK?: number;
  /**
   * When given, only items that occur in this training view get neighbours or can be neighbours
   * (recommended: an embedding row of an item never seen in training is noise at best and a leak
   * of a split's catalogue at worst).
   */
  train?: TrainView;
}

/**
 * Cosine top-k from an embedding matrix Float32Array [numItems+1, d] (row 0 = padding, ignored),
 * e.g. a trained model's item embedding; this module does not import models. The O(numItems² · d)
 * products run as blocked matrix products on the nn backend (BLAS when native), and each row keeps
 * its best topK in a bounded insertion list instead of sorting every candidate.
 */
export function similarityFromEmbeddings(embedding: Float32Array, opts: EmbeddingSimilarityOptions): ItemSimilarity {
  const n = opts.numItems;
  const topK = checkTopK(opts.topK ?? 20);
  if (!Number.isInteger(n) || n < 1 || embedding.length % (n + 1) !== 0 || embedding.length === 0)
    throw new ConfigError(`embedding of length ${embedding.length} is not a [numItems+1 = ${n + 1}, d] matrix`, { field: 'embedding' });
  const d = embedding.length / (n + 1);
  const allowed = new Uint8Array(n + 1);
  if (opts.train) {
    for (const u of opts.train.users()) for (const it of opts.train.sequence(u)) if (it >= 1 && it <= n) allowed[it] = 1;
  } else allowed.fill(1, 1);
  // Unit rows for the items that may take part (zero rows for the others: never a candidate).
  const unit = new Float32Array((n + 1) * d);
  const usable = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    if (!allowed[i]) continue;
    let s = 0;
    for (let k = 0, o = i * d; k < d; k++) s += embedding[o + k]! * embedding[o + k]!;
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0, o = i * d; k < d; k++) unit[o + k] = embedding[o + k]! * inv;
    usable[i] = 1;
  }
  const out = new TopKWriter(n, topK);
  const all = new Tensor(unit, [n + 1, d]);
  const ids = new Int32Array(topK);
  const vals = new Float32Array(topK);
  const BLOCK = 256;
  for (let first = 1; first <= n; first += BLOCK) {
    const last = Math.min(n, first + BLOCK - 1);
    const rows = last - first + 1;
    const scores = noGrad(() => matmul(new Tensor(unit.subarray(first * d, (last + 1) * d), [rows, d]), all, { transB: true })).data;
    for (let r = 0; r < rows; r++) {
      const i = first + r;
      if (!usable[i]) continue;
      const o = r * (n + 1);
      let count = 0;
      for (let j = 1; j <= n; j++) {
        const c = scores[o + j]!;
        // Only positively similar items are candidates; ids ascend, so an equal score keeps the smaller id first.
        if (j === i || !usable[j] || !(c > 0) || (count === topK && !(c > vals[topK - 1]!))) continue;
        let p = count < topK ? count++ : topK - 1;
        while (p > 0 && vals[p - 1]! < c) (vals[p] = vals[p - 1]!), (ids[p] = ids[p - 1]!), p--;
        vals[p] = c;
        ids[p] = j;
      }
      out.set(i, ids, vals, count);
    }
  }
  return out.finish('embedding-cosine');
}
