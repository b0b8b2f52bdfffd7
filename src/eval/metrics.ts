import { z } from 'zod';
import { ComponentRegistry, ConfigError, type ComponentEntry } from '../core/index.ts';

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

/** A metric family on the registry: its parameters (the cut-off k) and what every metric of it declares. */
export interface MetricEntry extends ComponentEntry<{ k: number }, MetricSpec> {
  readonly direction: 'higher' | 'lower';
  readonly range: readonly [number, number];
  /** How a metric of this family is written in results (`HR@10`): `prefix@k`, or `prefix` alone when k is 0. */
  readonly prefix: string;
}

const cutoff = (allowNone: boolean) => z.object({ k: z.number().int().min(allowNone ? 0 : 1).default(allowNone ? 0 : 10) }).strict();

/** Ranking metrics by family name; `metricFromName('NDCG@20')` reads a result column back into its spec. */
export const metrics = new ComponentRegistry<MetricSpec, MetricEntry>('metric');
metrics.add({ name: 'hr', prefix: 'HR', description: 'hit rate: 1 when the target ranks in the top k', direction: 'higher', range: [0, 1], schema: cutoff(false), defaults: { k: 10 }, create: (p) => hitRateAtK(cutoff(false).parse(p).k) });
metrics.add({ name: 'ndcg', prefix: 'NDCG', description: 'normalised DCG with one relevant item: 1/log2(rank + 2) inside the top k', direction: 'higher', range: [0, 1], schema: cutoff(false), defaults: { k: 10 }, create: (p) => ndcgAtK(cutoff(false).parse(p).k) });
metrics.add({
  name: 'mrr', prefix: 'MRR', description: 'reciprocal rank of the target (k = 0: no cut-off)', direction: 'higher', range: [0, 1], schema: cutoff(true), defaults: { k: 0 },
  create: (p) => {
    const k = cutoff(true).parse(p).k;
    return k === 0 ? meanReciprocalRank : mrrAtK(k);
  },
});

/** The spec of a metric written as in results (`HR@10`, `NDCG@20`, `MRR`, `MRR@10`); anything else is a ConfigError listing the families. */
export function metricFromName(name: string, field = 'metric'): MetricSpec {
  const m = /^([A-Za-z]+)(?:@(\d+))?$/.exec(name);
  const entry = m ? metrics.entries().find((e) => e.prefix === m[1]) : undefined;
  if (!m || !entry || (m[2] === undefined && entry.defaults.k !== 0)) throw new ConfigError(`unknown metric '${name}'; expected one of: ${metrics.entries().map((e) => `${e.prefix}@k`).join(', ')}, MRR`, { field });
  return metrics.create(entry.name, m[2] !== undefined ? { k: Number(m[2]) } : {}, [field]);
}
