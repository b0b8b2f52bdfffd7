/**
 * Gradient-boosted decision trees: histogram-based, second-order, seeded. Every feature is cut once
 * into at most `maxBins` quantile bins (bin 0 holds the missing values, NaN), and each tree is grown
 * leaf-wise from per-leaf gradient/hessian histograms (the larger child's histogram is the parent's
 * minus the smaller child's). Leaf values are Newton steps −G / (H + λ), shrunk by the learning
 * rate. Missing values go the direction each split learned to be better for them.
 *
 * The loss is an `GbdtObjective` that turns the current scores into per-row gradients and
 * hessians; the tree code never sees the labels. An objective gets the whole target, including
 * optional query groups, so a ranking objective (LambdaRank) pairs rows within a group without any
 * change here. Implemented: binary logistic, squared error (regression on a label scale) and
 * LambdaRank (`lambdaRank()`, NDCG-weighted pairwise lambdas over query groups: LambdaMART).
 *
 * Same seed + data + parameters ⇒ the same model, bit for bit: row and column subsampling draw
 * only from a seeded Rng (one child stream per tree), and every sum runs in a fixed order.
 */
import { ModelStateError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';

/** What the objective scores against: labels (or relevance grades), optional weights, optional query groups. */
export interface GbdtTarget {
  readonly labels: ArrayLike<number>;
  /** Per-row weights (default 1). */
  readonly weights?: ArrayLike<number>;
  /**
   * Query groups for ranking objectives: boundaries into the rows (length = groups + 1, first 0, last
   * n, non-decreasing); group g is rows [groups[g], groups[g + 1]). Pointwise objectives ignore it.
   */
  readonly groups?: ArrayLike<number>;
}

/** A loss for boosting: its first and second derivatives with respect to the scores. */
export interface GbdtObjective {
  /** Stored in the model, so a loaded model says what its scores mean. */
  readonly name: string;
  /** The score every row starts from (before the first tree). */
  initialScore(target: GbdtTarget): number;
  /** Writes ∂loss/∂score and ∂²loss/∂score² of every row into grad and hess (hess > 0). */
  gradients(scores: Float64Array, target: GbdtTarget, grad: Float64Array, hess: Float64Array): void;
}

/** Binary logistic loss (labels 0/1); scores are log-odds. */
export const binaryLogistic: GbdtObjective = {
  name: 'binary-logistic',
  initialScore(target) {
    let pos = 0;
    let tot = 0;
    for (let i = 0; i < target.labels.length; i++) {
      const w = target.weights ? target.weights[i]! : 1;
      pos += w * target.labels[i]!;
      tot += w;
    }
    const p = Math.min(1 - 1e-6, Math.max(1e-6, tot > 0 ? pos / tot : 0.5));
    return Math.log(p / (1 - p));
  },
  gradients(scores, target, grad, hess) {
    const { labels, weights } = target;
    for (let i = 0; i < scores.length; i++) {
      const p = 1 / (1 + Math.exp(-scores[i]!));
      const w = weights ? weights[i]! : 1;
      grad[i] = w * (p - labels[i]!);
      hess[i] = w * Math.max(p * (1 - p), 1e-16);
    }
  },
};

/** Squared error ½(s − y)² (regression, e.g. relevance grades); scores are predictions on the label scale. */
export const squaredError: GbdtObjective = {
  name: 'squared-error',
  initialScore(target) {
    let sum = 0;
    let tot = 0;
    for (let i = 0; i < target.labels.length; i++) {
      const w = target.weights ? target.weights[i]! : 1;
      sum += w * target.labels[i]!;
      tot += w;
    }
    return tot > 0 ? sum / tot : 0;
  },
  gradients(scores, target, grad, hess) {
    const { labels, weights } = target;
    for (let i = 0; i < scores.length; i++) {
      const w = weights ? weights[i]! : 1;
      grad[i] = w * (scores[i]! - labels[i]!);
      hess[i] = Math.max(w, 1e-16);
    }
  },
};

export interface LambdaRankOptions {
  /** NDCG truncation: only pairs with at least one member ranked above this position count (0 = whole list). */
  readonly truncation: number;
  /** σ of the pairwise logistic 1 / (1 + e^{σ(s_i − s_j)}). */
  readonly sigma: number;
  /** Lowest grade of the label scale: gains are 2^(label − labelMin) − 1, so the lowest grade gains 0. */
  readonly labelMin: number;
}

export const LAMBDARANK_DEFAULTS: LambdaRankOptions = { truncation: 10, sigma: 1, labelMin: 0 };

/**
 * Per-group arrays of the pairs LambdaRank weighs: the current ranking of each group (by score,
 * ties by row order) and, for every pair (i, j) with label_i > label_j, ΔNDCG_ij — the change in
 * the group's NDCG were i and j swapped. Exposed for the tests (the lambdas are the gradient of
 * Σ ΔNDCG_ij · log(1 + e^{−σ(s_i − s_j)}) with ΔNDCG held at the current ranking).
 */
export function lambdaRankPairs(scores: ArrayLike<number>, labels: ArrayLike<number>, from: number, to: number, o: LambdaRankOptions): { i: number; j: number; deltaNdcg: number }[] {
  const out: { i: number; j: number; deltaNdcg: number }[] = [];
  const gains = rowGains(labels, o.labelMin);
  forEachLambdaPair(scores, labels, gains, idealDcg(gains, from, to, o.truncation), from, to, o.truncation, new Int32Array(to - from), (i, j, deltaNdcg) => out.push({ i, j, deltaNdcg }));
  return out;
}

/** Gain 2^(label − labelMin) − 1 of every row. */
function rowGains(labels: ArrayLike<number>, labelMin: number): Float64Array {
  return Float64Array.from({ length: labels.length }, (_, i) => 2 ** (labels[i]! - labelMin) - 1);
}

/** Ideal DCG (truncated) of rows [from, to). */
function idealDcg(gains: Float64Array, from: number, to: number, truncation: number): number {
  const ideal = gains.slice(from, to).sort().reverse();
  const k = truncation > 0 ? Math.min(truncation, ideal.length) : ideal.length;
  let s = 0;
  for (let r = 0; r < k; r++) s += ideal[r]! / Math.log2(r + 2);
  return s;
}

/**
 * Calls f(i, j, ΔNDCG_ij) for each weighed pair of rows [from, to), better row first. `gains` are
 * the rows' gains, `maxDcg` the group's ideal DCG; `order` is scratch of length ≥ to − from.
 */
function forEachLambdaPair(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  gains: Float64Array,
  maxDcg: number,
  from: number,
  to: number,
  truncation: number,
  order: Int32Array,
  f: (i: number, j: number, deltaNdcg: number) => void,
): void {
  if (!(maxDcg > 0)) return;
  const m = to - from;
  const ord = order.subarray(0, m);
  for (let q = 0; q < m; q++) ord[q] = from + q;
  ord.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const k = truncation > 0 ? Math.min(truncation, m) : m;
  for (let a = 0; a < m; a++) {
    const i = ord[a]!;
    const li = labels[i]!;
    const gi = gains[i]!;
    const da = a < k ? 1 / Math.log2(a + 2) : 0;
    for (let b = 0; b < m; b++) {
      const j = ord[b]!;
      if (!(li > labels[j]!) || (a >= k && b >= k)) continue;
      const db = b < k ? 1 / Math.log2(b + 2) : 0;
      f(i, j, Math.abs((gi - gains[j]!) * (da - db)) / maxDcg);
    }
  }
}

/**
 * LambdaRank (Burges 2010): for each pair (i, j) of one query group with label_i > label_j,
 * ρ = 1 / (1 + e^{σ(s_i − s_j)}), λ = σ ρ |ΔNDCG_ij|; i's gradient gets −λ and j's +λ, both
 * hessians σ² ρ (1 − ρ) |ΔNDCG_ij|. Gains 2^(label − labelMin) − 1 (fractional grades allowed),
 * NDCG truncated at `truncation`. Rows of a group whose labels are all equal get gradient 0.
 * Needs target.groups; the starting score is 0 (only differences within a group matter).
 */
export function lambdaRank(options: Partial<LambdaRankOptions> = {}): GbdtObjective {
  const o: LambdaRankOptions = { ...LAMBDARANK_DEFAULTS, ...options };
  if (!Number.isInteger(o.truncation) || o.truncation < 0) throw new RangeError(`lambdarank: truncation must be an integer ≥ 0, got ${o.truncation}`);
  if (!(o.sigma > 0)) throw new RangeError(`lambdarank: sigma must be > 0, got ${o.sigma}`);
  // Gains and each group's ideal DCG depend on the target only: computed once per target.
  let cache: { target: GbdtTarget; gains: Float64Array; maxDcg: Float64Array } | null = null;
  return {
    name: 'lambdarank',
    initialScore: () => 0,
    gradients(scores, target, grad, hess) {
      const { groups, labels, weights } = target;
      if (!groups || groups.length < 1 || groups[0] !== 0 || groups[groups.length - 1] !== scores.length)
        throw new RangeError(`lambdarank: target.groups must be group boundaries from 0 to ${scores.length}`);
      grad.fill(0);
      hess.fill(0);
      let longest = 0;
      for (let g = 0; g + 1 < groups.length; g++) {
        if (groups[g + 1]! < groups[g]!) throw new RangeError(`lambdarank: group boundaries decrease at group ${g}`);
        longest = Math.max(longest, groups[g + 1]! - groups[g]!);
      }
      const order = new Int32Array(longest);
      if (cache?.target !== target) {
        const gains = rowGains(labels, o.labelMin);
        cache = { target, gains, maxDcg: Float64Array.from({ length: groups.length - 1 }, (_, g) => idealDcg(gains, groups[g]!, groups[g + 1]!, o.truncation)) };
      }
      const { gains, maxDcg } = cache;
      const pair = (i: number, j: number, deltaNdcg: number): void => {
        const rho = 1 / (1 + Math.exp(o.sigma * (scores[i]! - scores[j]!)));
        const w = weights ? weights[i]! : 1;
        const lambda = w * o.sigma * rho * deltaNdcg;
        const h = w * o.sigma * o.sigma * rho * (1 - rho) * deltaNdcg;
        grad[i]! -= lambda;
        grad[j]! += lambda;
        hess[i]! += h;
        hess[j]! += h;
      };
      for (let g = 0; g + 1 < groups.length; g++) if (groups[g + 1]! - groups[g]! >= 2) forEachLambdaPair(scores, labels, gains, maxDcg[g]!, groups[g]!, groups[g + 1]!, o.truncation, order, pair);
      for (let i = 0; i < hess.length; i++) if (!(hess[i]! > 1e-16)) hess[i] = 1e-16;
    },
  };
}

/**
 * Observes boosting as it goes: called after every tree with its index and the tree itself (the
 * scores of other rows, e.g. a validation set, can be advanced with predictGbdtTree). Returning
 * true stops boosting after this tree (early stopping; the caller truncates to its best round).
 */
export type GbdtAfterTree = (round: number, tree: GbdtTree) => boolean;

export interface GbdtParams {
  readonly numTrees: number;
  readonly learningRate: number;
  /** Depth limit of a tree (root = depth 0); 0 = no limit other than maxLeaves. */
  readonly maxDepth: number;
  /** Leaves per tree (grown best-first). */
  readonly maxLeaves: number;
  /** Smallest hessian sum a child may have. */
  readonly minChildWeight: number;
  /** Fewest rows a child may have. */
  readonly minSamplesLeaf: number;
  /** L2 penalty on leaf values (λ). */
  readonly lambda: number;
  /** A split must gain more than this. */
  readonly minSplitGain: number;
  /** Share of rows each tree is grown on (Bernoulli per row, seeded). */
  readonly subsample: number;
  /** Share of features each tree may split on (seeded). */
  readonly colsample: number;
  /** Value bins per feature (≤ 255; bin 0 is for missing values on top of these). */
  readonly maxBins: number;
  readonly seed: number;
}

export const GBDT_DEFAULTS: GbdtParams = {
  numTrees: 100,
  learningRate: 0.1,
  maxDepth: 6,
  maxLeaves: 31,
  minChildWeight: 1e-3,
  minSamplesLeaf: 20,
  lambda: 1,
  minSplitGain: 0,
  subsample: 1,
  colsample: 1,
  maxBins: 255,
  seed: 0,
};

/**
 * One tree as parallel arrays; node 0 is the root. A leaf has feature −1 and its value in
 * `value`; an inner node sends x to `left` when x[feature] ≤ threshold, a missing x to `left`
 * when defaultLeft is 1.
 */
export interface GbdtTree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly defaultLeft: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
  /** Loss reduction of each split (0 at leaves); the feature importances are their sums. */
  readonly gain: number[];
}

