/**
 * One-dimensional variational Bayesian Gaussian mixture (Bishop, PRML §10.2, specialised to one
 * dimension: Dirichlet prior on the weights, Normal-Gamma prior on each component's mean and
 * precision). With a small weight-concentration prior the posterior weight of a component that
 * explains no data collapses, so "up to K modes" becomes "as many as the data needs". Used by the
 * data transformer for CTGAN/TVAE's mode-specific normalisation.
 *
 * Deterministic given the Rng: the only random steps are the subsample (large columns) and the
 * k-means++ initialisation.
 *
 * With `maxFitValues: 0` the whole column is fitted (as SDV/RDT's ClusterBasedNormalizer does). Its
 * distinct values are fitted once each with their count as a weight: EM on weighted points is the
 * same fixed-point iteration as EM on the repeated values, and a column of 80,000 ages has ~60
 * distinct values, so a full-column fit costs what its distinct values cost.
 */
import type { Rng } from '../core/index.ts';
import { digamma, sampleIndices } from '../stats/index.ts';

export interface GmmOptions {
  /** Maximum number of components (default 10). */
  readonly maxComponents?: number;
  /** Weight-concentration prior γ of the stick-breaking prior (default 0.001: unused modes die). */
  readonly weightPrior?: number;
  /** Components whose posterior weight is below this are dropped (default 0.005). */
  readonly minWeight?: number;
  /** EM iterations at most (default 1000; SDV/RDT stop at 100). */
  readonly maxIterations?: number;
  /** Values used for fitting at most (a seeded subsample beyond; default 5,000; 0: the whole column). */
  readonly maxFitValues?: number;
  /** Stop when no component's soft count moves by more than tolerance · n in an iteration (default 1e-5). */
  readonly tolerance?: number;
}

/** A fitted mixture: components sorted by mean, weights summing to 1, in the data's own units. */
export interface GaussianMixture1D {
  readonly weights: number[];
  readonly means: number[];
  readonly stds: number[];
}

