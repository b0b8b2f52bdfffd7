/**
 * Univariate distributions for the Gaussian copula's marginals: the normal CDF and its inverse to
 * ~1e-15, regularized incomplete gamma and beta functions, and fitted families with cdf/pdf.
 * Written from the textbook definitions (series and continued fractions, Lentz's method; Acklam's
 * rational start for the normal quantile refined by a Halley step).
 */

const SQRT2PI = Math.sqrt(2 * Math.PI);

export function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / SQRT2PI;
}

/** Standard normal CDF. Marsaglia's positive series for |z| < 5 (no cancellation), a continued fraction in the tails. */
export function normCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < -38) return 0;
  if (z > 38) return 1;
  if (Math.abs(z) < 5) {
    let s = z;
    let t = z;
    const z2 = z * z;
    for (let k = 1; k < 200; k++) {
      t *= z2 / (2 * k + 1);
      const next = s + t;
      if (next === s) break;
      s = next;
    }
    return 0.5 + s * normPdf(z);
  }
  // Upper tail Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))), evaluated with modified Lentz.
  const x = Math.abs(z);
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 300; k++) {
    D = x + k * D;
    D = Math.abs(D) < tiny ? 1 / tiny : 1 / D;
    C = x + k / C;
    if (Math.abs(C) < tiny) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const q = normPdf(x) / f;
  return z > 0 ? 1 - q : q;
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Standard normal quantile (inverse CDF) for u in (0, 1); ±Infinity at 0 and 1. */
export function normPpf(u: number): number {
  if (!(u > 0)) return u === 0 ? -Infinity : NaN;
  if (!(u < 1)) return u === 1 ? Infinity : NaN;
  const pLow = 0.02425;
  let x: number;
  if (u < pLow) {
    const q = Math.sqrt(-2 * Math.log(u));
    x = (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else if (u <= 1 - pLow) {
    const q = u - 0.5;
    const r = q * q;
    x = ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - u));
    x = -(((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  // One Halley step against the accurate CDF.
  const e = normCdf(x) - u;
  const g = e * SQRT2PI * Math.exp(0.5 * x * x);
  x = x - g / (1 + (x * g) / 2);
  return x;
}

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xx = x - 1;
  let a = LANCZOS[0]!;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lnPre = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(lnPre));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, 1 - Math.exp(lnPre) * h);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function betaI(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

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
      const lg = logGamma(k);
      return { cdf: (x) => (x <= 0 ? 0 : gammaP(k, x / theta)), pdf: (x) => (x <= 0 ? 0 : Math.exp((k - 1) * Math.log(x / theta) - x / theta - lg) / theta) };
    }
    case 'beta': {
      const [a, b, lo, hi] = [p[0]!, p[1]!, p[2]!, p[3]!];
      const lb = logGamma(a + b) - logGamma(a) - logGamma(b);
      const w = hi - lo;
      return {
        cdf: (x) => betaI(a, b, (x - lo) / w),
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

/**
 * Kolmogorov–Smirnov distance between the sample's ECDF and `cdf`, taking ties into account.
 * With `integer`, the model is the continuous distribution rounded to integers (so F is compared at
 * v ± 0.5). Evaluated at up to 20,000 order statistics (exact ECDF ranks at each).
 */
export function ksStatistic(sorted: Float64Array, cdf: (x: number) => number, integer: boolean): number {
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
