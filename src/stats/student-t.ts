/**
 * Student's t distribution with ν degrees of freedom. The two-sided tail is the regularized
 * incomplete beta function I_x(ν/2, 1/2) at x = ν/(ν + t²), with 1 − x = t²/(ν + t²) computed
 * directly so that small t loses no precision.
 */
import { incompleteBetaXY } from './special.ts';

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`Student-t needs finite degrees of freedom > 0, got ${df}`);
}

/** Two-sided tail P(|T| ≥ |t|) of Student's t with `df` degrees of freedom. */
export function studentTTwoSidedP(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  const p = incompleteBetaXY(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
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
