/**
 * Detection: two seeded, k-fold cross-validated classifiers try to tell real rows from synthetic
 * ones; the pooled out-of-fold ROC AUC says how far apart the two sets are. The main detector is
 * gradient-boosted trees (src/stats/gbdt.ts): they see combinations of columns — a synthetic row
 * that mixes attributes no real entity has — which a linear score cannot. The logistic
 * regression is reported beside it (the number earlier reports gave), as "linear". Both use the
 * same folds. The trees' split gains, summed over folds and mapped back to source columns, say
 * which columns give the synthetic rows away.
 */
import { Rng } from '../../core/rng.ts';
import { fitGbdt, fitLogistic, gbdtFeatureGain, gbdtPairGain, predictGbdtRow, predictLogistic, rocAuc, sampleIndices, type GbdtParams } from '../../stats/index.ts';
import { metricValue, type MetricValue } from './metric.ts';

/** The boosted-trees detector's settings (a subset of GbdtParams; the seed comes from the report). */
export type DetectionTreeSettings = Pick<GbdtParams, 'numTrees' | 'learningRate' | 'maxDepth' | 'maxLeaves' | 'minSamplesLeaf' | 'lambda' | 'subsample' | 'colsample'>;

export interface DetectionOptions {
  readonly seed: number;
  /** Cross-validation folds (default 5). */
  readonly folds: number;
  /** Rows drawn from each side (the smaller side's size if that is less); bounds the IRLS cost. */
  readonly maxRowsPerClass: number;
  /** Ridge penalty of the logistic regression. */
  readonly l2: number;
  readonly trees: DetectionTreeSettings;
}

/**
 * The trees' inputs: one matrix per side (row-major, the same rows as the linear features) and the
 * source column of every feature, for the importances. The trees need no one-hot blocks or
 * squares: a column can be one feature (categories as codes, missing as NaN).
 */
export interface TreeFeatures {
  readonly real: Float64Array;
  readonly synthetic: Float64Array;
  readonly width: number;
  readonly columns: readonly string[];
}

/** A source column's share of the trees' split gain (all folds), largest first. */
export interface DetectionImportance {
  readonly column: string;
  readonly gain: number;
  /** gain / the total gain of all columns; the shares sum to 1. */
  readonly share: number;
}

/** Two source columns the trees use together: gain of splits on one directly under a split on the other. */
export interface DetectionPairImportance {
  readonly columns: readonly [string, string];
  readonly gain: number;
  /** gain / the total gain of all column pairs. */
  readonly share: number;
}

export interface DetectionResult {
  /**
   * max(AUC, 1 − AUC) of the pooled out-of-fold scores, 0.5 = not separable, 1 = fully separable:
   * `trees` is the main detection score, `linear` the logistic regression's.
   */
  readonly detectionAuc: { readonly trees: MetricValue; readonly linear: MetricValue };
  /**
   * The raw pooled AUCs (synthetic = positive class). Below 0.5 means noise or cross-validation
   * anti-learning on near-duplicate rows, not a real signal; max(AUC, 1 − AUC) folds it back.
   */
  readonly rawAuc: { readonly trees: number; readonly linear: number };
  readonly folds: number;
  readonly rowsPerClass: number;
  /** Linear features (after one-hot blocks and squares). */
  readonly features: number;
  readonly treeFeatures: number;
  /** Why the trees spot synthetic rows: source columns by split gain. */
  readonly importances: readonly DetectionImportance[];
  /** Which pairs of columns the trees combine to spot them, largest first (at most 10). */
  readonly pairImportances: readonly DetectionPairImportance[];
  readonly model: { readonly trees: string; readonly linear: string };
}

/**
 * Rows to use from a side of n rows: all of them when n ≤ k, else a seeded sample of k, sorted so
 * the encoding reads the table in order.
 */
export function sampleRows(n: number, k: number, rng: Rng): Int32Array {
  return sampleIndices(n, k, rng).sort();
}

