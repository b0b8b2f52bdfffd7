import { meanStd } from '../stats/index.ts';

/** Per-metric mean ± sample std over several runs' metric records (e.g. one record per seed). */
export function meanStdByMetric(records: readonly Readonly<Record<string, number>>[], names: readonly string[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const name of names) {
    const ms = meanStd(records.map((r) => r[name]!));
    mean[name] = ms.mean;
    std[name] = ms.std;
  }
  return { mean, std };
}
