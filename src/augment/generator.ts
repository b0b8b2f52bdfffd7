/**
 * Next-item generators as a fitted resource of the augmenters, without importing any model: a
 * generator is anything that scores the next item after a batch of histories (a SASRec wrapped by
 * `fitSequenceGenerator` in src/experiment, a Markov chain, a fake in a test). Sampling — padding
 * and mask never emitted, items never seen in training never emitted, temperature, top-k,
 * no-repeat — lives here once, and draws only from the Rng it is handed.
 */
import type { Rng } from '../core/rng.ts';

/** 'forward' predicts the item after a history; 'reverse' was trained on reversed sequences and predicts the one before. */
export type GenerationDirection = 'forward' | 'reverse';

export interface NextItemSampler {
  readonly direction: GenerationDirection;
  /** Real item ids are 1..numItems (0 padding, numItems+1 the mask token: never emitted). */
  readonly numItems: number;
  /**
   * allowed[i] = 1 when item i may be emitted (length numItems+1). Generators fitted on a training
   * view allow only items that occur in it, so an item first seen in validation/test can never be
   * generated, whatever its untrained embedding scores. Absent: every real item.
   */
  readonly allowed?: Uint8Array;
  /**
   * Scores of every id as the next item after each history, row-major [histories.length,
   * numItems+1] (columns beyond are ignored). Histories are in the generator's own direction: a
   * reverse generator reads a sequence back to front. Deterministic: no randomness.
   */
  scoreNext(histories: readonly Int32Array[]): Float32Array;
}

export interface DrawOptions {
  /** Softmax temperature; 0 = greedy (the best allowed item, lowest id on ties; draws nothing). */
  readonly temperature: number;
  /** Sample among the k best allowed items only; 0 = all. */
  readonly topK: number;
  /** Never emit an item already in the history (Beauty has no repeats per user; Taobao does). */
  readonly noRepeat: boolean;
}

export const DEFAULT_DRAW: DrawOptions = { temperature: 1, topK: 0, noRepeat: true };

export function checkDrawOptions(o: DrawOptions): void {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new RangeError(`temperature must be a finite number ≥ 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new RangeError(`topK must be an integer ≥ 0, got ${o.topK}`);
}

/**
 * One item drawn from a score row (ids 1..numItems only), or 0 when no item is eligible.
 * `exclude` (no-repeat) and `allowed` remove items; top-k then keeps the k best (ties: lower id).
 */
export function drawFromScores(scores: Float32Array, numItems: number, opts: DrawOptions, rng: Rng, exclude?: ReadonlySet<number>, allowed?: Uint8Array): number {
  const ok = (i: number): boolean => (allowed === undefined || allowed[i] === 1) && !(exclude?.has(i) ?? false) && Number.isFinite(scores[i]!);
  // The cheap score comparison comes first: over a 12k-item catalogue the eligibility checks
  // (a Set lookup each) would otherwise dominate batched generation.
  if (opts.temperature === 0 || opts.topK === 1) {
    let best = 0;
    let bs = Number.NEGATIVE_INFINITY;
    for (let i = 1; i <= numItems; i++) {
      const v = scores[i]!;
      if ((best === 0 || v > bs) && ok(i)) (best = i), (bs = v);
    }
    return best;
  }
  let ids: number[];
  if (opts.topK > 0) {
    // Min-heap of the k best (score, then lower id wins), O(n log k).
    const k = opts.topK;
    const heap: number[] = [];
    const worse = (a: number, b: number): boolean => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let i = 1; i <= numItems; i++) {
      if (heap.length === k && !worse(heap[0]!, i)) continue;
      if (!ok(i)) continue;
      if (heap.length < k) {
        heap.push(i);
        for (let c = heap.length - 1; c > 0; ) {
          const p = (c - 1) >> 1;
          if (!worse(heap[c]!, heap[p]!)) break;
          [heap[c], heap[p]] = [heap[p]!, heap[c]!];
          c = p;
        }
      } else {
        heap[0] = i;
        down(0);
      }
    }
    // Fixed order (by id) so the draw does not depend on heap layout.
    ids = heap.sort((a, b) => a - b);
  } else {
    ids = [];
    for (let i = 1; i <= numItems; i++) if (ok(i)) ids.push(i);
  }
  if (ids.length === 0) return 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const i of ids) if (scores[i]! > max) max = scores[i]!;
  const w = new Float64Array(ids.length);
  let total = 0;
  for (let j = 0; j < ids.length; j++) total += w[j] = Math.exp((scores[ids[j]!]! - max) / opts.temperature);
  let u = rng.next() * total;
  for (let j = 0; j < ids.length; j++) if ((u -= w[j]!) < 0) return ids[j]!;
  return ids[ids.length - 1]!;
}

/**
 * Extends each history by up to counts[b] items, one generator call per step for the whole batch.
 * Histories are in the generator's direction; the returned arrays hold only the new items, in
 * generation order (for a reverse generator: the item just before the sequence first). History b
 * draws only from rngs[b], so its result does not depend on the other histories' draws. A history
 * stops early when no item is eligible (no-repeat exhausted the allowed items).
 */
export function generateItems(sampler: NextItemSampler, histories: readonly Int32Array[], counts: readonly number[], opts: DrawOptions, rngs: readonly Rng[]): Int32Array[] {
  checkDrawOptions(opts);
  const n = histories.length;
  if (counts.length !== n || rngs.length !== n) throw new RangeError('generateItems: histories, counts and rngs differ in length');
  const V = sampler.numItems + 1;
  const cur = histories.map((h) => Array.from(h));
  const made: number[][] = histories.map(() => []);
  const seen = opts.noRepeat ? histories.map((h) => new Set<number>(h)) : undefined;
  const active = new Set<number>();
  for (let b = 0; b < n; b++) if (counts[b]! > 0) active.add(b);
  while (active.size > 0) {
    const ids = [...active];
    const scores = sampler.scoreNext(ids.map((b) => Int32Array.from(cur[b]!)));
    for (let j = 0; j < ids.length; j++) {
      const b = ids[j]!;
      const item = drawFromScores(scores.subarray(j * V, (j + 1) * V), sampler.numItems, opts, rngs[b]!, seen?.[b], sampler.allowed);
      if (item === 0) {
        active.delete(b);
        continue;
      }
      cur[b]!.push(item);
      made[b]!.push(item);
      if (seen) seen[b]!.add(item);
      if (made[b]!.length >= counts[b]!) active.delete(b);
    }
  }
  return made.map((m) => Int32Array.from(m));
}

/** Items that occur in `sequences`: the `allowed` mask of a generator fitted on them. */
export function itemsSeenIn(numItems: number, sequences: Iterable<Int32Array>): Uint8Array {
  const allowed = new Uint8Array(numItems + 1);
  for (const s of sequences) for (let i = 0; i < s.length; i++) if (s[i]! >= 1 && s[i]! <= numItems) allowed[s[i]!] = 1;
  return allowed;
}
