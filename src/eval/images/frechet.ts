/**
 * Fréchet distance between the Gaussians fitted to two feature sets (the FID formula, in whatever
 * feature space the caller chose):
 *   ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}).
 * Σ₁^{1/2} and the trace of the outer square root come from two symmetric eigendecompositions
 * (src/stats/eigen.ts); the middle matrix is symmetric by construction, so no general (complex)
 * matrix square root is needed. Negative eigenvalues from rounding are clamped to 0.
 */
import { ConfigError } from '../../core/errors.ts';
import { symmetricEigenDecomposition, symmetricMatrixFunction } from '../../stats/eigen.ts';
import { meanAndCovariance, type FeatureMatrix } from './features.ts';

export interface GaussianMoments {
  readonly n: number;
  readonly dim: number;
  readonly mean: Float64Array;
  /** Row-major dim × dim, n − 1 denominator. */
  readonly cov: Float64Array;
}

export function gaussianMoments(x: FeatureMatrix): GaussianMoments {
  const { mean, cov } = meanAndCovariance(x);
  return { n: x.n, dim: x.dim, mean, cov };
}

export interface FrechetDistance {
  /** The distance (≥ 0). */
  readonly distance: number;
  /** ‖μ₁ − μ₂‖²: the part from where the two sets sit. */
  readonly meanTerm: number;
  /** The trace part: from how they spread. */
  readonly covarianceTerm: number;
}

/** Square-matrix product a · b (row-major n × n). */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ri + k]!;
      if (aik === 0) continue;
      const rk = k * n;
      for (let j = 0; j < n; j++) out[ri + j] = out[ri + j]! + aik * b[rk + j]!;
    }
  }
  return out;
}

export function frechetDistance(a: GaussianMoments, b: GaussianMoments): FrechetDistance {
  if (a.dim !== b.dim) throw new ConfigError(`feature widths differ: ${a.dim} vs ${b.dim}`, { field: 'features' });
  const d = a.dim;
  let meanTerm = 0;
  for (let t = 0; t < d; t++) meanTerm += (a.mean[t]! - b.mean[t]!) ** 2;
  const sqrtA = symmetricMatrixFunction(symmetricEigenDecomposition(a.cov, d), (v) => Math.sqrt(Math.max(0, v)));
  const middle = matmul(matmul(sqrtA, b.cov, d), sqrtA, d);
  // Exactly symmetric for the solver (products of symmetric matrices differ from their mirror in the last bits).
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (middle[i * d + j]! + middle[j * d + i]!);
      middle[i * d + j] = v;
      middle[j * d + i] = v;
    }
  }
  let traceSqrt = 0;
  for (const v of symmetricEigenDecomposition(middle, d).values) traceSqrt += Math.sqrt(Math.max(0, v));
  let traces = 0;
  for (let t = 0; t < d; t++) traces += a.cov[t * d + t]! + b.cov[t * d + t]!;
  // Identical sets give traces − 2·traceSqrt = rounding noise of either sign; the distance is ≥ 0.
  const covarianceTerm = Math.max(0, traces - 2 * traceSqrt);
  return { distance: meanTerm + covarianceTerm, meanTerm, covarianceTerm };
}

/** The Fréchet distance between two feature sets (each at least 2 rows). */
export function frechetDistanceOf(a: FeatureMatrix, b: FeatureMatrix): FrechetDistance {
  return frechetDistance(gaussianMoments(a), gaussianMoments(b));
}