export function fitGaussianMixture1D(values: ArrayLike<number>, rng: Rng, options: GmmOptions = {}): GaussianMixture1D {
  const K0 = options.maxComponents ?? 10;
  const alpha0 = options.weightPrior ?? 0.001;
  const minWeight = options.minWeight ?? 0.005;
  const maxIter = options.maxIterations ?? 1000;
  const maxFit = options.maxFitValues ?? 5000;
  const tol = options.tolerance ?? 1e-5;
  const nAll = values.length;
  if (nAll === 0) throw new RangeError('fitGaussianMixture1D: no values');

  let mean = 0;
  for (let i = 0; i < nAll; i++) mean += values[i]!;
  mean /= nAll;
  let variance = 0;
  for (let i = 0; i < nAll; i++) variance += (values[i]! - mean) ** 2;
  variance /= nAll;
  const scale = variance > 1e-24 ? Math.sqrt(variance) : 1;
  if (variance <= 1e-24) return { weights: [1], means: [mean], stds: [Math.max(Math.abs(mean) * 1e-6, 1e-6)] };

  // Standardised (sub)sample, or the whole column's distinct values with their counts: priors
  // below are then in units of the column's own spread.
  let x: Float64Array;
  let w: Float64Array;
  if (maxFit > 0) {
    const idx = sampleIndices(nAll, maxFit, rng);
    x = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) x[i] = (values[idx[i]!]! - mean) / scale;
    w = new Float64Array(idx.length).fill(1);
  } else {
    const sorted = Float64Array.from(values).sort();
    let distinctCount = 0;
    for (let i = 0; i < nAll; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinctCount++;
    x = new Float64Array(distinctCount);
    w = new Float64Array(distinctCount);
    for (let i = 0, j = -1; i < nAll; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) x[++j] = (sorted[i]! - mean) / scale;
      w[j]! += 1;
    }
  }
  const n = x.length;
  /** Total weight: the number of values fitted. */
  let nw = 0;
  for (let i = 0; i < n; i++) nw += w[i]!;

  const distinct = new Set<number>();
  for (let i = 0; i < n && distinct.size <= K0; i++) distinct.add(x[i]!);
  const K = Math.min(K0, distinct.size);

  // k-means++ seeds and a few Lloyd steps give hard initial responsibilities.
  const centers = kmeansPlusPlus(x, maxFit > 0 ? null : w, K, rng);
  const assign = new Int32Array(n);
  for (let it = 0; it < 10; it++) {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bd = Infinity;
      for (let k = 0; k < K; k++) {
        const d = (x[i]! - centers[k]!) ** 2;
        if (d < bd) {
          bd = d;
          best = k;
        }
      }
      assign[i] = best;
    }
    const s = new Float64Array(K);
    const c = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      s[assign[i]!]! += w[i]! * x[i]!;
      c[assign[i]!]! += w[i]!;
    }
    for (let k = 0; k < K; k++) if (c[k]! > 0) centers[k] = s[k]! / c[k]!;
  }

  // Priors (sklearn BayesianGaussianMixture's defaults in one dimension): mean prior = data mean
  // (0 after standardising), mean precision β0 = 1, precision ~ Gamma(a0 = ν0/2 = 0.5, b0 = var/2).
  const m0 = 0;
  const beta0 = 1;
  const a0 = 0.5;
  const b0 = 0.5;
  const resp = new Float64Array(n * K);
  for (let i = 0; i < n; i++) resp[i * K + assign[i]!] = w[i]!;

  const beta = new Float64Array(K);
  const m = new Float64Array(K);
  const a = new Float64Array(K);
  const b = new Float64Array(K);
  const Nk = new Float64Array(K);
  const xbar = new Float64Array(K);
  const Sk = new Float64Array(K);
  const mStep = (): void => {
    Nk.fill(0);
    xbar.fill(0);
    Sk.fill(0);
    // resp holds w_i · r_ik (the weight of a distinct value; 1 for a subsample).
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        const r = resp[i * K + k]!;
        Nk[k]! += r;
        xbar[k]! += r * x[i]!;
      }
    }
    for (let k = 0; k < K; k++) xbar[k] = Nk[k]! > 1e-12 ? xbar[k]! / Nk[k]! : 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) Sk[k]! += resp[i * K + k]! * (x[i]! - xbar[k]!) ** 2;
    }
    for (let k = 0; k < K; k++) {
      const nk = Nk[k]!;
      const s = nk > 1e-12 ? Sk[k]! / nk : 0;
      beta[k] = beta0 + nk;
      m[k] = (beta0 * m0 + nk * xbar[k]!) / beta[k]!;
      a[k] = a0 + nk / 2;
      b[k] = b0 + 0.5 * (nk * s + (beta0 * nk * (xbar[k]! - m0) ** 2) / (beta0 + nk));
    }
  };
  // Stick-breaking (truncated Dirichlet process) weights: v_k ~ Beta(1 + N_k, γ + Σ_{j>k} N_j),
  // π_k = v_k Π_{j<k} (1 − v_j). Unlike a symmetric Dirichlet, later sticks are pushed towards 0,
  // so duplicated components covering one mode die instead of sharing it.
  const expectedLogWeights = (): Float64Array => {
    const out = new Float64Array(K);
    let tail = 0;
    for (let k = 0; k < K; k++) tail += Nk[k]!;
    let acc = 0;
    for (let k = 0; k < K; k++) {
      tail -= Nk[k]!;
      const g1 = 1 + Nk[k]!;
      const g2 = alpha0 + tail;
      const psiAll = digamma(g1 + g2);
      out[k] = digamma(g1) - psiAll + acc;
      acc += digamma(g2) - psiAll;
    }
    return out;
  };
  const weightsOf = (): Float64Array => {
    const w = new Float64Array(K);
    let tail = 0;
    for (let k = 0; k < K; k++) tail += Nk[k]!;
    let rest = 1;
    for (let k = 0; k < K; k++) {
      tail -= Nk[k]!;
      const v = (1 + Nk[k]!) / (1 + Nk[k]! + alpha0 + tail);
      w[k] = rest * v;
      rest *= 1 - v;
    }
    return w;
  };
  mStep();
  const logRho = new Float64Array(K);
  // A component whose soft count falls this low is out for good (saves the E-step most of its work).
  const pruneBelow = Math.max(1e-4 * nw, 1e-3);
  const active = new Uint8Array(K).fill(1);
  for (let it = 0; it < maxIter; it++) {
    const eLogPi = expectedLogWeights();
    const eLogLam = new Float64Array(K);
    for (let k = 0; k < K; k++) eLogLam[k] = digamma(a[k]!) - Math.log(b[k]!);
    const prevN = Nk.slice();
    for (let k = 0; k < K; k++) if (active[k] === 1 && Nk[k]! < pruneBelow) active[k] = 0;
    // log ρ_ik = E[ln π_k] + ½E[ln λ_k] − ½(1/β_k + E[λ_k](x_i − m_k)²): the x-free part once per k.
    const base = new Float64Array(K);
    const halfPrec = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      base[k] = active[k] === 0 ? -Infinity : eLogPi[k]! + 0.5 * eLogLam[k]! - 0.5 / beta[k]!;
      halfPrec[k] = (0.5 * a[k]!) / b[k]!;
    }
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      const xi = x[i]!;
      for (let k = 0; k < K; k++) {
        const dx = xi - m[k]!;
        const v = base[k]! - halfPrec[k]! * dx * dx;
        logRho[k] = v;
        if (v > mx) mx = v;
      }
      let z = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(logRho[k]! - mx);
        resp[i * K + k] = e;
        z += e;
      }
      const inv = w[i]! / z;
      for (let k = 0; k < K; k++) resp[i * K + k]! *= inv;
    }
    mStep();
    // Duplicated components covering one mode merge slowly (hundreds of small steps), so stop on
    // the largest change of any component's soft count, not on the change of the bound.
    let change = 0;
    for (let k = 0; k < K; k++) change = Math.max(change, Math.abs(Nk[k]! - prevN[k]!));
    if (change <= tol * nw) break;
  }

  const finalWeights = weightsOf();
  const comps: { w: number; mu: number; sd: number }[] = [];
  for (let k = 0; k < K; k++) {
    const w = finalWeights[k]!;
    if (w < minWeight) continue;
    comps.push({ w, mu: m[k]! * scale + mean, sd: Math.sqrt(b[k]! / a[k]!) * scale });
  }
  if (comps.length === 0) comps.push({ w: 1, mu: mean, sd: scale });
  const total = comps.reduce((s, c) => s + c.w, 0);
  comps.sort((p, q) => p.mu - q.mu);
  return {
    weights: comps.map((c) => c.w / total),
    means: comps.map((c) => c.mu),
    stds: comps.map((c) => Math.max(c.sd, 1e-6 * scale)),
  };
}

