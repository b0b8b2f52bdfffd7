/**
 * Significance of a difference between two systems evaluated on the same queries (users).
 *
 * Everything here is paired: `a[i]` and `b[i]` are the per-query metric values of system A
 * (baseline) and system B (treatment) on the same query i, and every difference is b − a. The
 * unit of sampling is the query/user, so the question answered is "would B beat A again on
 * another sample of users like these?".
 *
 * The Student-t distribution is computed here from first principles: the two-sided tail of t
 * with ν degrees of freedom is the regularized incomplete beta function I_x(ν/2, 1/2) at
 * x = ν/(ν + t²), evaluated by its continued fraction (modified Lentz) and ln Γ by Stirling's
 * series after shifting the argument up with Γ(x + 1) = x Γ(x).
 */
import { ConfigError, Rng } from '../core/index.ts';
import type { MetricSpec } from './metrics.ts';

// ---------------------------------------------------------------------------------------------
// Special functions

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0: Stirling's asymptotic series at x ≥ 15 (error < 1e-15), recurrence below. */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, got ${x}`);
  if (x === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  // ln Γ(x) = ln Γ(x + k) − ln(x (x+1) … (x+k−1))
  let shift = 0;
  let z = x;
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  const r = 1 / z;
  const r2 = r * r;
  // Bernoulli terms B_{2k} / (2k (2k−1) z^{2k−1}) for k = 1..6
  const series = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360))))));
  return (z - 0.5) * Math.log(z) - z + HALF_LN_2PI + series - shift;
}

const TINY = 1e-300;
const EPS = 1e-15;
const MAX_ITER = 1_000_000;

/**
 * Continued fraction of the incomplete beta: I_x(a,b) = x^a y^b / (a B(a,b)) · 1/(1+ d1/(1+ d2/(1+ …)))
 * with d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
 * It converges fast for x < (a+1)/(a+b+2); the caller uses the symmetry otherwise.
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  // Modified Lentz for f = 1 + d1/(1 + d2/(1 + …)); b_j = 1 throughout.
  let f = 1;
  let c = 1;
  let d = 0;
  for (let j = 1; j <= MAX_ITER; j++) {
    const m = j >> 1;
    const coef = j & 1 ? (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)) : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + coef * d;
    if (Math.abs(d) < TINY) d = TINY;
    d = 1 / d;
    c = 1 + coef / c;
    if (Math.abs(c) < TINY) c = TINY;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) return f;
  }
  throw new RangeError(`incomplete beta continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/** I_x(a, b) with y = 1 − x passed separately so that x near 1 loses no precision. */
