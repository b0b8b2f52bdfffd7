/**
 * Resampling aligners: pure functions of (real, augmented, options) that choose which augmented
 * samples to keep so that one marginal (item popularity, sequence length) moves toward the real one.
 * All randomness comes from `new Rng(seed).split('align:…')`.
 */
import { ConfigError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { TrainView } from '../data/types.ts';
import { makeTrainView } from '../data/split.ts';
import { checkAugmented, checkPriorWeights, checkSeed, checkSize, countItems, realSequences, sampleWithoutReplacement, sampleWithReplacement, type AlignResult } from './common.ts';
import { DEFAULT_KL_EPSILON } from '../stats/index.ts';

export interface PopularityResampleOptions {
  seed: number;
  /** Samples to draw (default augmented.length). */
  size?: number;
  /** Draw with replacement (default true: sampling-importance-resampling) or without (size ≤ samples with positive weight). */
  replace?: boolean;
  /** The per-sequence ratio is clipped to [1/clip, clip] (default 10, must be > 1). */
  clip?: number;
  /** Smoothing of the two item distributions before the ratio (default 1e-6, as in KL). */
  epsilon?: number;
  /** Prior weight per augmented sample (e.g. from another aligner), multiplied into the draw probability. */
  weights?: Float32Array;
}

export interface PopularityResampleResult extends AlignResult {
  /** Clipped per-sequence ratio for every augmented sample, normalized to mean 1. */
  readonly importanceWeights: Float32Array;
}

function checkClip(clip: unknown, dflt: number): number {
  if (clip === undefined) return dflt;
  if (typeof clip !== 'number' || !(clip > 1) || !Number.isFinite(clip)) throw new ConfigError(`'clip' must be a finite number > 1, got ${String(clip)}`, { field: 'clip' });
  return clip;
}

/** The checks both resamplers start with; returns the validated seed, real sequences and output size. */
function checkResampleInputs(real: TrainView, augmented: readonly Int32Array[], opts: { seed: number; size?: number }): { seed: number; r: Int32Array[]; n: number; size: number } {
  if (opts === null || typeof opts !== 'object') throw new ConfigError('options must be an object with at least a seed', { field: 'seed' });
  const seed = checkSeed(opts.seed);
  const r = realSequences(real);
  checkAugmented(augmented, real.numItems);
  const n = augmented.length;
  return { seed, r, n, size: checkSize(opts.size, n) };
}

/**
 * Importance resampling toward the real item popularity. Each augmented sequence s gets the ratio
 * r(s) = Π_{i∈s} (p_real(i)/p_aug(i))^{1/|s|} — the geometric mean of its items' popularity ratios —
 * clipped to [1/clip, clip]; samples are drawn ∝ r(s)·prior(s). Sequences dominated by items the
 * augmented set over-represents are drawn less, those with under-represented items more. An empty
 * sequence gets r = 1.
 */
export function popularityMatchingResample(real: TrainView, augmented: readonly Int32Array[], opts: PopularityResampleOptions): PopularityResampleResult {
  const { seed, r, n, size } = checkResampleInputs(real, augmented, opts);
  const clip = checkClip(opts.clip, 10);
  const epsilon = opts.epsilon ?? DEFAULT_KL_EPSILON;
  if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < 1)) throw new ConfigError(`'epsilon' must be a number in (0, 1), got ${String(epsilon)}`, { field: 'epsilon' });
  const replace = opts.replace ?? true;
  if (typeof replace !== 'boolean') throw new ConfigError(`'replace' must be a boolean`, { field: 'replace' });
  const prior = checkPriorWeights(opts.weights, n);

  const K = real.numItems;
  const cr = countItems(r, K);
  const ca = countItems(augmented, K);
  const tr = real.interactionCount > 0 ? sum(cr) : 1;
  const ta = Math.max(1, sum(ca));
  const logRatio = new Float64Array(K + 1);
  const z = 1 + K * epsilon;
  for (let i = 1; i <= K; i++) logRatio[i] = Math.log((cr[i]! / tr + epsilon) / z) - Math.log((ca[i]! / ta + epsilon) / z);
  const lc = Math.log(clip);
  const ratio = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = augmented[k]!;
    let acc = 0;
    for (let j = 0; j < s.length; j++) acc += logRatio[s[j]!]!;
    const lr = s.length > 0 ? acc / s.length : 0;
    ratio[k] = Math.exp(Math.max(-lc, Math.min(lc, lr)));
  }
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = ratio[k]! * prior[k]!;
  const rng = new Rng(seed).split('align:popularity');
  const keep = replace ? sampleWithReplacement(w, size, rng) : sampleWithoutReplacement(w, size, rng);
  return { keep, importanceWeights: normalizeMean(ratio) };
}

export interface LengthResampleOptions {
  seed: number;
  /** Samples to draw (default augmented.length). */
  size?: number;
  /** Prior weight per augmented sample; within a length the draw is ∝ this weight (0 = never drawn). */
  weights?: Float32Array;
}

