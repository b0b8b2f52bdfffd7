/**
 * Latent correlation behind discretised normal scores.
 *
 * A copula turns a categorical value into a normal score by drawing uniformly inside the value's
 * interval of [0, 1] and applying Φ⁻¹ (the distributional transform). The scores are exactly N(0, 1),
 * but the Pearson correlation between two such columns is attenuated: only the category, not the
 * position inside it, carries the association. Sampling with the attenuated correlation weakens
 * every dependence that involves a categorical column (ml-100k: Animation × Children's Cramér's V
 * 0.56 real → 0.04 synthetic).
 *
 * The attenuation has a closed form. Write Z for a latent normal, C for its category (interval
 * [t_{j−1}, t_j) in z-space) and m_j = E[Z | C = j] = (φ(t_{j−1}) − φ(t_j)) / p_j. The jittered score
 * is m_C plus noise independent of everything else, so for two latents with correlation ρ
 *
 *   corr(score_a, score_b) = E[m_a(C_a) m_b(C_b)] = Σ_{k≥1} ρ^k ĉ_k(a) ĉ_k(b)       (Mehler)
 *
 * with ĉ_k = E[m(C) He_k(Z)] / √k! = Σ_j m_j (He_{k−1}(t_{j−1}) φ(t_{j−1}) − He_{k−1}(t_j) φ(t_j)) / √k!
 * (∫ He_k φ = −He_{k−1} φ). A continuous latent has ĉ_1 = 1 and ĉ_k = 0 beyond, so a
 * categorical–continuous pair is simply ρ ĉ_1(a). The series is increasing in ρ, so the latent ρ
 * that reproduces an observed score correlation is found by bisection.
 */
import { normPdf, normPpf } from './normal.ts';

/** Terms of the Hermite series kept: Σ ĉ_k² = Var(m) ≤ 1, so the tail beyond 60 is below ρ⁶⁰. */
export const LATENT_SERIES_TERMS = 60;

/**
 * ĉ_1 … ĉ_K of a discretised normal whose categories own the intervals [cum_{j−1}, cum_j) of [0, 1]
 * (cum increasing, last = 1). A continuous latent is `continuousCoefficients()`.
 */
export function discreteHermiteCoefficients(cum: ArrayLike<number>, terms = LATENT_SERIES_TERMS): Float64Array {
  const cuts = intervalCuts(cum);
  const means = intervalMeans(cum);
  // Normalised Hermite polynomials h_n = He_n / √n! at every cut: h_n = (x h_{n−1} − √(n−1) h_{n−2}) / √n.
  const out = new Float64Array(terms);
  const hPrev = new Float64Array(cuts.length); // h_{n−2}
  const hCur = new Float64Array(cuts.length).fill(1); // h_{n−1}, starting with h_0
  for (let n = 1; n <= terms; n++) {
    // ĉ_n = Σ_j m_j (He_{n−1}(t_{j−1})φ(t_{j−1}) − He_{n−1}(t_j)φ(t_j)) / √n!, and He_{n−1}/√n! = h_{n−1}/√n.
    let c = 0;
    for (let j = 0; j < cuts.length; j++) {
      // Cut j is the upper end of category j and the lower end of category j + 1.
      c += (means[j + 1]! - means[j]!) * hCur[j]! * normPdf(cuts[j]!);
    }
    out[n - 1] = c / Math.sqrt(n);
    for (let j = 0; j < cuts.length; j++) {
      const next = (cuts[j]! * hCur[j]! - Math.sqrt(n - 1) * hPrev[j]!) / Math.sqrt(n);
      hPrev[j] = hCur[j]!;
      hCur[j] = next;
    }
  }
  return out;
}

/** Interior cut points of the intervals in z-space (Φ⁻¹ of cum_1 … cum_{k−1}). */
function intervalCuts(cum: ArrayLike<number>): number[] {
  const cuts: number[] = [];
  for (let j = 0; j < cum.length - 1; j++) cuts.push(normPpf(Math.min(1 - 1e-15, Math.max(1e-15, cum[j]!))));
  return cuts;
}

