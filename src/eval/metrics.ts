/**
 * Ranking metrics computed from the 0-based rank of the single held-out target among the
 * candidates (rank 0 = top). Every metric declares its name, direction and range so reports can
 * say which way is better without guessing.
 */
export interface MetricSpec {
  readonly name: string;
  readonly direction: 'higher' | 'lower';
  readonly range: readonly [number, number];
  /** Per-query value from the target's 0-based rank. */
  readonly fromRank: (rank: number) => number;
}

export function hitRateAtK(k: number): MetricSpec {
  return { name: `HR@${k}`, direction: 'higher', range: [0, 1], fromRank: (r) => (r < k ? 1 : 0) };
}

/** With one relevant item, IDCG = 1, so NDCG@k = 1/log2(rank + 2) inside the cut-off. */
export function ndcgAtK(k: number): MetricSpec {
  return { name: `NDCG@${k}`, direction: 'higher', range: [0, 1], fromRank: (r) => (r < k ? 1 / Math.log2(r + 2) : 0) };
}

/** Mean reciprocal rank over the full ranking (no cut-off), as S3-Rec reports it. */
export const meanReciprocalRank: MetricSpec = { name: 'MRR', direction: 'higher', range: [0, 1], fromRank: (r) => 1 / (r + 1) };

export function mrrAtK(k: number): MetricSpec {
  return { name: `MRR@${k}`, direction: 'higher', range: [0, 1], fromRank: (r) => (r < k ? 1 / (r + 1) : 0) };
}

export const DEFAULT_KS = [5, 10, 20] as const;

export function defaultMetrics(ks: readonly number[] = DEFAULT_KS): MetricSpec[] {
  return [...ks.map(hitRateAtK), ...ks.map(ndcgAtK), meanReciprocalRank];
}

/** Per-query metric vectors (kept for significance tests and segments) and their means. */
export function metricsFromRanks(ranks: Int32Array, specs: readonly MetricSpec[]): { means: Record<string, number>; perQuery: Record<string, Float64Array> } {
  const means: Record<string, number> = {};
  const perQuery: Record<string, Float64Array> = {};
  for (const spec of specs) {
    const v = new Float64Array(ranks.length);
    let s = 0;
    for (let i = 0; i < ranks.length; i++) {
      v[i] = spec.fromRank(ranks[i]!);
      s += v[i]!;
    }
    perQuery[spec.name] = v;
    means[spec.name] = ranks.length ? s / ranks.length : 0;
  }
  return { means, perQuery };
}