export interface GbdtModel {
  readonly kind: 'gbdt';
  readonly version: 1;
  readonly objective: string;
  readonly numFeatures: number;
  readonly baseScore: number;
  readonly params: GbdtParams;
  readonly trees: readonly GbdtTree[];
}

function checkParams(p: GbdtParams): void {
  const bad = (key: string, v: unknown, why: string): never => {
    throw new RangeError(`gbdt: ${key} ${why}, got ${v}`);
  };
  if (!Number.isInteger(p.numTrees) || p.numTrees < 0) bad('numTrees', p.numTrees, 'must be an integer ≥ 0');
  if (!(p.learningRate > 0)) bad('learningRate', p.learningRate, 'must be > 0');
  if (!Number.isInteger(p.maxDepth) || p.maxDepth < 0) bad('maxDepth', p.maxDepth, 'must be an integer ≥ 0');
  if (!Number.isInteger(p.maxLeaves) || p.maxLeaves < 2) bad('maxLeaves', p.maxLeaves, 'must be an integer ≥ 2');
  if (!(p.minChildWeight >= 0)) bad('minChildWeight', p.minChildWeight, 'must be ≥ 0');
  if (!Number.isInteger(p.minSamplesLeaf) || p.minSamplesLeaf < 1) bad('minSamplesLeaf', p.minSamplesLeaf, 'must be an integer ≥ 1');
  if (!(p.lambda >= 0)) bad('lambda', p.lambda, 'must be ≥ 0');
  if (!(p.minSplitGain >= 0)) bad('minSplitGain', p.minSplitGain, 'must be ≥ 0');
  if (!(p.subsample > 0 && p.subsample <= 1)) bad('subsample', p.subsample, 'must be in (0, 1]');
  if (!(p.colsample > 0 && p.colsample <= 1)) bad('colsample', p.colsample, 'must be in (0, 1]');
  if (!Number.isInteger(p.maxBins) || p.maxBins < 2 || p.maxBins > 255) bad('maxBins', p.maxBins, 'must be an integer in 2..255');
}

