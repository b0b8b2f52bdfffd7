/** Descriptive statistics: mean and standard deviation, type-7 quantiles, Pearson correlation, summaries. */

/** Mean and sample standard deviation (n - 1); std is 0 for a single value. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0 };
  const v = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
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

/** Counts of `xs` in `bins` equal-width bins over [lo, hi] (labels are the bin starts). */
export function binCounts(xs: ArrayLike<number>, bins: number, lo?: number, hi?: number): { start: number; end: number; count: number }[] {
  let a = lo ?? Number.POSITIVE_INFINITY;
  let b = hi ?? Number.NEGATIVE_INFINITY;
  if (lo === undefined || hi === undefined) {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      if (!Number.isFinite(x)) continue;
      if (lo === undefined && x < a) a = x;
      if (hi === undefined && x > b) b = x;
    }
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return [];
  if (b <= a) b = a + 1;
  const w = (b - a) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!Number.isFinite(x) || x < a || x > b) continue;
    counts[Math.min(bins - 1, Math.floor((x - a) / w))]! += 1;
  }
  return counts.map((count, i) => ({ start: a + i * w, end: a + (i + 1) * w, count }));
}
