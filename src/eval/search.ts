/**
 * Search relevance metrics: one value per query group (kept, aligned with the groups, for paired
 * tests and segments) and their aggregates. Unlike the recommendation metrics (one held-out target,
 * metrics.ts), a query has several judged products with graded labels.
 *
 * Conventions (docs/guide/search.md):
 * - Gains are exponential over labels shifted so the scale's minimum gains nothing:
 *   gain = 2^(label − scale.min) − 1 (Home Depot 1–3: 0 … 3; fractional rater means allowed).
 *   Discount 1 / log2(rank + 2) for 0-based rank; NDCG@k = DCG@k / ideal DCG@k.
 * - A query whose ideal DCG is 0 (every product at the scale minimum) has NDCG 1 (no order can be
 *   better); a query whose products all share one label also gets 1 (every order is ideal). Such
 *   queries say nothing about a ranker — `informativeGroups` drops them, and the benchmarks report
 *   on informative queries only (≥ 2 distinct labels).
 * - Ties in scores are broken pessimistically: among equal scores, the lower label ranks first
 *   (then the group's product order). A ranker gains nothing from ties, so a constant scorer is
 *   not flattered by the order the products happen to be listed in.
 * - MRR: 1 / (rank + 1) of the first product whose label reaches the relevance threshold (default:
 *   three quarters up the scale, 2.5 on Home Depot's 1–3, 3.25 on a 1–4 scale); 0 when none does.
 * - RMSE against the labels, only for rankers whose scores are predictions on the label scale.
 *   Per query: that query's RMSE; aggregate: pooled over all (query, product) pairs (the Kaggle
 *   definition), which is not the mean of the per-query values.
 */
import { ModelStateError } from '../core/index.ts';
import type { LabelScale, QueryGroup } from '../data/search/types.ts';

/** A search metric: its name as written in results, which way is better, and its range. */
export interface SearchMetricSpec {
  readonly name: string;
  readonly direction: 'higher' | 'lower';
  readonly range: readonly [number, number];
  /** True when the metric reads scores as predicted labels (RMSE); needs `predictsLabels`. */
  readonly needsLabelPredictions: boolean;
  /** The metric's value on one query: scores and labels of its products, aligned. */
  perQuery(scores: ArrayLike<number>, labels: ArrayLike<number>, scale: LabelScale): number;
}

/** Product positions 0..n−1 in ranked order: score descending, ties by label ascending, then position. */
export function rankedOrder(scores: ArrayLike<number>, labels: ArrayLike<number>): Int32Array {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`search metrics: ${n} scores for ${labels.length} labels`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(scores[i]!)) throw new ModelStateError(`search metrics: the ranker gave a non-finite score (${scores[i]}) to product ${i} of a query`);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || labels[a]! - labels[b]! || a - b);
  return order;
}

export const gainOf = (label: number, scale: LabelScale): number => 2 ** (label - scale.min) - 1;

/** DCG@k of labels taken in `order` (k ≤ 0: the whole list). */
function dcg(labels: ArrayLike<number>, order: ArrayLike<number>, k: number, scale: LabelScale): number {
  const m = k > 0 ? Math.min(k, order.length) : order.length;
  let s = 0;
  for (let r = 0; r < m; r++) s += gainOf(labels[order[r]!]!, scale) / Math.log2(r + 2);
  return s;
}

/** NDCG@k with exponential gains over the shifted labels (k = 0: no cut-off). */
export function searchNdcgAtK(k: number): SearchMetricSpec {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`NDCG cut-off must be an integer ≥ 0, got ${k}`);
  return {
    name: k > 0 ? `NDCG@${k}` : 'NDCG',
    direction: 'higher',
    range: [0, 1],
    needsLabelPredictions: false,
    perQuery(scores, labels, scale) {
      const ideal = Array.from(labels).sort((a, b) => b - a);
      const idcg = dcg(ideal, Int32Array.from({ length: ideal.length }, (_, i) => i), k, scale);
      if (!(idcg > 0)) return 1;
      return dcg(labels, rankedOrder(scores, labels), k, scale) / idcg;
    },
  };
}

/** The default MRR relevance threshold: three quarters up the label scale. */
export const defaultRelevanceThreshold = (scale: LabelScale): number => scale.min + 0.75 * (scale.max - scale.min);

