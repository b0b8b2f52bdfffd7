/** The small statistics the fidelity and privacy reports are built from. */

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
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < countsA.length; i++) ta += countsA[i]!;
  for (let i = 0; i < countsB.length; i++) tb += countsB[i]!;
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

/** Quantile of an ascending-sorted sample with linear interpolation (Hyndman–Fan type 7, R's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Pearson correlation over the rows where both values are present (not NaN); null when undefined (fewer than 2 rows or a constant side). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    mx += (a - mx) / n;
    my += (b - my) / n;
  }
  if (n < 2) return null;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sxx += (a - mx) * (a - mx);
    syy += (b - my) * (b - my);
    sxy += (a - mx) * (b - my);
  }
  // Relative threshold: a column of one repeated value still accumulates rounding noise in sxx.
  if (sxx <= 1e-24 * Math.max(1, mx * mx) * n || syy <= 1e-24 * Math.max(1, my * my) * n) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** p5 / median / mean of a sample (NaN-free), for DCR summaries. */
export function summarize(values: ArrayLike<number>): { p5: number; median: number; mean: number } {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return { p5: quantileSorted(s, 0.05), median: quantileSorted(s, 0.5), mean: s.length ? sum / s.length : Number.NaN };
}