/** Feature matrix cut into bins once: row-major bin codes and each feature's cut points. */
interface Binned {
  readonly bins: Uint8Array;
  /** cuts[f]: ascending; value bin of x = 1 + #{c ∈ cuts[f] : c < x}, so bin ≤ t ⇔ x ≤ cuts[f][t − 1]. */
  readonly cuts: readonly Float64Array[];
  /** Bins of feature f including the missing bin: cuts[f].length + 2. */
  readonly width: Int32Array;
  readonly offset: Int32Array;
  readonly histSize: number;
}

/** Quantile cut points of one feature: midpoints between neighbouring distinct values, ≤ maxBins − 1 of them. */
function featureCuts(values: Float64Array, maxBins: number): Float64Array {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort();
  const n = sorted.length;
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) counts[counts.length - 1]!++;
    else {
      distinct.push(sorted[i]!);
      counts.push(1);
    }
  }
  const m = distinct.length;
  const cuts: number[] = [];
  let cum = 0;
  for (let j = 0; j + 1 < m; j++) {
    cum += counts[j]!;
    if (m <= maxBins || cum >= (n * (cuts.length + 1)) / maxBins) cuts.push(distinct[j]! + (distinct[j + 1]! - distinct[j]!) / 2);
  }
  return Float64Array.from(cuts);
}

