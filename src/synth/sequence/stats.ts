/** Empirical distributions the sequence synthesizers draw lengths, start items and fallbacks from. */
import type { Rng } from '../../core/index.ts';

/** A categorical distribution over integer values with integer counts (sampling by binary search). */
export class Categorical {
  readonly values: Int32Array;
  readonly counts: Float64Array;
  readonly cum: Float64Array;
  readonly total: number;

  constructor(values: ArrayLike<number>, counts: ArrayLike<number>) {
    if (values.length !== counts.length) throw new RangeError('Categorical: values and counts differ in length');
    this.values = Int32Array.from(values);
    this.counts = Float64Array.from(counts);
    this.cum = new Float64Array(values.length);
    let s = 0;
    for (let i = 0; i < values.length; i++) {
      if (!(this.counts[i]! >= 0)) throw new RangeError(`Categorical: count ${this.counts[i]} is negative`);
      this.cum[i] = s += this.counts[i]!;
    }
    this.total = s;
  }

  /** From a value → count map, values in increasing order (so the layout does not depend on insertion order). */
  static fromMap(m: ReadonlyMap<number, number>): Categorical {
    const values = [...m.keys()].sort((a, b) => a - b);
    return new Categorical(values, values.map((v) => m.get(v)!));
  }

  get size(): number {
    return this.values.length;
  }

  /** One value; throws on an empty distribution. */
  sample(rng: Rng): number {
    if (!(this.total > 0)) throw new RangeError('Categorical: sampling an empty distribution');
    const u = rng.next() * this.total;
    let lo = 0, hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo]!;
  }

  /** Probability of `value` (0 when absent); O(log n). */
  prob(value: number): number {
    let lo = 0, hi = this.values.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.values[mid]!;
      if (v === value) return this.counts[mid]! / this.total;
      if (v < value) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  toJSON(): { values: number[]; counts: number[] } {
    return { values: Array.from(this.values), counts: Array.from(this.counts) };
  }

  static fromJSON(o: { values: number[]; counts: number[] }): Categorical {
    return new Categorical(o.values, o.counts);
  }
}

function count(m: Map<number, number>, k: number, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Lengths of the non-empty histories. */
export function lengthDistribution(seqs: Iterable<ArrayLike<number>>): Categorical {
  const m = new Map<number, number>();
  for (const s of seqs) if (s.length > 0) count(m, s.length);
  return Categorical.fromMap(m);
}

/** First elements of the non-empty histories. */
export function startDistribution(seqs: Iterable<ArrayLike<number>>): Categorical {
  const m = new Map<number, number>();
  for (const s of seqs) if (s.length > 0) count(m, s[0]!);
  return Categorical.fromMap(m);
}

/** Occurrences of every value in the histories. */
export function frequencyDistribution(seqs: Iterable<ArrayLike<number>>): Categorical {
  const m = new Map<number, number>();
  for (const s of seqs) for (let i = 0; i < s.length; i++) count(m, s[i]!);
  return Categorical.fromMap(m);
}

/** True when some history holds a value twice (Taobao: yes; Beauty: no). */
export function hasRepeats(seqs: Iterable<ArrayLike<number>>): boolean {
  for (const s of seqs) {
    const seen = new Set<number>();
    for (let i = 0; i < s.length; i++) {
      if (seen.has(s[i]!)) return true;
      seen.add(s[i]!);
    }
  }
  return false;
}

/** Validates sample() arguments; returns the lengths to produce (drawn when not given). */
export function sampleLengths(n: number, given: readonly number[] | undefined, dist: Categorical, lengthRng: (j: number) => Rng): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
  if (given !== undefined) {
    if (given.length !== n) throw new RangeError(`lengths has ${given.length} entries for n = ${n}`);
    for (const l of given) if (!Number.isInteger(l) || l < 1) throw new RangeError(`lengths must be integers ≥ 1, got ${l}`);
    return [...given];
  }
  return Array.from({ length: n }, (_, j) => dist.sample(lengthRng(j)));
}
