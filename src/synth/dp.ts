/**
 * Privacy accounting for DP-SGD: Rényi differential privacy of the Poisson-subsampled Gaussian
 * mechanism (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism", integer orders), composed over steps and converted to (ε, δ).
 *
 * For sampling rate q and noise multiplier σ (noise std / clipping norm), at integer order α ≥ 2:
 *   A_α = Σ_{k=0..α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k) / (2σ²)),   ε_RDP(α) = ln A_α / (α − 1);
 * T steps compose to T · ε_RDP(α), and (ε, δ)-DP holds with ε = min_α T ε_RDP(α) + ln(1/δ) / (α − 1).
 * Other mechanisms run on the same data (e.g. noisy category counts) add their own ε_RDP(α) before
 * the conversion.
 */

export interface DpAccount {
  readonly epsilon: number;
  readonly delta: number;
  /** The Rényi order that gave the bound. */
  readonly order: number;
  readonly steps: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
}

const ORDERS = Array.from({ length: 255 }, (_, i) => i + 2);

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** ε_RDP(α) of one step of the sampled Gaussian mechanism (integer α ≥ 2). */
export function sampledGaussianRdp(q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (!(sigma > 0)) throw new RangeError(`noise multiplier must be > 0, got ${sigma}`);
  if (!Number.isInteger(alpha) || alpha < 2) throw new RangeError(`RDP order must be an integer ≥ 2, got ${alpha}`);
  if (q === 0) return 0;
  if (q === 1) return alpha / (2 * sigma * sigma);
  let logA = -Infinity;
  let logBinom = 0; // ln C(α, 0)
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    const term = logBinom + (alpha - k) * Math.log1p(-q) + k * Math.log(q) + (k * k - k) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA / (alpha - 1);
}

/**
 * ε_RDP(α) of the Gaussian mechanism releasing a query of L2 sensitivity 1 with noise std σ
 * (scale σ by the sensitivity for other queries): α / (2σ²).
 */
export function gaussianMechanismRdp(sigma: number, alpha: number): number {
  if (!(sigma > 0)) throw new RangeError(`noise multiplier must be > 0, got ${sigma}`);
  return alpha / (2 * sigma * sigma);
}

/**
 * (ε, δ) after `steps` steps at sampling rate q with noise multiplier σ, plus `extraRdp(α)` of
 * other mechanisms on the same data.
 */
export function dpSgdEpsilon(q: number, sigma: number, steps: number, delta: number, extraRdp?: (alpha: number) => number): DpAccount {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  let best = Infinity;
  let order = ORDERS[0]!;
  for (const a of ORDERS) {
    const eps = steps * sampledGaussianRdp(q, sigma, a) + (extraRdp?.(a) ?? 0) + Math.log(1 / delta) / (a - 1);
    if (eps < best) {
      best = eps;
      order = a;
    }
  }
  return { epsilon: best, delta, order, steps, samplingRate: q, noiseMultiplier: sigma };
}