function valueBin(cuts: Float64Array, x: number): number {
  if (Number.isNaN(x)) return 0;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

function binMatrix(X: Float64Array, n: number, d: number, maxBins: number): Binned {
  const cuts: Float64Array[] = [];
  const width = new Int32Array(d);
  const offset = new Int32Array(d);
  const bins = new Uint8Array(n * d);
  const col = new Float64Array(n);
  let histSize = 0;
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < n; i++) col[i] = X[i * d + f]!;
    const c = featureCuts(col, maxBins);
    cuts.push(c);
    width[f] = c.length + 2;
    offset[f] = histSize;
    histSize += 3 * width[f]!;
    for (let i = 0; i < n; i++) bins[i * d + f] = valueBin(c, col[i]!);
  }
  return { bins, cuts, width, offset, histSize };
}

interface Split {
  feature: number;
  /** Last value bin that goes left. */
  bin: number;
  defaultLeft: boolean;
  gain: number;
  gl: number;
  hl: number;
  cl: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array;
  best: Split | null;
}

/** Histogram (grad, hess, count per bin of every feature in `features`) of rows idx[start, end). */
function buildHistogram(b: Binned, d: number, features: Int32Array, idx: Int32Array, start: number, end: number, grad: Float64Array, hess: Float64Array, out: Float64Array): void {
  out.fill(0);
  const { bins, offset } = b;
  const nf = features.length;
  for (let k = start; k < end; k++) {
    const i = idx[k]!;
    const gi = grad[i]!;
    const hi = hess[i]!;
    const row = i * d;
    for (let q = 0; q < nf; q++) {
      const f = features[q]!;
      const at = offset[f]! + 3 * bins[row + f]!;
      out[at]! += gi;
      out[at + 1]! += hi;
      out[at + 2]!++;
    }
  }
}

