import { Rng } from '../../src/core/rng.ts';
import { makeTrainView, type TrainView } from '../../src/data/index.ts';

export const NUM_ITEMS = 200;

/** Zipf-like item draw over 1..NUM_ITEMS. */
function zipf(rng: Rng, cum: Float64Array): number {
  const u = rng.next() * cum[cum.length - 1]!;
  let lo = 1;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
const CUM = (() => {
  const c = new Float64Array(NUM_ITEMS + 1);
  for (let i = 1; i <= NUM_ITEMS; i++) c[i] = c[i - 1]! + 1 / Math.pow(i, 0.9);
  return c;
})();

/** One "real-like" sequence: geometric length 1..30, Zipf items, 60% of steps follow item → item+1. */
export function realLike(rng: Rng): Int32Array {
  let L = 1;
  while (L < 30 && rng.next() < 0.85) L++;
  const s = new Int32Array(L);
  s[0] = zipf(rng, CUM);
  for (let j = 1; j < L; j++) s[j] = rng.next() < 0.6 ? (s[j - 1]! % NUM_ITEMS) + 1 : zipf(rng, CUM);
  return s;
}

export function generate(n: number, seed: number, make: (rng: Rng) => Int32Array = realLike): Int32Array[] {
  const root = new Rng(seed);
  return Array.from({ length: n }, (_, i) => make(root.split(i)));
}

/** Same lengths as real-like, but only the 5 most popular items. */
export function allPopular(rng: Rng): Int32Array {
  const s = realLike(rng);
  for (let j = 0; j < s.length; j++) s[j] = 1 + rng.int(5);
  return s;
}

/** Real-like length, uniform items in random order (no transition structure, no popularity skew). */
export function uniformItems(rng: Rng): Int32Array {
  const s = realLike(rng);
  for (let j = 0; j < s.length; j++) s[j] = 1 + rng.int(NUM_ITEMS);
  return s;
}

/** A real-like sequence cut to one item. */
export function lengthOne(rng: Rng): Int32Array {
  return realLike(rng).slice(0, 1);
}

export function realView(n = 400, seed = 1): TrainView {
  return makeTrainView(NUM_ITEMS, generate(n, seed));
}

export function sequencesOf(t: TrainView): Int32Array[] {
  return t.users().map((u) => t.sequence(u));
}

export function pick(set: readonly Int32Array[], keep: Int32Array): Int32Array[] {
  return Array.from(keep, (k) => set[k]!);
}
