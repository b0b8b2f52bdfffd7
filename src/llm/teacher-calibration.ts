/**
 * A teacher's scores as graded labels. The synthetic-pairs filter grades each kept (query, product)
 * pair with a teacher ranker; a pointwise teacher (gbdt-regression) already predicts labels, but a
 * pairwise one (K-NRM, the RankNet MLP) scores on an arbitrary scale — only the order within a query
 * means anything. A calibration maps such scores onto the label scale: a monotone non-decreasing
 * function fitted on the teacher's scores of the real TRAINING pairs against their labels, so the
 * strongest ranker can grade its own synthetic pairs (InPars-style self-teaching).
 *
 * Leakage: the calibration sees the training groups it is given and nothing else; the experiment
 * passes the training split only (never validation or test). The scores are in-sample (the teacher
 * was fitted on the same pairs), so the map is somewhat optimistic at the ends; that is the price of
 * not spending held-out labels on it.
 */
import { z } from 'zod';
import { DataValidationError } from '../core/index.ts';
import type { LabelScale, Product, QueryGroup } from '../data/search/index.ts';
import type { SearchRanker } from '../models/search/index.ts';

/**
 * isotonic: pool-adjacent-violators, a step function (the best monotone fit in squared error);
 * linear: least squares a + b·score with the slope clamped at 0 (a falling fit becomes the mean label).
 */
export const scoreCalibrationKindSchema = z.enum(['isotonic', 'linear']);
export type ScoreCalibrationKind = z.infer<typeof scoreCalibrationKindSchema>;

/** A fitted score → label map: monotone non-decreasing, within the label scale. */
export interface ScoreCalibration {
  readonly kind: ScoreCalibrationKind;
  /** (score, label) pairs it was fitted on. */
  readonly pairs: number;
  /** Root mean squared error of the map on the pairs it was fitted on (in-sample). */
  readonly rmse: number;
  apply(score: number): number;
}

/**
 * Fits a monotone map from scores to labels. Deterministic: no random step, and equal scores are
 * pooled before fitting, so the input order does not matter and one score always gets one label.
 */
export function fitScoreCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, kind: ScoreCalibrationKind, scale: LabelScale): ScoreCalibration {
  if (scores.length !== labels.length) throw new DataValidationError(`score calibration: ${scores.length} scores but ${labels.length} labels`, { field: 'labels' });
  if (scores.length === 0) throw new DataValidationError('score calibration: no (score, label) pairs to fit on (the teacher has no training pairs)', { field: 'train' });
  for (let i = 0; i < scores.length; i++)
    if (!Number.isFinite(scores[i]!) || !Number.isFinite(labels[i]!)) throw new DataValidationError(`score calibration: pair ${i} is not finite (score ${scores[i]}, label ${labels[i]})`, { field: Number.isFinite(scores[i]!) ? 'label' : 'score' });
  const clamp = (v: number) => Math.min(scale.max, Math.max(scale.min, v));
  const map = kind === 'isotonic' ? isotonicMap(scores, labels) : linearMap(scores, labels);
  const apply = (s: number) => clamp(map(s));
  let se = 0;
  for (let i = 0; i < scores.length; i++) se += (apply(scores[i]!) - labels[i]!) ** 2;
  return { kind, pairs: scores.length, rmse: Math.sqrt(se / scores.length), apply };
}

/** Pool-adjacent-violators over the distinct scores; a score between two fitted ones takes the lower one's value. */
function isotonicMap(scores: ArrayLike<number>, labels: ArrayLike<number>): (s: number) => number {
  // Pool equal scores first: one point per distinct score (sum of labels, count).
  const byScore = new Map<number, { sum: number; n: number }>();
  for (let i = 0; i < scores.length; i++) {
    const p = byScore.get(scores[i]!);
    if (p) {
      p.sum += labels[i]!;
      p.n++;
    } else byScore.set(scores[i]!, { sum: labels[i]!, n: 1 });
  }
  const points = [...byScore.entries()].sort((a, b) => a[0] - b[0]);
  // Blocks: start score, summed labels, weight; merged while a block's mean is below its predecessor's.
  const start: number[] = [];
  const sum: number[] = [];
  const weight: number[] = [];
  for (const [s, p] of points) {
    start.push(s);
    sum.push(p.sum);
    weight.push(p.n);
    while (start.length > 1) {
      const k = start.length - 1;
      if (sum[k - 1]! / weight[k - 1]! <= sum[k]! / weight[k]!) break;
      sum[k - 1]! += sum[k]!;
      weight[k - 1]! += weight[k]!;
      start.pop();
      sum.pop();
      weight.pop();
    }
  }
  const value = start.map((_, k) => sum[k]! / weight[k]!);
  return (s: number) => {
    // The last block starting at or below s (binary search); below the first block, the first value.
    let lo = 0;
    let hi = start.length - 1;
    if (!(s >= start[0]!)) return value[0]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (start[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return value[lo]!;
  };
}

function linearMap(scores: ArrayLike<number>, labels: ArrayLike<number>): (s: number) => number {
  const n = scores.length;
  let ms = 0;
  let ml = 0;
  for (let i = 0; i < n; i++) {
    ms += scores[i]!;
    ml += labels[i]!;
  }
  ms /= n;
  ml /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (scores[i]! - ms) * (labels[i]! - ml);
    sxx += (scores[i]! - ms) ** 2;
  }
  const slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  return (s: number) => ml + slope * (s - ms);
}

/**
 * The teacher's calibration: its scores of every product of the given (training) groups, each
 * group scored as one query, against their real labels.
 */
export function fitTeacherCalibration(teacher: SearchRanker, train: readonly QueryGroup[], products: ReadonlyMap<string, Product>, kind: ScoreCalibrationKind, scale: LabelScale): ScoreCalibration {
  const scores: number[] = [];
  const labels: number[] = [];
  for (const g of train) {
    const s = teacher.score({ query: g.query, productIds: g.productIds }, products);
    for (let i = 0; i < g.productIds.length; i++) {
      scores.push(s[i]!);
      labels.push(g.labels[i]!);
    }
  }
  return fitScoreCalibration(scores, labels, kind, scale);
}