/**
 * Folds for the detection model. Rows with identical feature vectors go to the same fold: if a
 * real row and its synthetic twin sat in different folds, each would be scored by a model trained
 * on the other with the opposite label, pushing the AUC below 0.5 by construction (and
 * max(AUC, 1 − AUC) would then report identical data as detectable). Groups that are all real,
 * all synthetic, or mixed are shuffled and dealt round-robin separately, which keeps the class
 * balance of the folds.
 */
function assignFolds(X: Float64Array, nReal: number, nSyn: number, d: number, folds: number, rng: Rng): Int32Array {
  const n = nReal + nSyn;
  const groupOf = new Map<string, number>();
  const members: number[][] = [];
  for (let i = 0; i < n; i++) {
    const key = X.subarray(i * d, i * d + d).join(',');
    let g = groupOf.get(key);
    if (g === undefined) {
      g = members.length;
      groupOf.set(key, g);
      members.push([]);
    }
    members[g]!.push(i);
  }
  const kinds: number[][] = [[], [], []];
  members.forEach((rows, g) => {
    const real = rows.some((i) => i < nReal);
    const syn = rows.some((i) => i >= nReal);
    kinds[real && syn ? 2 : real ? 0 : 1]!.push(g);
  });
  const fold = new Int32Array(n);
  let next = 0;
  for (const groups of kinds) {
    rng.shuffle(groups);
    for (const g of groups) {
      for (const i of members[g]!) fold[i] = next % folds;
      next++;
    }
  }
  return fold;
}

/**
 * Cross-validated detection AUCs of two feature matrices for the linear model (row-major, nReal×d
 * and nSyn×d) and of the trees' matrices for the same rows. Folds keep the class balance and never
 * split rows with identical linear features (see assignFolds); the linear features are a function
 * of a row's values, so identical rows are never split for the trees either.
 */
export function detectionAuc(real: Float64Array, nReal: number, synthetic: Float64Array, nSyn: number, d: number, trees: TreeFeatures, opts: DetectionOptions): DetectionResult {
  const n = nReal + nSyn;
  const X = new Float64Array(n * d);
  X.set(real, 0);
  X.set(synthetic, nReal * d);
  const y = new Uint8Array(n);
  y.fill(1, nReal);
  const folds = Math.max(2, Math.min(opts.folds, Math.min(nReal, nSyn)));
  const fold = assignFolds(X, nReal, nSyn, d, folds, new Rng(opts.seed).split('detection-folds'));
  const scores = new Float64Array(n);
  if (d > 0 && nReal >= 2 && nSyn >= 2) {
    for (let f = 0; f < folds; f++) {
      const { Xt, yt, m } = outOfFold(X, y, d, fold, f);
      const model = fitLogistic(Xt, m, d, yt, new Float64Array(m).fill(1), { l2: opts.l2 });
      for (let i = 0; i < n; i++) if (fold[i] === f) scores[i] = predictLogistic(model, X, i * d);
    }
  }
  const raw = rocAuc(scores, y);
  const { treeScores, gain, pairGain } = treeDetection(trees, nReal, nSyn, y, fold, folds, opts);
  const rawTrees = rocAuc(treeScores, y);
  const t = opts.trees;
  const cv = `${folds}-fold cross-validation (class-balanced, identical rows kept in one fold), pooled out-of-fold AUC`;
  return {
    detectionAuc: { trees: metricValue('DetectionAUC', Math.max(rawTrees, 1 - rawTrees)), linear: metricValue('LinearDetectionAUC', Math.max(raw, 1 - raw)) },
    rawAuc: { trees: rawTrees, linear: raw },
    folds,
    rowsPerClass: Math.min(nReal, nSyn),
    features: d,
    treeFeatures: trees.width,
    importances: columnImportances(gain, trees.columns),
    pairImportances: columnPairImportances(pairGain, trees.columns).slice(0, 10),
    model: {
      trees: `gradient-boosted trees (${t.numTrees} trees, learning rate ${t.learningRate}, ≤ ${t.maxLeaves} leaves, depth ≤ ${t.maxDepth}, ≥ ${t.minSamplesLeaf} rows a leaf, λ ${t.lambda}, rows ${t.subsample}, columns ${t.colsample}), ${cv}`,
      linear: `logistic regression (IRLS, l2 ${opts.l2}), ${cv}`,
    },
  };
}