/** m_j = E[Z | Z in category j's interval] = (φ(t_{j−1}) − φ(t_j)) / p_j (±∞ ends contribute φ = 0). */
export function intervalMeans(cum: ArrayLike<number>): Float64Array {
  const k = cum.length;
  const cuts = intervalCuts(cum);
  const means = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const p = cum[j]! - (j === 0 ? 0 : cum[j - 1]!);
    const lo = j === 0 ? 0 : normPdf(cuts[j - 1]!);
    const hi = j === k - 1 ? 0 : normPdf(cuts[j]!);
    means[j] = p > 0 ? (lo - hi) / p : 0;
  }
  return means;
}

/** The coefficients of an (untransformed) continuous latent: the score is the latent itself. */
export function continuousCoefficients(terms = LATENT_SERIES_TERMS): Float64Array {
  const out = new Float64Array(terms);
  out[0] = 1;
  return out;
}

/** corr(score_a, score_b) when the latents have correlation ρ. */
export function scoreCorrelation(rho: number, a: Float64Array, b: Float64Array): number {
  let s = 0;
  let p = 1;
  for (let k = 0; k < a.length; k++) {
    p *= rho;
    s += p * a[k]! * b[k]!;
  }
  return s;
}

/** d corr(score_a, score_b) / dρ at ρ. */
export function scoreCorrelationSlope(rho: number, a: Float64Array, b: Float64Array): number {
  let s = 0;
  let p = 1;
  for (let k = 0; k < a.length; k++) {
    s += (k + 1) * p * a[k]! * b[k]!;
    p *= rho;
  }
  return s;
}

/**
 * The latent correlation ρ ∈ (−1, 1) whose discretised scores have correlation `observed`; an
 * observed value beyond what the two marginals can reach gives the bound (±0.999).
 */
export function latentCorrelation(observed: number, a: Float64Array, b: Float64Array): number {
  const bound = 0.999;
  if (!(Math.abs(observed) > 0)) return 0;
  const hiVal = scoreCorrelation(bound, a, b);
  const loVal = scoreCorrelation(-bound, a, b);
  if (observed >= hiVal) return bound;
  if (observed <= loVal) return -bound;
  let lo = -bound;
  let hi = bound;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (scoreCorrelation(mid, a, b) < observed) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(a: readonly (readonly number[])[]): { values: Float64Array; vectors: number[][] } {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p]![q]! * m[p]![q]!;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q]![q]! - m[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k]![p]!;
          const mkq = m[k]![q]!;
          m[k]![p] = c * mkp - s * mkq;
          m[k]![q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p]![k]!;
          const mqk = m[q]![k]!;
          m[p]![k] = c * mpk - s * mqk;
          m[q]![k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from(m, (r, i) => r[i]!), vectors: v };
}

/**
 * A valid correlation matrix near `a`: eigenvalues below `floor` are raised to it and the result
 * is rescaled to a unit diagonal. Correlations estimated pair by pair (as the latent ones are) need
 * not be jointly positive definite; this keeps every well-determined pair and changes the rest least.
 * Returns `a` itself when it is already positive definite with every eigenvalue ≥ floor.
 */
export function nearestCorrelation(a: readonly (readonly number[])[], floor = 1e-3): { matrix: number[][]; adjusted: boolean } {
  const n = a.length;
  const { values, vectors } = symmetricEigen(a);
  if (values.every((x) => x >= floor)) return { matrix: a.map((r) => [...r]), adjusted: false };
  const lam = Float64Array.from(values, (x) => Math.max(x, floor));
  const b = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i]![k]! * lam[k]! * vectors[j]![k]!;
      b[i]![j] = b[j]![i] = s;
    }
  }
  const d = b.map((r, i) => Math.sqrt(r[i]!));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i]![j] = i === j ? 1 : b[i]![j]! / (d[i]! * d[j]!);
  return { matrix: b, adjusted: true };
}
