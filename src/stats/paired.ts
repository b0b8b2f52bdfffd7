/**
 * Paired tests of a difference between two systems measured on the same units (queries, users):
 * `a[i]` and `b[i]` are system A's (baseline) and system B's (treatment) values on unit i, and
 * every difference is b − a. The unit is what is sampled, so the question answered is "would B
 * beat A again on another sample of units like these?".
 */
import { ConfigError, Rng } from '../core/index.ts';
import { quantileSorted } from './descriptive.ts';
import { studentTQuantile, studentTTwoSidedP } from './student-t.ts';

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

/**
 * Mean and sample sd (n − 1) by the corrected two-pass algorithm (constant input gives sd 0, which
 * the tests' "no difference at all" rule relies on). Not `meanStd` of descriptive.ts: that plain
 * two-pass form rounds differently, and the per-seed mean ± std it gives is stored in results
 * files that must stay byte-identical.
 */
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
  return { meanDiff, lo: quantileSorted(means, alpha), hi: quantileSorted(means, 1 - alpha), pValue };
}