function bestSplit(b: Binned, features: Int32Array, hist: Float64Array, g: number, h: number, count: number, p: GbdtParams): Split | null {
  const lambda = p.lambda;
  const parent = (g * g) / (h + lambda);
  let best: Split | null = null;
  const consider = (feature: number, bin: number, defaultLeft: boolean, gl: number, hl: number, cl: number): void => {
    const gr = g - gl;
    const hr = h - hl;
    const cr = count - cl;
    if (cl < p.minSamplesLeaf || cr < p.minSamplesLeaf || hl < p.minChildWeight || hr < p.minChildWeight) return;
    const gain = 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent);
    if (gain > p.minSplitGain && (best === null || gain > best.gain)) best = { feature, bin, defaultLeft, gain, gl, hl, cl };
  };
  for (let q = 0; q < features.length; q++) {
    const f = features[q]!;
    const off = b.offset[f]!;
    const nb = b.width[f]! - 1;
    const gm = hist[off]!;
    const hm = hist[off + 1]!;
    const cm = hist[off + 2]!;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let t = 1; t <= nb; t++) {
      const at = off + 3 * t;
      gl += hist[at]!;
      hl += hist[at + 1]!;
      cl += hist[at + 2]!;
      if (t < nb) {
        // With no missing values here, unseen missing values later follow the heavier side.
        consider(f, t, cm > 0 ? false : hl >= h - hl, gl, hl, cl);
        if (cm > 0) consider(f, t, true, gl + gm, hl + hm, cl + cm);
      } else if (cm > 0) consider(f, t, false, gl, hl, cl);
    }
  }
  return best;
}

/**
 * Fits a boosted ensemble on X (row-major n×d; NaN = missing). The target goes to the objective
 * untouched (labels, weights, query groups).
 */
export function fitGbdt(
  X: Float64Array,
  n: number,
  d: number,
  target: GbdtTarget,
  params: Partial<GbdtParams> = {},
  objective: GbdtObjective = binaryLogistic,
  afterTree?: GbdtAfterTree,
): GbdtModel {
  const p: GbdtParams = { ...GBDT_DEFAULTS, ...params };
  checkParams(p);
  if (X.length !== n * d) throw new RangeError(`gbdt: X has ${X.length} values, expected n·d = ${n}·${d}`);
  if (target.labels.length !== n) throw new RangeError(`gbdt: ${target.labels.length} labels for ${n} rows`);
  const b = binMatrix(X, n, d, p.maxBins);
  const base = n > 0 ? objective.initialScore(target) : 0;
  const scores = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const idx = new Int32Array(n);
  const scratch = new Int32Array(n);
  const trees: GbdtTree[] = [];
  const rng = new Rng(p.seed);
  const histPool: Float64Array[] = [];
  const allFeatures = Int32Array.from({ length: d }, (_, f) => f);
  const nCols = Math.max(1, Math.round(p.colsample * d));
  for (let t = 0; t < p.numTrees && n > 0 && d > 0; t++) {
    objective.gradients(scores, target, grad, hess);
    const treeRng = rng.split(t);
    let m = 0;
    if (p.subsample < 1) {
      const rowRng = treeRng.split('rows');
      for (let i = 0; i < n; i++) if (rowRng.next() < p.subsample) idx[m++] = i;
    }
    if (m === 0) {
      for (let i = 0; i < n; i++) idx[i] = i;
      m = n;
    }
    let features = allFeatures;
    if (nCols < d) {
      const shuffled = allFeatures.slice();
      treeRng.split('columns').shuffle(shuffled);
      features = shuffled.subarray(0, nCols).sort();
    }
    const { tree, binThreshold } = growTree(b, d, features, idx, m, grad, hess, scratch, histPool, p);
    trees.push(tree);
    // Update every row's score (sampled or not) by walking the tree on the bin codes.
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (tree.feature[node]! >= 0) {
        const bin = b.bins[i * d + tree.feature[node]!]!;
        node = (bin === 0 ? tree.defaultLeft[node] === 1 : bin <= binThreshold[node]!) ? tree.left[node]! : tree.right[node]!;
      }
      scores[i]! += tree.value[node]!;
    }
    if (afterTree?.(t, tree) === true) break;
  }
  return { kind: 'gbdt', version: 1, objective: objective.name, numFeatures: d, baseScore: base, params: p, trees };
}

