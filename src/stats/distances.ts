/**
 * Distances between distributions: Kolmogorov–Smirnov (two samples, or a sample against a CDF),
 * total variation, Kullback–Leibler and Jensen–Shannon. Count vectors are normalized by their own
 * totals; divergences are in bits (log base 2), so JS and TV lie in [0, 1].
 */
import { ConfigError } from '../core/index.ts';

/** Default additive smoothing of KL: each probability p becomes (p + ε)/(1 + Kε), K = support size. */
export const DEFAULT_KL_EPSILON = 1e-6;

/**
 * Two-sample Kolmogorov–Smirnov statistic sup_x |F_a(x) − F_b(x)| of two samples (any order; NaNs
 * are not allowed — callers drop missing values first). Ties are handled by stepping both empirical
 * CDFs past a shared value together. 0 when both samples are empty, 1 when exactly one is.
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  const n = x.length;
  const m = y.length;
  if (n === 0 && m === 0) return 0;
  if (n === 0 || m === 0) return 1;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i] === v) i++;
    while (j < m && y[j] === v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * Total variation distance ½Σ|p − q| between two count vectors (each normalized by its own
 * total; indices line up). An empty side counts as a distribution with no mass: TV = 1 against a
 * non-empty side, 0 when both are empty.
 */
export function totalVariation(countsA: ArrayLike<number>, countsB: ArrayLike<number>): number {
  const k = Math.max(countsA.length, countsB.length);
  const ta = total(countsA);
  const tb = total(countsB);
  if (ta === 0 && tb === 0) return 0;
  if (ta === 0 || tb === 0) return 1;
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.abs((countsA[i] ?? 0) / ta - (countsB[i] ?? 0) / tb);
  return Math.min(1, s / 2);
}

/** TV between two sparse count maps over the same key space. */
export function totalVariationMaps<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): number {
  let ta = 0;
  let tb = 0;
  for (const v of a.values()) ta += v;
  for (const v of b.values()) tb += v;
  if (ta === 0 && tb === 0) return 0;
  if (ta === 0 || tb === 0) return 1;
  let s = 0;
  for (const [k, v] of a) s += Math.abs(v / ta - (b.get(k) ?? 0) / tb);
  for (const [k, v] of b) if (!a.has(k)) s += v / tb;
  return Math.min(1, s / 2);
}

/**
 * Kolmogorov–Smirnov distance between the sample's ECDF and `cdf`, taking ties into account.
 * With `integer`, the model is the continuous distribution rounded to integers (so F is compared at
 * v ± 0.5). Evaluated at up to 20,000 order statistics (exact ECDF ranks at each).
 */
export function ksStatisticAgainstCdf(sorted: Float64Array, cdf: (x: number) => number, integer: boolean): number {
  const n = sorted.length;
  const h = integer ? 0.5 : 0;
  const step = Math.max(1, Math.floor(n / 20000));
  let d = 0;
  let i = 0;
  while (i < n) {
    const x = sorted[i]!;
    // [i, j) is the run of values equal to x.
    let j = i + 1;
    if (sorted[n - 1] === x) j = n;
    else {
      let lo = i + 1;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      j = lo;
    }
    const left = i / n;
    const right = j / n;
    d = Math.max(d, Math.abs(right - cdf(x + h)), Math.abs(left - cdf(x - h)));
    i = Math.max(j, i + step);
  }
  return d;
}

function total(x: ArrayLike<number>): number {
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i]!;
  return t;
}

/** totalVariation of two count vectors that must be over the same cells (ConfigError otherwise). */
export function tvDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  return totalVariation(p, q);
}

/**
 * KL(p ‖ q) in bits between two count vectors, with additive smoothing on the probabilities:
 * p̃ = (p/Σp + ε)/(1 + Kε), the same for q, K = number of cells. Finite whenever ε > 0.
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>, epsilon = DEFAULT_KL_EPSILON): number {
  checkSameLength(p, q);
  checkKlEpsilon(epsilon);
  const tp = total(p);
  const tq = total(q);
  if (tp === 0 && tq === 0) return 0;
  const K = p.length;
  const z = 1 + K * epsilon;
  let d = 0;
  for (let i = 0; i < K; i++) {
    const a = ((tp > 0 ? p[i]! / tp : 1 / K) + epsilon) / z;
    const b = ((tq > 0 ? q[i]! / tq : 1 / K) + epsilon) / z;
    d += a * Math.log2(a / b);
  }
  return Math.max(0, d);
}

/** Jensen–Shannon divergence in bits ∈ [0,1] between two count vectors. Both empty → 0; one empty → 1. */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  const tp = total(p);
  const tq = total(q);
  if (tp === 0 || tq === 0) return tp === tq ? 0 : 1;
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / tp;
    const b = q[i]! / tq;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.min(1, Math.max(0, d));
}

function checkSameLength(p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length) throw new ConfigError(`distributions must be over the same cells (${p.length} vs ${q.length})`);
}

/** ConfigError (field `epsilon`) unless 0 < ε < 1. */
export function checkKlEpsilon(e: unknown): void {
  if (typeof e !== 'number' || !(e > 0 && e < 1)) throw new ConfigError(`'epsilon' must be a number in (0, 1), got ${String(e)}`, { field: 'epsilon' });
}