/** Out-of-fold scores of the boosted trees (fold by fold, one seeded stream each) and their gain per feature, summed over folds. */
function treeDetection(
  trees: TreeFeatures,
  nReal: number,
  nSyn: number,
  y: Uint8Array,
  fold: Int32Array,
  folds: number,
  opts: DetectionOptions,
): { treeScores: Float64Array; gain: Float64Array; pairGain: Map<string, number> } {
  const n = nReal + nSyn;
  const w = trees.width;
  if (trees.real.length !== nReal * w || trees.synthetic.length !== nSyn * w || trees.columns.length !== w)
    throw new RangeError(`detection: tree features do not match (${trees.real.length} + ${trees.synthetic.length} values, ${trees.columns.length} names, width ${w})`);
  const X = new Float64Array(n * w);
  X.set(trees.real, 0);
  X.set(trees.synthetic, nReal * w);
  const treeScores = new Float64Array(n);
  const gain = new Float64Array(w);
  const pairGain = new Map<string, number>();
  if (w === 0 || nReal < 2 || nSyn < 2) return { treeScores, gain, pairGain };
  const rng = new Rng(opts.seed).split('detection-trees');
  for (let f = 0; f < folds; f++) {
    const { Xt, yt, m } = outOfFold(X, y, w, fold, f);
    const model = fitGbdt(Xt, m, w, { labels: yt }, { ...opts.trees, seed: rng.split(f).seed });
    for (let i = 0; i < n; i++) if (fold[i] === f) treeScores[i] = predictGbdtRow(model, X, i * w);
    const g = gbdtFeatureGain(model);
    for (let j = 0; j < w; j++) gain[j]! += g[j]!;
    for (const [k, v] of gbdtPairGain(model)) pairGain.set(k, (pairGain.get(k) ?? 0) + v);
  }
  return { treeScores, gain, pairGain };
}

/** The training rows of fold f's model: every row outside fold f (row-major, d columns). */
function outOfFold(X: Float64Array, y: Uint8Array, d: number, fold: Int32Array, f: number): { Xt: Float64Array; yt: Uint8Array; m: number } {
  let m = 0;
  for (let i = 0; i < y.length; i++) if (fold[i] !== f) m++;
  const Xt = new Float64Array(m * d);
  const yt = new Uint8Array(m);
  let r = 0;
  for (let i = 0; i < y.length; i++) {
    if (fold[i] === f) continue;
    Xt.set(X.subarray(i * d, i * d + d), r * d);
    yt[r++] = y[i]!;
  }
  return { Xt, yt, m };
}

/** Sums feature gains per source column (one-hot levels, squares, flags of one column together); largest first, ties by name. */
export function columnImportances(gain: ArrayLike<number>, columns: readonly string[]): DetectionImportance[] {
  const byColumn = new Map<string, number>();
  for (let j = 0; j < columns.length; j++) byColumn.set(columns[j]!, (byColumn.get(columns[j]!) ?? 0) + gain[j]!);
  let total = 0;
  for (const g of byColumn.values()) total += g;
  return [...byColumn.entries()]
    .map(([column, g]) => ({ column, gain: g, share: total > 0 ? g / total : 0 }))
    .sort((a, b) => b.gain - a.gain || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
}

/** Feature-pair gains (keys `i,j`) summed per pair of distinct source columns; largest first, ties by names. */
export function columnPairImportances(pairGain: ReadonlyMap<string, number>, columns: readonly string[]): DetectionPairImportance[] {
  const byPair = new Map<string, number>();
  for (const [key, g] of pairGain) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    const a = columns[i]!;
    const b = columns[j]!;
    if (a === b) continue;
    const k = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    byPair.set(k, (byPair.get(k) ?? 0) + g);
  }
  let total = 0;
  for (const g of byPair.values()) total += g;
  return [...byPair.entries()]
    .map(([k, g]) => ({ columns: k.split('\u0000') as [string, string], gain: g, share: total > 0 ? g / total : 0 }))
    .sort((x, y) => y.gain - x.gain || (x.columns.join() < y.columns.join() ? -1 : x.columns.join() > y.columns.join() ? 1 : 0));
}