export interface LengthResampleResult extends AlignResult {
  /** Number of samples drawn per length (the target histogram actually reached). */
  readonly drawnPerLength: ReadonlyMap<number, number>;
  /** Real lengths no augmented sample has; their mass went to the nearest available length. */
  readonly unmatchedLengths: readonly number[];
}

/**
 * Stratified resampling that matches the real length histogram. The real share of each length L is
 * given to the nearest length the augmented set has (ties to the shorter), turned into whole counts
 * by largest remainder, and each length's count is drawn from its augmented samples: without
 * replacement while there are enough, every sample once more per full round beyond that.
 */
export function lengthMatchingResample(real: TrainView, augmented: readonly Int32Array[], opts: LengthResampleOptions): LengthResampleResult {
  const { seed, r, n, size } = checkResampleInputs(real, augmented, opts);
  const prior = checkPriorWeights(opts.weights, n);

  const byLen = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    if (prior[k]! <= 0) continue;
    const L = augmented[k]!.length;
    let b = byLen.get(L);
    if (!b) byLen.set(L, (b = []));
    b.push(k);
  }
  const avail = [...byLen.keys()].sort((a, b) => a - b);
  if (avail.length === 0) throw new ConfigError('every augmented sample has weight 0; nothing can be resampled', { field: 'weights' });
  const realHist = new Map<number, number>();
  for (const s of r) realHist.set(s.length, (realHist.get(s.length) ?? 0) + 1);
  const target = new Map<number, number>();
  const unmatched: number[] = [];
  for (const [L, c] of realHist) {
    const to = nearest(avail, L);
    if (to !== L) unmatched.push(L);
    target.set(to, (target.get(to) ?? 0) + c);
  }
  unmatched.sort((a, b) => a - b);
  // Largest remainder: floor of the exact share, then one more to the largest fractions.
  const lens = [...target.keys()].sort((a, b) => a - b);
  const counts = new Map<number, number>();
  const frac: [number, number][] = [];
  let given = 0;
  for (const L of lens) {
    const exact = (size * target.get(L)!) / r.length;
    const f = Math.floor(exact);
    counts.set(L, f);
    given += f;
    frac.push([L, exact - f]);
  }
  frac.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let i = 0; given < size; i++, given++) counts.set(frac[i % frac.length]![0], counts.get(frac[i % frac.length]![0])! + 1);

  const root = new Rng(seed).split('align:length');
  const keep: number[] = [];
  const drawn = new Map<number, number>();
  for (const L of lens) {
    const want = counts.get(L)!;
    if (want === 0) continue;
    drawn.set(L, want);
    const members = byLen.get(L)!;
    const rounds = Math.floor(want / members.length);
    for (let t = 0; t < rounds; t++) keep.push(...members);
    const rest = want - rounds * members.length;
    if (rest > 0) {
      const w = Float64Array.from(members, (k) => prior[k]!);
      for (const j of sampleWithoutReplacement(w, rest, root.split(L))) keep.push(members[j]!);
    }
  }
  const out = Int32Array.from(keep);
  out.sort();
  return { keep: out, drawnPerLength: drawn, unmatchedLengths: unmatched };
}

function nearest(sorted: readonly number[], L: number): number {
  let best = sorted[0]!;
  for (const a of sorted) if (Math.abs(a - L) < Math.abs(best - L)) best = a;
  return best;
}

function sum(x: Float64Array): number {
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i]!;
  return t;
}

/** x scaled to mean 1 (all zero → all 1), as Float32. */
export function normalizeMean(x: Float64Array): Float32Array {
  const t = sum(x);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = t > 0 ? (x[i]! * x.length) / t : 1;
  return out;
}

/**
 * The real training sequences (users 0..numUsers-1, unchanged) followed by the kept augmented
 * samples, one pseudo-user each, in `keep` order (a repeated index gives a repeated pseudo-user).
 */
export function alignedTrainView(real: TrainView, augmented: readonly Int32Array[], keep: Int32Array): TrainView {
  realSequences(real);
  checkAugmented(augmented, real.numItems);
  if (!(keep instanceof Int32Array)) throw new ConfigError("'keep' must be an Int32Array of indices into augmented", { field: 'keep' });
  const seqs: Int32Array[] = [];
  for (let u = 0; u < real.numUsers; u++) seqs.push(real.sequence(u));
  for (let i = 0; i < keep.length; i++) {
    const k = keep[i]!;
    if (k < 0 || k >= augmented.length) throw new ConfigError(`keep[${i}] = ${k} is outside 0..${augmented.length - 1}`, { field: 'keep' });
    seqs.push(augmented[k]!);
  }
  return makeTrainView(real.numItems, seqs);
}

/** The augmented part of an expandTrainViewDetailed result: the pseudo-users' sequences and their source users. */
export function augmentedSamples(expanded: { readonly train: TrainView; readonly sourceUser: Int32Array }): { augmented: Int32Array[]; sourceUser: Int32Array } {
  const { train, sourceUser } = expanded;
  const first = train.numUsers - sourceUser.length;
  const augmented: Int32Array[] = [];
  for (let k = 0; k < sourceUser.length; k++) augmented.push(train.sequence(first + k));
  return { augmented, sourceUser: sourceUser.slice() };
}