/** Reciprocal rank of the first product whose label ≥ threshold (default: defaultRelevanceThreshold); 0 when none. */
export function searchMrr(threshold?: number): SearchMetricSpec {
  return {
    name: 'MRR',
    direction: 'higher',
    range: [0, 1],
    needsLabelPredictions: false,
    perQuery(scores, labels, scale) {
      const t = threshold ?? defaultRelevanceThreshold(scale);
      const order = rankedOrder(scores, labels);
      for (let r = 0; r < order.length; r++) if (labels[order[r]!]! >= t) return 1 / (r + 1);
      return 0;
    },
  };
}

/** Root mean squared error of the scores as label predictions (per query; pooled over pairs in the aggregate). */
export const searchRmse: SearchMetricSpec = {
  name: 'RMSE',
  direction: 'lower',
  range: [0, Number.POSITIVE_INFINITY],
  needsLabelPredictions: true,
  perQuery(scores, labels) {
    if (scores.length !== labels.length) throw new RangeError(`search metrics: ${scores.length} scores for ${labels.length} labels`);
    let s = 0;
    for (let i = 0; i < scores.length; i++) {
      if (!Number.isFinite(scores[i]!)) throw new ModelStateError(`search metrics: the ranker gave a non-finite score (${scores[i]}) to product ${i} of a query`);
      s += (scores[i]! - labels[i]!) ** 2;
    }
    return scores.length ? Math.sqrt(s / scores.length) : 0;
  },
};

/** NDCG@5, NDCG@10 and MRR; plus RMSE when the scores are label predictions. */
export function defaultSearchMetrics(predictsLabels: boolean): SearchMetricSpec[] {
  return [searchNdcgAtK(5), searchNdcgAtK(10), searchMrr(), ...(predictsLabels ? [searchRmse] : [])];
}

export interface SearchEvaluation {
  /** Aggregates: the mean over queries, except RMSE (pooled over all pairs). */
  readonly means: Record<string, number>;
  /** Per-query values, aligned with the groups evaluated. */
  readonly perQuery: Record<string, Float64Array>;
  readonly queries: number;
  readonly pairs: number;
}

/**
 * Evaluates per-group scores (scores[g] aligned with groups[g].productIds) with `specs`.
 * A metric that needs label predictions is an error unless `predictsLabels` is true.
 */
export function evaluateSearch(
  groups: readonly QueryGroup[],
  scores: readonly ArrayLike<number>[],
  scale: LabelScale,
  specs: readonly SearchMetricSpec[] = defaultSearchMetrics(false),
  predictsLabels = specs.some((s) => s.needsLabelPredictions),
): SearchEvaluation {
  if (scores.length !== groups.length) throw new RangeError(`search metrics: ${scores.length} score lists for ${groups.length} query groups`);
  const means: Record<string, number> = {};
  const perQuery: Record<string, Float64Array> = {};
  let pairs = 0;
  for (const g of groups) pairs += g.labels.length;
  for (const spec of specs) {
    if (spec.needsLabelPredictions && !predictsLabels) throw new RangeError(`search metrics: ${spec.name} needs scores on the label scale, and this ranker's are not`);
    const v = new Float64Array(groups.length);
    let sum = 0;
    let sq = 0;
    groups.forEach((g, i) => {
      const s = scores[i]!;
      if (s.length !== g.labels.length) throw new RangeError(`search metrics: query '${g.key}' has ${g.labels.length} products but ${s.length} scores`);
      v[i] = spec.perQuery(s, g.labels, scale);
      sum += v[i]!;
      sq += v[i]! ** 2 * g.labels.length;
    });
    perQuery[spec.name] = v;
    means[spec.name] = spec === searchRmse ? (pairs > 0 ? Math.sqrt(sq / pairs) : 0) : groups.length ? sum / groups.length : 0;
  }
  return { means, perQuery, queries: groups.length, pairs };
}

/** Groups with at least two distinct labels: the only ones where the order of products matters. */
export function informativeGroups<G extends QueryGroup>(groups: readonly G[]): G[] {
  return groups.filter((g) => {
    for (let i = 1; i < g.labels.length; i++) if (g.labels[i] !== g.labels[0]) return true;
    return false;
  });
}
