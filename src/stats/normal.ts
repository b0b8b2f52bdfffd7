/**
 * The standard normal distribution: density, CDF to ~1e-15 (Marsaglia's series in the body, a
 * continued fraction in the tails) and its inverse (Acklam's rational start refined by a Halley
 * step against the accurate CDF).
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
