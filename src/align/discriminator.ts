/**
 * Discriminator filtering: a logistic regression learns to tell real training sequences from
 * augmented ones on a dozen summary features; the augmented samples it finds most real-looking are
 * kept, and P(real)/P(aug) gives importance weights. Its out-of-fold AUC is itself a distance:
 * 0.5 = the two sets cannot be told apart on these features.
 */
import { ConfigError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { TrainView } from '../data/types.ts';
import { checkAugmented, checkSeed, countItems, countTransitions, realSequences, transitionKey, type AlignResult } from './common.ts';
import { fitLogistic, predictLogistic, rocAuc } from '../stats/index.ts';

/** Length buckets of the one-hot block: ≤1, 2, 3–4, 5–8, 9–16, 17–32, ≥33. */
const LENGTH_EDGES = [1, 2, 4, 8, 16, 32] as const;

export const DISCRIMINATOR_FEATURES: readonly string[] = [
  'len<=1',
  'len=2',
  'len=3-4',
  'len=5-8',
  'len=9-16',
  'len=17-32',
  'len>=33',
  'meanLogPop',
  'minLogPop',
  'maxLogPop',
  'tailShare',
  'seenTransitionShare',
];
const D = DISCRIMINATOR_FEATURES.length;

export interface DiscriminatorOptions {
  seed: number;
  /** Share of augmented samples to keep, in (0, 1]; the top ⌈keepShare·n⌉ by P(real). */
  keepShare: number;
  /**
   * sourceUser[k] = the real user augmented[k] was made from (expandTrainViewDetailed). When given,
   * that user's own items and transitions are left out of the statistics behind sample k's features,
   * exactly as a real sequence's own contribution is left out of its features; without it, an
   * augmented copy of user u "sees" u's transitions and looks more typical than u itself.
   */
  sourceUser?: Int32Array;
  /**
   * Cross-fitting folds (default 3, 2..10): every sample is scored by a model that did not see it.
   * With `sourceUser`, folds are grouped by user (a sample goes to its source user's fold).
   */
  folds?: number;
  /** Importance weights are clipped at this multiple of the mean (default 10, > 1). */
  clip?: number;
  /** Ridge penalty of the logistic regression (default 1e-3). */
  l2?: number;
}

export interface DiscriminatorResult extends AlignResult {
  /** importanceWeights of the kept samples, aligned with keep. */
  readonly weights: Float32Array;
  /** Out-of-fold P(real) for every augmented sample. */
  readonly pReal: Float32Array;
  /** P(real)/P(aug) per augmented sample (classes balanced), normalized to mean 1 and clipped at `clip`. */
  readonly importanceWeights: Float32Array;
  /** Pooled out-of-fold ROC AUC of real vs augmented (0.5 = indistinguishable, 1 = fully separable). */
  readonly auc: number;
  readonly features: readonly string[];
  /** Coefficients (intercept first, then standardized features) of the model fitted on all rows. */
  readonly coefficients: Float64Array;
}

interface RealStats {
  readonly pop: Float64Array;
  readonly trans: Map<number, number>;
  /** Items with (leave-out) count ≥ this are head items; the rest are tail. */
  readonly headMin: number;
  readonly numItems: number;
}

function realStats(r: readonly Int32Array[], numItems: number): RealStats {
  const pop = countItems(r, numItems);
  const active: number[] = [];
  for (let i = 1; i <= numItems; i++) if (pop[i]! > 0) active.push(pop[i]!);
  active.sort((a, b) => b - a);
  // Head = the top 20% of the items seen in real data (Pareto); ties at the cut join the head.
  const headMin = active.length === 0 ? 1 : active[Math.max(0, Math.ceil(0.2 * active.length) - 1)]!;
  return { pop, trans: countTransitions(r, numItems), headMin, numItems };
}

/** Writes the features of `s` into out[off..off+D), with `exclude`'s items and transitions left out of the statistics. */
function features(s: Int32Array, exclude: Int32Array | undefined, st: RealStats, out: Float64Array, off: number): void {
  const L = s.length;
  let b: number = LENGTH_EDGES.length;
  for (let e = 0; e < LENGTH_EDGES.length; e++)
    if (L <= LENGTH_EDGES[e]!) {
      b = e;
      break;
    }
  for (let j = 0; j < 7; j++) out[off + j] = j === b ? 1 : 0;
  let exPop: Map<number, number> | undefined;
  let exTrans: Map<number, number> | undefined;
  if (exclude && exclude.length > 0) {
    exPop = new Map();
    for (let j = 0; j < exclude.length; j++) exPop.set(exclude[j]!, (exPop.get(exclude[j]!) ?? 0) + 1);
    exTrans = new Map();
    for (let j = 1; j < exclude.length; j++) {
      const k = transitionKey(exclude[j - 1]!, exclude[j]!, st.numItems);
      exTrans.set(k, (exTrans.get(k) ?? 0) + 1);
    }
  }
  let sumLp = 0;
  let minLp = Infinity;
  let maxLp = -Infinity;
  let tail = 0;
  for (let j = 0; j < L; j++) {
    const it = s[j]!;
    const c = Math.max(0, st.pop[it]! - (exPop?.get(it) ?? 0));
    const lp = Math.log1p(c);
    sumLp += lp;
    if (lp < minLp) minLp = lp;
    if (lp > maxLp) maxLp = lp;
    if (c < st.headMin) tail++;
  }
  let seen = 0;
  for (let j = 1; j < L; j++) {
    const k = transitionKey(s[j - 1]!, s[j]!, st.numItems);
    if ((st.trans.get(k) ?? 0) - (exTrans?.get(k) ?? 0) > 0) seen++;
  }
  out[off + 7] = L > 0 ? sumLp / L : 0;
  out[off + 8] = L > 0 ? minLp : 0;
  out[off + 9] = L > 0 ? maxLp : 0;
  out[off + 10] = L > 0 ? tail / L : 0;
  out[off + 11] = L > 1 ? seen / (L - 1) : 0;
}

/**
 * Trains a real-vs-augmented logistic regression with `folds`-fold cross-fitting (folds stratified
 * by class, drawn from the seed; each class carries half the training weight) and keeps the
 * augmented samples with the highest out-of-fold P(real).
 */
export function discriminatorFilter(real: TrainView, augmented: readonly Int32Array[], opts: DiscriminatorOptions): DiscriminatorResult {
  if (opts === null || typeof opts !== 'object') throw new ConfigError('options must be an object with seed and keepShare', { field: 'seed' });
  const seed = checkSeed(opts.seed);
  const r = realSequences(real);
  checkAugmented(augmented, real.numItems);
  const keepShare = opts.keepShare;
  if (typeof keepShare !== 'number' || !(keepShare > 0 && keepShare <= 1)) throw new ConfigError(`'keepShare' must be a number in (0, 1], got ${String(keepShare)}`, { field: 'keepShare' });
  const folds = opts.folds ?? 3;
  if (!Number.isInteger(folds) || folds < 2 || folds > 10) throw new ConfigError(`'folds' must be an integer in 2..10, got ${String(folds)}`, { field: 'folds' });
  const clip = opts.clip ?? 10;
  if (typeof clip !== 'number' || !(clip > 1) || !Number.isFinite(clip)) throw new ConfigError(`'clip' must be a finite number > 1, got ${String(clip)}`, { field: 'clip' });
  const l2 = opts.l2 ?? 1e-3;
  if (typeof l2 !== 'number' || !(l2 >= 0) || !Number.isFinite(l2)) throw new ConfigError(`'l2' must be a finite number ≥ 0, got ${String(l2)}`, { field: 'l2' });
  const na = augmented.length;
  const nr = r.length;
  if (nr < folds || na < folds) throw new ConfigError(`the discriminator needs at least ${folds} real and ${folds} augmented sequences (one per fold); got ${nr} real, ${na} augmented`, { field: 'folds' });
  const src = opts.sourceUser;
  if (src !== undefined) {
    if (!(src instanceof Int32Array) || src.length !== na) throw new ConfigError(`'sourceUser' must be an Int32Array with one user per augmented sample (${na})`, { field: 'sourceUser' });
    for (let k = 0; k < na; k++) if (src[k]! < 0 || src[k]! >= real.numUsers) throw new ConfigError(`sourceUser[${k}] = ${src[k]} is outside 0..${real.numUsers - 1}`, { field: 'sourceUser' });
  }

  const st = realStats(r, real.numItems);
  const n = nr + na;
  const X = new Float64Array(n * D);
  const y = new Uint8Array(n);
  for (let i = 0; i < nr; i++) {
    features(r[i]!, r[i]!, st, X, i * D);
    y[i] = 1;
  }
  const cache = new Map<number, Int32Array>();
  for (let k = 0; k < na; k++) {
    let ex: Int32Array | undefined;
    if (src) {
      const u = src[k]!;
      ex = cache.get(u);
      if (!ex) cache.set(u, (ex = real.sequence(u)));
    }
    features(augmented[k]!, ex, st, X, (nr + k) * D);
  }

  // Stratified folds from the seed.
  const rng = new Rng(seed).split('align:discriminator');
  const fold = new Int32Array(n);
  const assign = (from: number, count: number, stream: Rng): void => {
    const order = Int32Array.from({ length: count }, (_, i) => from + i);
    stream.shuffle(order);
    for (let i = 0; i < count; i++) fold[order[i]!] = i % folds;
  };
  assign(0, nr, rng.split('folds:real'));
  assign(nr, na, rng.split('folds:augmented'));
  if (src) {
    // Grouped folds: a sample made from user u sits in u's fold, so no model is fitted on a near-copy
    // of a row it scores (that leak pushes the AUC below 0.5). Samples of users without training
    // items keep their stratified fold.
    const realRow = new Map<number, number>();
    real.users().forEach((u, i) => realRow.set(u, i));
    for (let k = 0; k < na; k++) {
      const i = realRow.get(src[k]!);
      if (i !== undefined) fold[nr + k] = fold[i]!;
    }
  }

  const score = new Float64Array(n);
  for (let f = 0; f < folds; f++) {
    const rows: number[] = [];
    let tr = 0;
    let ta = 0;
    for (let i = 0; i < n; i++)
      if (fold[i] !== f) {
        rows.push(i);
        if (y[i]) tr++;
        else ta++;
      }
    const m = fitOn(rows, X, y, tr, ta, l2);
    for (let i = 0; i < n; i++) if (fold[i] === f) score[i] = predictLogistic(m, X, i * D);
  }
  const auc = rocAuc(score, y);
  const full = fitOn(Array.from({ length: n }, (_, i) => i), X, y, nr, na, l2);

  const pReal = new Float32Array(na);
  const odds = new Float64Array(na);
  for (let k = 0; k < na; k++) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, score[nr + k]!));
    pReal[k] = p;
    odds[k] = p / (1 - p);
  }
  const importanceWeights = clippedMeanOne(odds, clip);
  const keepCount = Math.min(na, Math.max(1, Math.ceil(keepShare * na - 1e-9)));
  const order = Array.from({ length: na }, (_, k) => k);
  order.sort((a, b) => score[nr + b]! - score[nr + a]! || a - b);
  const keep = Int32Array.from(order.slice(0, keepCount));
  keep.sort();
  const weights = Float32Array.from(keep, (k) => importanceWeights[k]!);
  return { keep, weights, pReal, importanceWeights, auc, features: DISCRIMINATOR_FEATURES, coefficients: full.coef };
}

