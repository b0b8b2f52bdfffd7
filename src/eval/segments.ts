/**
 * Per-segment comparisons: where does the treatment help, and where does it hurt? Segments label
 * each evaluation query (aligned with the split's cases and the per-query metric vectors);
 * `segmentedLift` then runs the paired comparison inside every segment and reports decreases with
 * the same prominence as increases.
 */
import { ConfigError } from '../core/index.ts';
import type { MetricSpec } from './metrics.ts';
import { pairedTTest } from '../stats/index.ts';
import { relativeLift } from './significance.ts';

function checkEdges(edges: readonly number[]): void {
  if (edges.length === 0) throw new ConfigError('history-length segments need at least one edge', { field: 'edges' });
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i]!;
    if (!Number.isInteger(e) || e < 0) throw new ConfigError(`history-length edges must be non-negative integers, got ${e}`, { field: 'edges' });
    if (i > 0 && e <= edges[i - 1]!) throw new ConfigError(`history-length edges must be strictly increasing, got ${edges.join(', ')}`, { field: 'edges' });
  }
}

/**
 * Names of the history-length segments for `edges`, in increasing order: edges [5, 10] give
 * '≤5', '6–10', '>10' (a bucket that holds a single length is named by that length, e.g. '6').
 */
export function historyLengthLabels(edges: readonly number[] = [5, 10]): string[] {
  checkEdges(edges);
  const names = [`≤${edges[0]}`];
  for (let i = 1; i < edges.length; i++) {
    const from = edges[i - 1]! + 1;
    const to = edges[i]!;
    names.push(from === to ? `${to}` : `${from}–${to}`);
  }
  names.push(`>${edges[edges.length - 1]}`);
  return names;
}

/**
 * Segment label of each query by its history length L (the number of items before the target):
 * L ≤ edges[0] → '≤e0'; edges[i−1] < L ≤ edges[i] → '(e_{i−1}+1)–e_i'; L > last edge → '>e_last'.
 * With the default edges [5, 10]: '≤5', '6–10', '>10'.
 */
export function segmentByHistoryLength(historyLengths: Int32Array, edges: readonly number[] = [5, 10]): string[] {
  return countBuckets(historyLengths, edges, 'history length');
}

/** Bucket label of each count by `edges`, named as historyLengthLabels names them. */
function countBuckets(counts: ArrayLike<number>, edges: readonly number[], what: string): string[] {
  const names = historyLengthLabels(edges);
  const out = new Array<string>(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!(c >= 0)) throw new ConfigError(`${what} of query ${i} is negative or not a number (${c})`);
    let k = 0;
    while (k < edges.length && c > edges[k]!) k++;
    out[i] = names[k]!;
  }
  return out;
}

/**
 * Segment label of each query by how often its target item occurs in training, bucketed by
 * `edges` and named as historyLengthLabels names them: with the default [5], '≤5' (the near-cold
 * items side information and augmentation are meant to help) and '>5'. Head/tail
 * (segmentByTargetPopularity) splits by rank; this splits by an absolute count, so the cold bucket
 * means the same on every dataset.
 */
export function segmentByTargetCount(targets: Int32Array, itemCounts: ArrayLike<number>, edges: readonly number[] = [5]): string[] {
  const counts = new Float64Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (t < 1 || t >= itemCounts.length) throw new ConfigError(`target of query ${i} is item ${t}, outside 1..${itemCounts.length - 1}`);
    counts[i] = itemCounts[t]!;
  }
  return countBuckets(counts, edges, 'target training count');
}

export type PopularitySegment = 'head' | 'tail';

/**
 * The head item set: item ids 1..N (N = itemCounts.length − 1; index 0 is the padding slot and is
 * ignored) are ordered by training count, descending, ties broken by lower id first; the head is
 * the first ⌈headShare × N⌉ of them (so at least one item whenever headShare > 0). Items with a
 * count of 0 are part of the catalogue and only reach the head if fewer than ⌈headShare × N⌉
 * items were ever seen. Returns a 0/1 mask indexed by item id.
 */
export function headItems(itemCounts: ArrayLike<number>, headShare = 0.2): Uint8Array {
  if (!(headShare >= 0 && headShare <= 1)) throw new ConfigError(`headShare must be in [0, 1], got ${headShare}`, { field: 'headShare' });
  const numItems = itemCounts.length - 1;
  if (numItems < 1) throw new ConfigError('itemCounts must be indexed by item id 1..numItems (index 0 is padding); got no items');
  const ids = new Int32Array(numItems);
  for (let i = 0; i < numItems; i++) {
    const c = itemCounts[i + 1]!;
    if (!Number.isFinite(c) || c < 0) throw new ConfigError(`training count of item ${i + 1} must be a finite non-negative number, got ${c}`);
    ids[i] = i + 1;
  }
  ids.sort((x, y) => itemCounts[y]! - itemCounts[x]! || x - y);
  // the 1e-9 keeps products like 0.3 × 10 = 3.0000000000000004 from rounding up to 4
  const headSize = headShare === 0 ? 0 : Math.max(1, Math.min(numItems, Math.ceil(headShare * numItems - 1e-9)));
  const mask = new Uint8Array(numItems + 1);
  for (let i = 0; i < headSize; i++) mask[ids[i]!] = 1;
  return mask;
}

