/**
 * Detection: a seeded, k-fold cross-validated logistic regression tries to tell real rows from
 * synthetic ones; the pooled out-of-fold ROC AUC says how far apart the two sets are. A linear
 * model on these features is a weak detector, so 0.5 here means "not separable by this model",
 * not "indistinguishable" — stronger detectors can only raise it.
 */
import { Rng } from '../../core/rng.ts';
import { fitLogistic, predictLogistic, rocAuc, sampleIndices } from '../../stats/index.ts';
import { metricValue, type MetricValue } from './metric.ts';

export interface DetectionOptions {
  readonly seed: number;
  /** Cross-validation folds (default 5). */
  readonly folds: number;
  /** Rows drawn from each side (the smaller side's size if that is less); bounds the IRLS cost. */
  readonly maxRowsPerClass: number;
  /** Ridge penalty of the logistic regression. */
  readonly l2: number;
}

export interface DetectionResult {
  /** max(AUC, 1 − AUC) of the pooled out-of-fold scores: 0.5 = not separable, 1 = fully separable. */
  readonly detectionAUC: MetricValue;
  /**
   * The raw pooled AUC (synthetic = positive class). Below 0.5 means noise or cross-validation
   * anti-learning on near-duplicate rows, not a real signal; max(AUC, 1 − AUC) folds it back.
   */
  readonly rawAUC: number;
  readonly folds: number;
  readonly rowsPerClass: number;
  readonly features: number;
  readonly model: string;
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
 * Cross-validated detection AUC of two feature matrices (row-major, nReal×d and nSyn×d). Folds keep the
 * class balance and never split identical rows (see assignFolds).
 */
export function detectionAuc(real: Float64Array, nReal: number, synthetic: Float64Array, nSyn: number, d: number, opts: DetectionOptions): DetectionResult {
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
      let m = 0;
      for (let i = 0; i < n; i++) if (fold[i] !== f) m++;
      const Xt = new Float64Array(m * d);
      const yt = new Uint8Array(m);
      let r = 0;
      for (let i = 0; i < n; i++) {
        if (fold[i] === f) continue;
        Xt.set(X.subarray(i * d, i * d + d), r * d);
        yt[r++] = y[i]!;
      }
      const model = fitLogistic(Xt, m, d, yt, new Float64Array(m).fill(1), { l2: opts.l2 });
      for (let i = 0; i < n; i++) if (fold[i] === f) scores[i] = predictLogistic(model, X, i * d);
    }
  }
  const raw = rocAuc(scores, y);
  return {
    detectionAUC: metricValue('DetectionAUC', Math.max(raw, 1 - raw)),
    rawAUC: raw,
    folds,
    rowsPerClass: Math.min(nReal, nSyn),
    features: d,
    model: `logistic regression (IRLS, l2 ${opts.l2}), ${folds}-fold cross-validation (class-balanced, identical rows kept in one fold), pooled out-of-fold AUC`,
  };
}