function fitOn(rows: number[], X: Float64Array, y: Uint8Array, nReal: number, nAug: number, l2: number) {
  const m = rows.length;
  const Xs = new Float64Array(m * D);
  const ys = new Uint8Array(m);
  const ws = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const row = rows[i]!;
    Xs.set(X.subarray(row * D, row * D + D), i * D);
    ys[i] = y[row]!;
    // Balanced classes: each class carries half the weight, so odds estimate p_real(x)/p_aug(x).
    ws[i] = y[row] ? m / (2 * nReal) : m / (2 * nAug);
  }
  return fitLogistic(Xs, m, D, ys, ws, { l2 });
}

/** Scales x to mean 1, clips at `clip`, and repeats until the max is ≤ clip (clip > 1). */
export function clippedMeanOne(x: Float64Array, clip: number): Float32Array {
  const n = x.length;
  const w = Float64Array.from(x);
  for (let round = 0; round < 100; round++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += w[i]!;
    if (!(t > 0)) {
      w.fill(1);
      break;
    }
    let over = false;
    for (let i = 0; i < n; i++) {
      w[i] = (w[i]! * n) / t;
      if (w[i]! > clip * (1 + 1e-9)) over = true;
    }
    if (!over) break;
    for (let i = 0; i < n; i++) if (w[i]! > clip) w[i] = clip;
  }
  return Float32Array.from(w);
}
