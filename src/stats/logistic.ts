/**
 * A small L2-regularised logistic regression fitted by Newton's method (IRLS) on standardized
 * features. Deterministic: no randomness at all (folds are drawn by the
 * caller). d is small (a dozen features), so each Newton step solves a d×d system directly.
 */

export interface LogisticModel {
  /** Per-feature standardization learnt on the fitting rows. */
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** coef[0] = intercept; coef[1..d] = weights of the standardized features. */
  readonly coef: Float64Array;
  readonly iterations: number;
}

export interface LogisticOptions {
  /** Ridge penalty on the (non-intercept) weights, on the mean loss (default 1e-3). */
  l2?: number;
  maxIter?: number;
  tol?: number;
}

/**
 * Fits P(y=1|x) on rows X (row-major n×d), labels y ∈ {0,1}, row weights w (≥ 0). Minimises
 * Σ w·logloss / Σ w + l2/2·|β|² with damped Newton steps.
 */
export function fitLogistic(X: Float64Array, n: number, d: number, y: Uint8Array, w: Float64Array, opts: LogisticOptions = {}): LogisticModel {
  const l2 = opts.l2 ?? 1e-3;
  const maxIter = opts.maxIter ?? 30;
  const tol = opts.tol ?? 1e-9;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  let W = 0;
  for (let i = 0; i < n; i++) W += w[i]!;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += (w[i]! * X[i * d + j]!) / W;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const c = X[i * d + j]! - mean[j]!;
      std[j]! += (w[i]! * c * c) / W;
    }
  for (let j = 0; j < d; j++) std[j] = std[j]! > 1e-12 ? Math.sqrt(std[j]!) : 1;
  const D = d + 1;
  const Z = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    Z[i * D] = 1;
    for (let j = 0; j < d; j++) Z[i * D + 1 + j] = (X[i * d + j]! - mean[j]!) / std[j]!;
  }
  const beta = new Float64Array(D);
  const loss = (b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < D; j++) z += Z[i * D + j]! * b[j]!;
      // log(1 + e^{-z}) for y=1, log(1 + e^{z}) for y=0, computed stably.
      const m = y[i] ? -z : z;
      s += w[i]! * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
    }
    let r = 0;
    for (let j = 1; j < D; j++) r += b[j]! * b[j]!;
    return s / W + (l2 / 2) * r;
  };
  let current = loss(beta);
  let it = 0;
  for (; it < maxIter; it++) {
    const g = new Float64Array(D);
    const H = new Float64Array(D * D);
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < D; j++) z += Z[i * D + j]! * beta[j]!;
      const p = logistic(z);
      const wi = w[i]! / W;
      const r = wi * (p - y[i]!);
      const h = wi * Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < D; a++) {
        const za = Z[i * D + a]!;
        g[a]! += r * za;
        for (let b = a; b < D; b++) H[a * D + b]! += h * za * Z[i * D + b]!;
      }
    }
    for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) H[a * D + b] = H[b * D + a]!;
    for (let j = 1; j < D; j++) {
      g[j]! += l2 * beta[j]!;
      H[j * D + j]! += l2;
    }
    H[0]! += 1e-9;
    const step = solve(H, g, D);
    let t = 1;
    let next = beta;
    let nextLoss = Infinity;
    for (let k = 0; k < 30; k++) {
      const cand = new Float64Array(D);
      for (let j = 0; j < D; j++) cand[j] = beta[j]! - t * step[j]!;
      const l = loss(cand);
      if (l <= current) {
        next = cand;
        nextLoss = l;
        break;
      }
      t /= 2;
    }
    if (next === beta) break;
    const improved = current - nextLoss;
    beta.set(next);
    current = nextLoss;
    if (improved < tol) {
      it++;
      break;
    }
  }
  return { mean, std, coef: beta, iterations: it };
}

/** P(y=1) for one raw (unstandardized) feature row. */
export function predictLogistic(model: LogisticModel, row: ArrayLike<number>, offset = 0): number {
  const d = model.mean.length;
  let z = model.coef[0]!;
  for (let j = 0; j < d; j++) z += model.coef[j + 1]! * ((row[offset + j]! - model.mean[j]!) / model.std[j]!);
  return logistic(z);
}

function logistic(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Solves A x = b (A symmetric positive definite, D×D) by Gaussian elimination with partial pivoting. */
function solve(A0: Float64Array, b0: Float64Array, D: number): Float64Array {
  const A = Float64Array.from(A0);
  const b = Float64Array.from(b0);
  for (let c = 0; c < D; c++) {
    let piv = c;
    for (let r = c + 1; r < D; r++) if (Math.abs(A[r * D + c]!) > Math.abs(A[piv * D + c]!)) piv = r;
    if (piv !== c) {
      for (let k = 0; k < D; k++) {
        const t = A[c * D + k]!;
        A[c * D + k] = A[piv * D + k]!;
        A[piv * D + k] = t;
      }
      const t = b[c]!;
      b[c] = b[piv]!;
      b[piv] = t;
    }
    const p = A[c * D + c]!;
    if (Math.abs(p) < 1e-300) continue;
    for (let r = c + 1; r < D; r++) {
      const f = A[r * D + c]! / p;
      if (f === 0) continue;
      for (let k = c; k < D; k++) A[r * D + k]! -= f * A[c * D + k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Float64Array(D);
  for (let r = D - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < D; k++) s -= A[r * D + k]! * x[k]!;
    const p = A[r * D + r]!;
    x[r] = Math.abs(p) < 1e-300 ? 0 : s / p;
  }
  return x;
}
