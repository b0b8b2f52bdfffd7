/**
 * Metrics of binary scores against 0/1 labels (CTR, real-vs-synthetic detection, membership
 * inference). Each declares its name, direction and range like the ranking metrics.
 */
export interface ClassificationMetricSpec {
  readonly name: string;
  readonly direction: 'higher' | 'lower';
  readonly range: readonly [number, number];
  readonly compute: (scores: ArrayLike<number>, labels: ArrayLike<number>) => number;
}

/**
 * Area under the ROC curve of `scores` for labels (1 = positive): the probability that a random
 * positive scores above a random negative, ties counted ½ (Mann–Whitney with mid-ranks).
 * 0.5 when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!]! === scores[idx[i]!]!) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[idx[k]!]) {
        pos++;
        rankSum += mid;
      }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Mean binary cross-entropy of probabilities (clipped to [eps, 1 − eps] so one confident miss stays finite). */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>, eps = 1e-7): number {
  const n = probs.length;
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]!));
    s -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return s / n;
}

export const AUC: ClassificationMetricSpec = { name: 'AUC', direction: 'higher', range: [0, 1], compute: rocAuc };
export const LOG_LOSS: ClassificationMetricSpec = { name: 'LogLoss', direction: 'lower', range: [0, Number.POSITIVE_INFINITY], compute: logLoss };
