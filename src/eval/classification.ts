/**
 * Metrics of binary scores against 0/1 labels (CTR, real-vs-synthetic detection, membership
 * inference). Each declares its name, direction and range like the ranking metrics.
 */
import { rocAuc } from '../stats/index.ts';

export interface ClassificationMetricSpec {
  readonly name: string;
  readonly direction: 'higher' | 'lower';
  readonly range: readonly [number, number];
  readonly compute: (scores: ArrayLike<number>, labels: ArrayLike<number>) => number;
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