/**
 * 'head' or 'tail' for each query by the training popularity of its target item, with the head
 * as defined by `headItems` (the ⌈headShare × numItems⌉ most-counted items, ties by lower id).
 * `itemCounts[id]` is the item's count in the training view (index 0 ignored).
 */
export function segmentByTargetPopularity(targets: Int32Array, itemCounts: ArrayLike<number>, headShare = 0.2): PopularitySegment[] {
  const mask = headItems(itemCounts, headShare);
  const out = new Array<PopularitySegment>(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (t < 1 || t >= mask.length) throw new ConfigError(`target of query ${i} is item ${t}, outside 1..${mask.length - 1}`);
    out[i] = mask[t] ? 'head' : 'tail';
  }
  return out;
}

export type SegmentVerdict = 'helps' | 'hurts' | 'no significant difference' | 'too few queries';

export interface SegmentLift {
  readonly segment: string;
  readonly n: number;
  /** Mean of the baseline (a) in this segment. */
  readonly meanA: number;
  /** Mean of the treatment (b) in this segment. */
  readonly meanB: number;
  /** meanB − meanA (raw, not direction-adjusted). */
  readonly diff: number;
  /** relativeLift(meanA, meanB, spec): positive = treatment better, whatever the metric direction. */
  readonly lift: number;
  /** Two-sided paired t-test p-value inside the segment (NaN with fewer than 2 queries). */
  readonly pValue: number;
  /** Holm-adjusted p-value over the segments reported together (controls the family-wise error). */
  readonly pHolm: number;
  /** 'helps' / 'hurts' when pHolm < alpha, by the direction-aware sign of the change. */
  readonly verdict: SegmentVerdict;
}

export interface SegmentedLiftOptions {
  /** Segment order of the report (and segments to include even when empty); default: first appearance. */
  readonly order?: readonly string[];
  /** Significance level of the verdicts (default 0.05). */
  readonly alpha?: number;
}

/** Holm step-down adjustment; NaN p-values are left NaN and not counted in the family. */
function holm(p: readonly number[]): number[] {
  const idx = p.map((_, i) => i).filter((i) => !Number.isNaN(p[i]!));
  idx.sort((x, y) => p[x]! - p[y]!);
  const m = idx.length;
  const out = p.map(() => Number.NaN);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p[i]!));
    out[i] = running;
  });
  return out;
}

/**
 * Paired comparison of baseline `a` and treatment `b` inside every segment: per segment its size,
 * both means, the raw and the direction-aware relative change, the paired t-test p-value and its
 * Holm adjustment across the reported segments, and a verdict that says 'hurts' exactly as it
 * says 'helps'. A segment with fewer than 2 queries has p = NaN and verdict 'too few queries'; a
 * segment named in `order` with no queries has n = 0 and NaN means.
 */
export function segmentedLift(a: Float64Array, b: Float64Array, labels: readonly string[], spec: Pick<MetricSpec, 'direction'> & Partial<Pick<MetricSpec, 'name'>>, options: SegmentedLiftOptions = {}): SegmentLift[] {
  if (a.length !== b.length || a.length !== labels.length) {
    throw new ConfigError(`segmentedLift needs aligned inputs: a has ${a.length} values, b ${b.length}, labels ${labels.length}`);
  }
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new ConfigError(`alpha must be in (0, 1), got ${alpha}`, { field: 'alpha' });
  const members = new Map<string, number[]>();
  for (const name of options.order ?? []) if (!members.has(name)) members.set(name, []);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let list = members.get(l);
    if (!list) {
      if (options.order) throw new ConfigError(`query ${i} has segment '${l}', which is not in the given order (${options.order.join(', ')})`);
      list = [];
      members.set(l, list);
    }
    list.push(i);
  }
  const rows = [...members].map(([segment, idx]) => {
    const n = idx.length;
    const sa = new Float64Array(n);
    const sb = new Float64Array(n);
    idx.forEach((q, j) => {
      sa[j] = a[q]!;
      sb[j] = b[q]!;
    });
    let meanA = Number.NaN;
    let meanB = Number.NaN;
    if (n > 0) {
      meanA = sa.reduce((s, v) => s + v, 0) / n;
      meanB = sb.reduce((s, v) => s + v, 0) / n;
    }
    const pValue = n >= 2 ? pairedTTest(sa, sb).pValue : Number.NaN;
    return { segment, n, meanA, meanB, diff: meanB - meanA, lift: n > 0 ? relativeLift(meanA, meanB, spec.direction) : Number.NaN, pValue };
  });
  const adjusted = holm(rows.map((r) => r.pValue));
  return rows.map((r, i): SegmentLift => {
    const pHolm = adjusted[i]!;
    const gain = spec.direction === 'lower' ? -r.diff : r.diff;
    const verdict: SegmentVerdict = Number.isNaN(pHolm) ? 'too few queries' : pHolm < alpha && gain !== 0 ? (gain > 0 ? 'helps' : 'hurts') : 'no significant difference';
    return { ...r, pHolm, verdict };
  });
}