/** k-means++ seeds; with weights (distinct values and their counts), draws are ∝ weight · d². */
function kmeansPlusPlus(x: Float64Array, w: Float64Array | null, K: number, rng: Rng): Float64Array {
  const n = x.length;
  const centers = new Float64Array(K);
  centers[0] = x[w === null ? rng.int(n) : drawWeighted(w, null, rng)]!;
  const d2 = new Float64Array(n).fill(Infinity);
  for (let k = 1; k < K; k++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = (x[i]! - centers[k - 1]!) ** 2;
      if (d < d2[i]!) d2[i] = d;
      total += w === null ? d2[i]! : w[i]! * d2[i]!;
    }
    if (total <= 0) {
      centers[k] = centers[k - 1]!;
      continue;
    }
    if (w !== null) {
      centers[k] = x[drawWeighted(w, d2, rng, total)]!;
      continue;
    }
    let u = rng.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
    centers[k] = x[pick]!;
  }
  return centers;
}

/** An index drawn with probability ∝ w_i (· d_i when d is given); total: their sum when known. */
function drawWeighted(w: Float64Array, d: Float64Array | null, rng: Rng, total = -1): number {
  let t = total;
  if (t < 0) {
    t = 0;
    for (let i = 0; i < w.length; i++) t += d === null ? w[i]! : w[i]! * d[i]!;
  }
  let u = rng.next() * t;
  for (let i = 0; i < w.length; i++) {
    u -= d === null ? w[i]! : w[i]! * d[i]!;
    if (u < 0) return i;
  }
  return w.length - 1;
}

/** log N(x; μ, σ²) + log w per component (unnormalised log posterior of the mode). */
export function componentLogPosterior(g: GaussianMixture1D, x: number, out: Float64Array): void {
  for (let k = 0; k < g.means.length; k++) {
    const sd = g.stds[k]!;
    const z = (x - g.means[k]!) / sd;
    out[k] = Math.log(g.weights[k]!) - Math.log(sd) - 0.5 * z * z;
  }
}