function incBeta(a: number, b: number, x: number, y: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const lnFront = a * Math.log(x) + b * Math.log(y) - (lnGamma(a) + lnGamma(b) - lnGamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return Math.exp(lnFront) / (a * betaContinuedFraction(a, b, x));
  return 1 - Math.exp(lnFront) / (b * betaContinuedFraction(b, a, y));
}

/** Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError(`incomplete beta needs finite a, b > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs x in [0, 1], got ${x}`);
  return incBeta(a, b, x, 1 - x);
}

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`Student-t needs finite degrees of freedom > 0, got ${df}`);
}

/** Two-sided tail P(|T| ≥ |t|) of Student's t with `df` degrees of freedom. */
export function studentTTwoSidedP(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  // x = df/(df+t²) and 1 − x = t²/(df+t²), each computed directly
  const p = incBeta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  return Math.min(1, Math.max(0, p));
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return Number.NaN;
  const tail = 0.5 * studentTTwoSidedP(t, df);
  return t > 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p (bracketing, then bisection to ~1e-13 relative). */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`Student-t quantile needs p in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  // By symmetry solve for the upper tail q = min(p, 1−p) with t ≥ 0: twoSidedP(t) = 2q.
  const upper = p > 0.5;
  const target = 2 * (upper ? 1 - p : p);
  let lo = 0;
  let hi = 1;
  while (studentTTwoSidedP(hi, df) > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTTwoSidedP(mid, df) > target) lo = mid;
    else hi = mid;
  }
  const t = 0.5 * (lo + hi);
  return upper ? t : -t;
}

// ---------------------------------------------------------------------------------------------
// Paired tests

/**
 * Differences b − a, validated. `scale` is the largest |value| seen; differences within a few ulps
 * of it are indistinguishable from rounding (say, the same metric averaged in another order).
 */
function pairedDiffs(a: Float64Array, b: Float64Array, what: string): Float64Array & { scale: number } {
  if (a.length !== b.length) throw new ConfigError(`${what}: the two systems have ${a.length} and ${b.length} per-query values; a paired comparison needs the same queries in the same order`);
  if (a.length < 2) throw new ConfigError(`${what}: needs at least 2 paired queries, got ${a.length}`);
  const d = new Float64Array(a.length) as Float64Array & { scale: number };
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const v = b[i]! - a[i]!;
    if (!Number.isFinite(v)) throw new ConfigError(`${what}: non-finite metric value at query ${i} (a=${a[i]}, b=${b[i]})`);
    d[i] = v;
    scale = Math.max(scale, Math.abs(a[i]!), Math.abs(b[i]!));
  }
  d.scale = scale;
  return d;
}

/** Mean and sample sd (n − 1) by the corrected two-pass algorithm (constant input gives sd 0). */
function meanSd(d: Float64Array): { mean: number; sd: number } {
  const n = d.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += d[i]!;
  const mean = s / n;
  let ss = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const e = d[i]! - mean;
    ss += e * e;
    c += e;
  }
  const v = Math.max(0, (ss - (c * c) / n) / (n - 1));
  return { mean: mean + c / n, sd: Math.sqrt(v) };
}

export interface PairedTTestResult {
  readonly n: number;
  /** mean of b − a */
  readonly meanDiff: number;
  /** sample standard deviation (n − 1) of b − a */
  readonly sdDiff: number;
  readonly t: number;
  readonly df: number;
  /** two-sided */
  readonly pValue: number;
  /** 95 % confidence interval of the mean difference (t-based) */
  readonly ci95: readonly [number, number];
}

/**
 * Paired Student-t test of b − a over queries. When every difference is the same the sd is 0:
 * with all differences 0 the result is t = 0, p = 1; with a constant non-zero difference it is
 * t = ±∞, p = 0 (B is better or worse on every single query by the same amount). "The same" and
 * "0" allow rounding noise: an sd or a mean below 64 ulps of the largest |value| counts as 0, so
 * two identical systems whose metrics were summed in another order still get p = 1, not a random p.
 * Throws ConfigError when the lengths differ, n < 2 or a value is not finite.
 */
export function pairedTTest(a: Float64Array, b: Float64Array): PairedTTestResult {
  const d = pairedDiffs(a, b, 'paired t-test');
  const n = d.length;
  const df = n - 1;
  const { mean: rawMean, sd } = meanSd(d);
  const tol = 64 * Number.EPSILON * d.scale;
  if (sd <= tol) {
    const mean = Math.abs(rawMean) <= tol ? 0 : rawMean;
    const t = mean === 0 ? 0 : mean > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { n, meanDiff: mean, sdDiff: 0, t, df, pValue: mean === 0 ? 1 : 0, ci95: [mean, mean] };
  }
  const mean = rawMean;
  const se = sd / Math.sqrt(n);
  const t = mean / se;
  const half = studentTQuantile(0.975, df) * se;
  return { n, meanDiff: mean, sdDiff: sd, t, df, pValue: studentTTwoSidedP(t, df), ci95: [mean - half, mean + half] };
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 1000). */
  readonly resamples?: number;
  /** Seed of the resampling stream: the same seed gives the same interval and p-value. */
  readonly seed: number;
  /** Two-sided confidence level of the interval (default 0.95). */
  readonly confidence?: number;
}

export interface BootstrapResult {
  /** mean of b − a on the original queries */
  readonly meanDiff: number;
  readonly lo: number;
  readonly hi: number;
  readonly pValue: number;
}

/** Linear interpolation between order statistics (R's type 7) of a sorted array. */
function sortedQuantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  const frac = h - i;
  const x = sorted[i]!;
  return frac === 0 || i + 1 >= sorted.length ? x : x + frac * (sorted[i + 1]! - x);
}

/**
 * Percentile bootstrap over queries of the mean difference b − a. Each resample draws n query
 * indices with replacement (the pair a[i], b[i] stays together) from `new Rng(seed).split('paired-bootstrap')`.
 * The interval is the ((1−c)/2, (1+c)/2) quantiles (type 7 interpolation) of the resampled means.
 * p-value: twice the smaller share of resampled means at-or-below and at-or-above 0, each with
 * the +1 correction ((count + 1) / (resamples + 1)), capped at 1; so it is never 0 and it is 1
 * when every difference is 0. Memory: two Float64Arrays (n and resamples); nothing per resample.
 */
export function pairedBootstrapCI(a: Float64Array, b: Float64Array, options: BootstrapOptions): BootstrapResult {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > 10_000_000) throw new ConfigError(`bootstrap resamples must be an integer 1..1e7, got ${resamples}`, { field: 'resamples' });
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`bootstrap confidence must be in (0, 1), got ${confidence}`, { field: 'confidence' });
  if (!Number.isFinite(options.seed)) throw new ConfigError(`bootstrap seed must be a finite number, got ${options.seed}`, { field: 'seed' });
  const d = pairedDiffs(a, b, 'paired bootstrap');
  const n = d.length;
  const meanDiff = meanSd(d).mean;
  const rng = new Rng(options.seed).split('paired-bootstrap');
  const means = new Float64Array(resamples);
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)]!;
    const m = s / n;
    means[r] = m;
    if (m <= 0) atOrBelow++;
    if (m >= 0) atOrAbove++;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  const pValue = Math.min(1, (2 * (Math.min(atOrBelow, atOrAbove) + 1)) / (resamples + 1));
  return { meanDiff, lo: sortedQuantile(means, alpha), hi: sortedQuantile(means, 1 - alpha), pValue };
}

// ---------------------------------------------------------------------------------------------
// Seeds and lifts

/**
 * Per-query mean over seeds: out[i] = mean_s perSeed[s][i].
 *
 * Why: each seed is another training run evaluated on the *same* users, so the S values of one
 * user are not S independent observations. Stacking them into one vector of n × S values and
 * testing that would count every user S times and shrink the p-value by about √S for nothing
 * (pseudo-replication). Averaging per user first keeps one observation per user (the unit the
 * test samples over) and, paired against the baseline's seed-averaged values, compares the two
 * systems with seed-to-seed noise partly averaged out. What it does not do is treat the training
 * seed as a random effect: with few seeds, a p-value says "these seed-averaged models differ on
 * users like these", and the seed spread (mean ± std over seeds) should still be reported.
 * The vectors must be aligned to the same query order (ranks/seedN.json `users` is the same for
 * every seed because the split does not depend on the seed).
 */
export function combineSeeds(perSeed: readonly Float64Array[]): Float64Array {
  if (perSeed.length === 0) throw new ConfigError('combineSeeds needs at least one seed');
  const n = perSeed[0]!.length;
  const out = new Float64Array(n);
  for (const [s, v] of perSeed.entries()) {
    if (v.length !== n) throw new ConfigError(`combineSeeds: seed #${s} has ${v.length} per-query values, seed #0 has ${n}; every seed must cover the same queries in the same order`);
    for (let i = 0; i < n; i++) out[i]! += v[i]!;
  }
  const k = perSeed.length;
  for (let i = 0; i < n; i++) out[i] = out[i]! / k;
  return out;
}

/**
 * Relative change from `base` to `treated`, signed so that positive always means "treated is
 * better": (treated − base) / |base| for 'higher' metrics and (base − treated) / |base| for
 * 'lower' ones (a drop in a lower-is-better metric is a gain). Dividing by |base| keeps the sign
 * right for negative bases. base = 0 gives 0 when treated = 0 too, otherwise ±Infinity.
 */
export function relativeLift(base: number, treated: number, direction: MetricSpec['direction'] | Pick<MetricSpec, 'direction'> = 'higher'): number {
  const dir = typeof direction === 'string' ? direction : direction.direction;
  const gain = dir === 'lower' ? base - treated : treated - base;
  if (gain === 0) return 0;
  if (base === 0) return gain > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return gain / Math.abs(base);
}
