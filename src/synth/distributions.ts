/**
 * Univariate families for the Gaussian copula's marginals, fitted by moments / maximum likelihood,
 * each with its cdf and pdf (the special functions come from src/stats), and the binary searches
 * the copula's empirical marginals use.
 */
import { gammaP, lnGamma, normCdf, normPdf, regularizedIncompleteBeta } from '../stats/index.ts';

export type ParametricFamily = 'normal' | 'truncnorm' | 'beta' | 'lognormal' | 'gamma' | 'uniform';
export const PARAMETRIC_FAMILIES: readonly ParametricFamily[] = ['normal', 'lognormal', 'gamma', 'uniform', 'truncnorm', 'beta'];
/** Families with two fitted parameters are preferred to those that also take the observed range as parameters. */
export const FAMILY_PARAMS: Readonly<Record<ParametricFamily, number>> = { normal: 2, lognormal: 2, gamma: 2, uniform: 2, truncnorm: 4, beta: 4 };

export interface FittedFamily {
  readonly family: ParametricFamily;
  readonly params: readonly number[];
}

/** A continuous distribution: cdf and pdf. */
export interface Dist {
  cdf(x: number): number;
  pdf(x: number): number;
}

/** I_y(a, b) on the family's support, 0 below it and 1 above it (NaN stays NaN). */
function betaCdf(a: number, b: number, y: number): number {
  if (y <= 0) return 0;
  if (y >= 1) return 1;
  return Number.isNaN(y) ? Number.NaN : regularizedIncompleteBeta(y, a, b);
}

export function makeDist(f: FittedFamily): Dist {
  const p = f.params;
  switch (f.family) {
    case 'normal': {
      const [mu, s] = [p[0]!, p[1]!];
      return { cdf: (x) => normCdf((x - mu) / s), pdf: (x) => normPdf((x - mu) / s) / s };
    }
    case 'truncnorm': {
      const [mu, s, lo, hi] = [p[0]!, p[1]!, p[2]!, p[3]!];
      const a = normCdf((lo - mu) / s);
      const z = normCdf((hi - mu) / s) - a;
      return {
        cdf: (x) => (x <= lo ? 0 : x >= hi ? 1 : (normCdf((x - mu) / s) - a) / z),
        pdf: (x) => (x < lo || x > hi ? 0 : normPdf((x - mu) / s) / s / z),
      };
    }
    case 'uniform': {
      const [lo, hi] = [p[0]!, p[1]!];
      return { cdf: (x) => (x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo)), pdf: (x) => (x < lo || x > hi ? 0 : 1 / (hi - lo)) };
    }
    case 'lognormal': {
      const [mu, s] = [p[0]!, p[1]!];
      return { cdf: (x) => (x <= 0 ? 0 : normCdf((Math.log(x) - mu) / s)), pdf: (x) => (x <= 0 ? 0 : normPdf((Math.log(x) - mu) / s) / (s * x)) };
    }
    case 'gamma': {
      const [k, theta] = [p[0]!, p[1]!];
      const lg = lnGamma(k);
      return { cdf: (x) => (x <= 0 ? 0 : gammaP(k, x / theta)), pdf: (x) => (x <= 0 ? 0 : Math.exp((k - 1) * Math.log(x / theta) - x / theta - lg) / theta) };
    }
    case 'beta': {
      const [a, b, lo, hi] = [p[0]!, p[1]!, p[2]!, p[3]!];
      const lb = lnGamma(a + b) - lnGamma(a) - lnGamma(b);
      const w = hi - lo;
      return {
        cdf: (x) => betaCdf(a, b, (x - lo) / w),
        pdf: (x) => {
          const y = (x - lo) / w;
          return y <= 0 || y >= 1 ? 0 : Math.exp(lb + (a - 1) * Math.log(y) + (b - 1) * Math.log(1 - y)) / w;
        },
      };
    }
  }
}

/** Fits a family to sorted finite values (method of moments / MLE); null when the family does not apply. */
export function fitFamily(family: ParametricFamily, sorted: Float64Array): FittedFamily | null {
  const n = sorted.length;
  if (n < 2) return null;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  if (!(max > min)) return null;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (sorted[i]! - mean) ** 2;
  v /= n;
  const sd = Math.sqrt(v);
  if (!(sd > 0)) return null;
  switch (family) {
    case 'normal':
      return { family, params: [mean, sd] };
    case 'truncnorm':
      return { family, params: [mean, sd, min, max] };
    case 'uniform':
      return { family, params: [min, max] };
    case 'lognormal': {
      if (min <= 0) return null;
      let m = 0;
      for (let i = 0; i < n; i++) m += Math.log(sorted[i]!);
      m /= n;
      let s = 0;
      for (let i = 0; i < n; i++) s += (Math.log(sorted[i]!) - m) ** 2;
      s = Math.sqrt(s / n);
      return s > 0 ? { family, params: [m, s] } : null;
    }
    case 'gamma':
      if (min <= 0) return null;
      return { family, params: [(mean * mean) / v, v / mean] };
    case 'beta': {
      // Support slightly wider than the observed range so the extremes are not at density 0 or ∞.
      const pad = (max - min) / n;
      const lo = min - pad;
      const hi = max + pad;
      const m = (mean - lo) / (hi - lo);
      const s2 = v / (hi - lo) ** 2;
      const common = (m * (1 - m)) / s2 - 1;
      if (!(common > 0)) return null;
      return { family, params: [m * common, (1 - m) * common, lo, hi] };
    }
  }
}

/** First index with arr[k] >= x. */
export function lowerBound(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with arr[k] > x. */
export function upperBound(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