function growTree(
  b: Binned,
  d: number,
  features: Int32Array,
  idx: Int32Array,
  m: number,
  grad: Float64Array,
  hess: Float64Array,
  scratch: Int32Array,
  histPool: Float64Array[],
  p: GbdtParams,
): { tree: GbdtTree; binThreshold: number[] } {
  const tree: GbdtTree = { feature: [-1], threshold: [0], defaultLeft: [0], left: [-1], right: [-1], value: [0], gain: [0] };
  const binThreshold: number[] = [0];
  let g = 0;
  let h = 0;
  for (let k = 0; k < m; k++) {
    g += grad[idx[k]!]!;
    h += hess[idx[k]!]!;
  }
  // Histogram buffers are reused across splits and trees (buildHistogram zeroes them).
  const takeHist = (): Float64Array => histPool.pop() ?? new Float64Array(b.histSize);
  const rootHist = takeHist();
  buildHistogram(b, d, features, idx, 0, m, grad, hess, rootHist);
  const canSplit = (depth: number) => p.maxDepth === 0 || depth < p.maxDepth;
  const root: Leaf = { node: 0, start: 0, end: m, depth: 0, g, h, hist: rootHist, best: null };
  if (canSplit(0)) root.best = bestSplit(b, features, rootHist, g, h, m, p);
  const leaves: Leaf[] = [root];
  while (leaves.length < p.maxLeaves) {
    let pick = -1;
    for (let l = 0; l < leaves.length; l++) {
      const s = leaves[l]!.best;
      if (s && (pick < 0 || s.gain > leaves[pick]!.best!.gain)) pick = l;
    }
    if (pick < 0) break;
    const leaf = leaves[pick]!;
    const s = leaf.best!;
    // Stable partition of the leaf's rows: left ones first.
    let nl = 0;
    let nr = 0;
    for (let k = leaf.start; k < leaf.end; k++) {
      const i = idx[k]!;
      const bin = b.bins[i * d + s.feature]!;
      if (bin === 0 ? s.defaultLeft : bin <= s.bin) idx[leaf.start + nl++] = i;
      else scratch[nr++] = i;
    }
    idx.set(scratch.subarray(0, nr), leaf.start + nl);
    const mid = leaf.start + nl;
    const l = tree.feature.length;
    const r = l + 1;
    for (let c = 0; c < 2; c++) {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.defaultLeft.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      tree.gain.push(0);
      binThreshold.push(0);
    }
    const cuts = b.cuts[s.feature]!;
    tree.feature[leaf.node] = s.feature;
    tree.threshold[leaf.node] = s.bin <= cuts.length ? cuts[s.bin - 1]! : Infinity;
    tree.defaultLeft[leaf.node] = s.defaultLeft ? 1 : 0;
    tree.left[leaf.node] = l;
    tree.right[leaf.node] = r;
    tree.gain[leaf.node] = s.gain;
    binThreshold[leaf.node] = s.bin;
    // The smaller child gets a fresh histogram; the larger one is the parent's minus it.
    const smallHist = takeHist();
    const leftSmaller = nl <= nr;
    if (leftSmaller) buildHistogram(b, d, features, idx, leaf.start, mid, grad, hess, smallHist);
    else buildHistogram(b, d, features, idx, mid, leaf.end, grad, hess, smallHist);
    const bigHist = leaf.hist;
    for (let k = 0; k < bigHist.length; k++) bigHist[k]! -= smallHist[k]!;
    const depth = leaf.depth + 1;
    const left: Leaf = { node: l, start: leaf.start, end: mid, depth, g: s.gl, h: s.hl, hist: leftSmaller ? smallHist : bigHist, best: null };
    const right: Leaf = { node: r, start: mid, end: leaf.end, depth, g: leaf.g - s.gl, h: leaf.h - s.hl, hist: leftSmaller ? bigHist : smallHist, best: null };
    if (canSplit(depth)) {
      left.best = bestSplit(b, features, left.hist, left.g, left.h, nl, p);
      right.best = bestSplit(b, features, right.hist, right.g, right.h, nr, p);
    }
    leaves.splice(pick, 1, left, right);
  }
  for (const leaf of leaves) {
    tree.value[leaf.node] = (-p.learningRate * leaf.g) / (leaf.h + p.lambda);
    histPool.push(leaf.hist);
  }
  return { tree, binThreshold };
}

