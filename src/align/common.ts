/**
 * Shared pieces of the alignment module: input checks, the real sequences of a TrainView, counting
 * helpers and seeded weighted sampling. Nothing here draws randomness except through a given Rng.
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { TrainView } from '../data/types.ts';

/** What every aligner returns: indices into `augmented` to keep (sorted, may repeat) and optional per-kept weights. */
export interface AlignResult {
  /** Indices into the augmented array, ascending; a resampler with replacement may repeat an index. */
  readonly keep: Int32Array;
  /** weights[i] belongs to augmented[keep[i]]; absent = all 1. */
  readonly weights?: Float32Array;
}

/** The non-empty training sequences of `real` (users() order). Throws ConfigError when there are none. */
export function realSequences(real: TrainView): Int32Array[] {
  if (real === null || typeof real !== 'object' || typeof real.sequence !== 'function') throw new ConfigError('real must be a TrainView', { field: 'real' });
  const out: Int32Array[] = [];
  for (const u of real.users()) out.push(real.sequence(u));
  if (out.length === 0 || real.interactionCount === 0) throw new ConfigError('the real TrainView has no training interactions; nothing to align to', { field: 'real' });
  return out;
}

/**
 * Checks the augmented sample set: a non-empty array of Int32Array whose ids are 1..numItems (the
 * mask token numItems+1 or padding 0 are refused: strip masks before aligning).
 */
export function checkAugmented(augmented: readonly Int32Array[], numItems: number): void {
  if (!Array.isArray(augmented)) throw new ConfigError('augmented must be an array of Int32Array sequences', { field: 'augmented' });
  if (augmented.length === 0) throw new ConfigError('augmented is empty: there is no augmented sample to measure or align', { field: 'augmented' });
  for (let k = 0; k < augmented.length; k++) {
    const s = augmented[k];
    if (!(s instanceof Int32Array)) throw new ConfigError(`augmented[${k}] is not an Int32Array`, { field: 'augmented' });
    for (let j = 0; j < s.length; j++) {
      const it = s[j]!;
      if (it < 1 || it > numItems)
        throw new ConfigError(`augmented[${k}][${j}] = ${it} is outside the item ids 1..${numItems}${it === numItems + 1 ? ' (the mask token: strip masks before aligning)' : ''}`, { field: 'augmented' });
    }
  }
}

export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError(`'seed' must be a finite number, got ${String(seed)}`, { field: 'seed' });
  return seed;
}

export function checkPriorWeights(weights: Float32Array | undefined, n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (weights === undefined) return w;
  if (!(weights instanceof Float32Array) || weights.length !== n) throw new ConfigError(`'weights' must be a Float32Array with one weight per augmented sample (${n})`, { field: 'weights' });
  for (let i = 0; i < n; i++) {
    const x = weights[i]!;
    if (!Number.isFinite(x) || x < 0) throw new ConfigError(`weights[${i}] = ${x} must be finite and ≥ 0`, { field: 'weights' });
    w[i] = x;
  }
  return w;
}

export function checkSize(size: unknown, dflt: number): number {
  if (size === undefined) return dflt;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw new ConfigError(`'size' must be an integer ≥ 1, got ${String(size)}`, { field: 'size' });
  return size;
}

/** counts[i] = occurrences of item i in the sequences (index 0 unused). */
/** Item counts; with `weights` (one per sequence) each occurrence counts its sequence's weight. */
export function countItems(seqs: readonly Int32Array[], numItems: number, weights?: ArrayLike<number>): Float64Array {
  const c = new Float64Array(numItems + 1);
  seqs.forEach((s, k) => {
    const w = weights ? weights[k]! : 1;
    for (let j = 0; j < s.length; j++) c[s[j]!]! += w;
  });
  return c;
}

/** counts[L] = sequences of length L, for L in 0..maxLen. */
export function lengthHistogram(seqs: readonly Int32Array[], maxLen: number, weights?: ArrayLike<number>): Float64Array {
  const h = new Float64Array(maxLen + 1);
  seqs.forEach((s, k) => void (h[s.length]! += weights ? weights[k]! : 1));
  return h;
}

export function maxLength(...sets: (readonly Int32Array[])[]): number {
  let m = 0;
  for (const set of sets) for (const s of set) if (s.length > m) m = s.length;
  return m;
}

/** The exact key of the transition a→b (a, b ≤ numItems): a·(numItems+1)+b, exact below 2^53. */
export function transitionKey(a: number, b: number, numItems: number): number {
  return a * (numItems + 1) + b;
}

/** Exact first-order transition counts of the sequences. */
export function countTransitions(seqs: readonly Int32Array[], numItems: number, weights?: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  seqs.forEach((s, q) => {
    const w = weights ? weights[q]! : 1;
    for (let j = 1; j < s.length; j++) {
      const k = transitionKey(s[j - 1]!, s[j]!, numItems);
      m.set(k, (m.get(k) ?? 0) + w);
    }
  });
  return m;
}

/** Bucket of a→b in a hashed space of `buckets` cells (a fixed integer mix; no randomness). */
export function transitionBucket(a: number, b: number, buckets: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) % buckets;
}

export function hashedTransitions(seqs: readonly Int32Array[], buckets: number, weights?: ArrayLike<number>): Float64Array {
  const c = new Float64Array(buckets);
  seqs.forEach((s, q) => {
    const w = weights ? weights[q]! : 1;
    for (let j = 1; j < s.length; j++) c[transitionBucket(s[j - 1]!, s[j]!, buckets)]! += w;
  });
  return c;
}

/**
 * `size` indices drawn with replacement with probability ∝ w (w ≥ 0, sum > 0), returned sorted.
 * One rng.next() per draw, binary search in the cumulative sum.
 */
export function sampleWithReplacement(w: Float64Array, size: number, rng: Rng): Int32Array {
  const cum = new Float64Array(w.length);
  let t = 0;
  for (let i = 0; i < w.length; i++) cum[i] = t += w[i]!;
  if (!(t > 0)) throw new ConfigError('every augmented sample has weight 0; nothing can be resampled', { field: 'weights' });
  const out = new Int32Array(size);
  for (let d = 0; d < size; d++) {
    const u = rng.next() * t;
    let lo = 0;
    let hi = w.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    // Skip zero-weight cells a boundary draw could land on.
    while (w[lo]! === 0 && lo < w.length - 1) lo++;
    out[d] = lo;
  }
  out.sort();
  return out;
}

/**
 * `size` distinct indices drawn without replacement with probability ∝ w (Efraimidis–Spirakis keys
 * log(u)/w), returned sorted. Needs at least `size` positive weights.
 */
export function sampleWithoutReplacement(w: Float64Array, size: number, rng: Rng): Int32Array {
  let positive = 0;
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) positive++;
  if (size > positive) throw new ConfigError(`'size' ${size} exceeds the ${positive} augmented samples with positive weight (sampling without replacement)`, { field: 'size' });
  const keys = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    let u = rng.next();
    while (u <= 0) u = rng.next();
    keys[i] = w[i]! > 0 ? Math.log(u) / w[i]! : -Infinity;
  }
  const idx = Array.from({ length: w.length }, (_, i) => i);
  idx.sort((a, b) => keys[b]! - keys[a]! || a - b);
  const out = Int32Array.from(idx.slice(0, size));
  out.sort();
  return out;
}
