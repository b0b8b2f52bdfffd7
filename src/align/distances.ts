/**
 * Distances between the real training distribution and an augmented sample set. All divergences are
 * in bits (log base 2), so JS ∈ [0, 1] and TV ∈ [0, 1]. Every metric but `coverage` is "lower is
 * closer"; coverage is "higher is closer".
 */
import { ConfigError } from '../core/errors.ts';
import type { TrainView } from '../data/types.ts';
import { checkKlEpsilon, DEFAULT_KL_EPSILON, jsDivergence, klDivergence, tvDistance } from '../stats/index.ts';
import { checkAugmented, countItems, countTransitions, hashedTransitions, lengthHistogram, maxLength, realSequences } from './common.ts';

/** The direction of every metric in a DistributionReport. */
export const METRIC_DIRECTIONS = {
  'itemPopularity.tv': 'lower-is-closer',
  'itemPopularity.kl': 'lower-is-closer',
  'itemPopularity.js': 'lower-is-closer',
  'length.tv': 'lower-is-closer',
  'length.kl': 'lower-is-closer',
  'length.js': 'lower-is-closer',
  'transitions.tv': 'lower-is-closer',
  'transitions.js': 'lower-is-closer',
  coverage: 'higher-is-closer',
} as const;

export type MetricName = keyof typeof METRIC_DIRECTIONS;

export interface Divergences {
  /** Total variation ½Σ|p−q| ∈ [0,1]; symmetric. */
  readonly tv: number;
  /** KL(real ‖ augmented) in bits, ε-smoothed; asymmetric (penalises real mass the augmented set lacks). */
  readonly kl: number;
  /** Jensen–Shannon divergence in bits ∈ [0,1]; symmetric, no smoothing needed. */
  readonly js: number;
  readonly direction: 'lower-is-closer';
}

export interface TransitionDivergences {
  readonly tv: number;
  readonly js: number;
  readonly direction: 'lower-is-closer';
  /** 'exact': union of observed a→b pairs; 'hashed': `buckets` hash cells (collisions merge pairs). */
  readonly space: 'exact' | 'hashed';
  /** Cells compared: distinct pairs in the union (exact) or the bucket count (hashed). */
  readonly cells: number;
}

export interface DistributionReport {
  readonly itemPopularity: Divergences;
  readonly length: Divergences;
  readonly transitions: TransitionDivergences;
  /** Share of items seen in the real training data that appear at least once in the augmented set. */
  readonly coverage: number;
  readonly coverageDirection: 'higher-is-closer';
  readonly epsilon: number;
  readonly realSequences: number;
  readonly augmentedSequences: number;
  readonly directions: typeof METRIC_DIRECTIONS;
}

export interface DistributionReportOptions {
  /** KL smoothing ε (default 1e-6), > 0 and < 1. */
  epsilon?: number;
  /**
   * Compare transitions in a hashed space of this many cells instead of exactly (bounds memory to
   * `transitionBuckets` doubles per side). Default: exact, on the union of observed transitions.
   */
  transitionBuckets?: number;
  /**
   * One weight per augmented sequence (≥ 0): the distances of the importance-weighted augmented
   * set, i.e. what a trainer that weights each sample's loss by it effectively sees.
   */
  augmentedWeights?: ArrayLike<number>;
}

function divergences(p: ArrayLike<number>, q: ArrayLike<number>, epsilon: number): Divergences {
  return { tv: tvDistance(p, q), kl: klDivergence(p, q, epsilon), js: jsDivergence(p, q), direction: 'lower-is-closer' };
}

/** Transition TV/JS between two sets of sequences (exact union of pairs, or hashed). */
export function transitionDivergences(a: readonly Int32Array[], b: readonly Int32Array[], numItems: number, buckets?: number, bWeights?: ArrayLike<number>): TransitionDivergences {
  if (buckets !== undefined) {
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1 << 26) throw new ConfigError(`'transitionBuckets' must be an integer in 1..2^26, got ${buckets}`, { field: 'transitionBuckets' });
    const p = hashedTransitions(a, buckets);
    const q = hashedTransitions(b, buckets, bWeights);
    return { tv: tvDistance(p, q), js: jsDivergence(p, q), direction: 'lower-is-closer', space: 'hashed', cells: buckets };
  }
  const ma = countTransitions(a, numItems);
  const mb = countTransitions(b, numItems, bWeights);
  const keys = new Set<number>([...ma.keys(), ...mb.keys()]);
  const p = new Float64Array(keys.size);
  const q = new Float64Array(keys.size);
  let i = 0;
  for (const k of keys) {
    p[i] = ma.get(k) ?? 0;
    q[i] = mb.get(k) ?? 0;
    i++;
  }
  return { tv: tvDistance(p, q), js: jsDivergence(p, q), direction: 'lower-is-closer', space: 'exact', cells: keys.size };
}

/**
 * How far the augmented sequences are from the real training data: item popularity, sequence length,
 * first-order transitions, and item coverage. `augmented` holds the augmented sequences only.
 * KL is KL(real ‖ augmented).
 */
export function distributionReport(real: TrainView, augmented: readonly Int32Array[], opts: DistributionReportOptions = {}): DistributionReport {
  const epsilon = opts.epsilon ?? DEFAULT_KL_EPSILON;
  checkKlEpsilon(epsilon);
  const r = realSequences(real);
  checkAugmented(augmented, real.numItems);
  const w = opts.augmentedWeights;
  if (w !== undefined) {
    if (w.length !== augmented.length) throw new ConfigError(`'augmentedWeights' has ${w.length} values for ${augmented.length} augmented sequences`, { field: 'augmentedWeights' });
    for (let k = 0; k < w.length; k++) if (!(Number.isFinite(w[k]!) && w[k]! >= 0)) throw new ConfigError(`augmentedWeights[${k}] = ${w[k]}; weights must be finite and ≥ 0`, { field: 'augmentedWeights' });
  }
  const pr = countItems(r, real.numItems);
  const pa = countItems(augmented, real.numItems, w);
  const L = maxLength(r, augmented);
  const lr = lengthHistogram(r, L);
  const la = lengthHistogram(augmented, L, w);
  let realItems = 0;
  let covered = 0;
  for (let i = 1; i <= real.numItems; i++)
    if (pr[i]! > 0) {
      realItems++;
      if (pa[i]! > 0) covered++;
    }
  return {
    itemPopularity: divergences(pr.subarray(1), pa.subarray(1), epsilon),
    length: divergences(lr, la, epsilon),
    transitions: transitionDivergences(r, augmented, real.numItems, opts.transitionBuckets, w),
    coverage: realItems === 0 ? 0 : covered / realItems,
    coverageDirection: 'higher-is-closer',
    epsilon,
    realSequences: r.length,
    augmentedSequences: augmented.length,
    directions: METRIC_DIRECTIONS,
  };
}