/** One tree's value for the row of X starting at `offset`. */
export function predictGbdtTree(tree: GbdtTree, X: ArrayLike<number>, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    const x = X[offset + tree.feature[node]!]!;
    node = (Number.isNaN(x) ? tree.defaultLeft[node] === 1 : x <= tree.threshold[node]!) ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/** Raw score (margin; log-odds for binary-logistic) of the row of X starting at `offset`. */
export function predictGbdtRow(model: GbdtModel, X: ArrayLike<number>, offset: number): number {
  let s = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      const x = X[offset + tree.feature[node]!]!;
      node = (Number.isNaN(x) ? tree.defaultLeft[node] === 1 : x <= tree.threshold[node]!) ? tree.left[node]! : tree.right[node]!;
    }
    s += tree.value[node]!;
  }
  return s;
}

/** Raw scores of the n rows of X (row-major, the model's feature count per row). */
export function predictGbdt(model: GbdtModel, X: Float64Array, n: number): Float64Array {
  const d = model.numFeatures;
  if (X.length !== n * d) throw new RangeError(`gbdt: X has ${X.length} values, expected n·d = ${n}·${d}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = predictGbdtRow(model, X, i * d);
  return out;
}

/** Total split gain per feature (feature importances by gain); they sum to the gain of all splits. */
export function gbdtFeatureGain(model: GbdtModel): Float64Array {
  const out = new Float64Array(model.numFeatures);
  for (const tree of model.trees) for (let k = 0; k < tree.feature.length; k++) if (tree.feature[k]! >= 0) out[tree.feature[k]!]! += tree.gain[k]!;
  return out;
}

/**
 * Gain of splits on one feature directly under a split on another, per unordered feature pair
 * (key `i,j` with i < j): a split that only pays off below another feature's split is the trees'
 * way of using the two together, so this is where interactions between features show.
 */
export function gbdtPairGain(model: GbdtModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const tree of model.trees) {
    for (let k = 0; k < tree.feature.length; k++) {
      const parent = tree.feature[k]!;
      if (parent < 0) continue;
      for (const child of [tree.left[k]!, tree.right[k]!]) {
        const f = child >= 0 ? tree.feature[child]! : -1;
        if (f < 0 || f === parent) continue;
        const key = parent < f ? `${parent},${f}` : `${f},${parent}`;
        out.set(key, (out.get(key) ?? 0) + tree.gain[child]!);
      }
    }
  }
  return out;
}

/** JSON text of a model (non-finite thresholds spelled as strings, since JSON has no Infinity). */
export function saveGbdt(model: GbdtModel): string {
  return JSON.stringify(model, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** A model from saveGbdt's text; malformed input is a ModelStateError. */
export function loadGbdt(text: string): GbdtModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text, (_key, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v));
  } catch (e) {
    throw new ModelStateError(`gbdt: model text is not JSON (${(e as Error).message})`);
  }
  const m = raw as GbdtModel;
  if (!m || m.kind !== 'gbdt' || m.version !== 1 || !Array.isArray(m.trees) || !Number.isInteger(m.numFeatures) || typeof m.baseScore !== 'number')
    throw new ModelStateError('gbdt: not a saved gbdt model (kind "gbdt", version 1)');
  for (const [t, tree] of m.trees.entries()) {
    const len = tree.feature?.length;
    for (const key of ['threshold', 'defaultLeft', 'left', 'right', 'value', 'gain'] as const)
      if (!Array.isArray(tree[key]) || tree[key].length !== len) throw new ModelStateError(`gbdt: tree ${t} has a malformed '${key}'`);
    for (let k = 0; k < len; k++) {
      const f = tree.feature[k]!;
      if (f >= m.numFeatures || (f >= 0 && !(tree.left[k]! > k && tree.right[k]! > k && tree.left[k]! < len && tree.right[k]! < len)))
        throw new ModelStateError(`gbdt: tree ${t} node ${k} points outside the tree`);
    }
  }
  return m;
}
