/** Mean and sample standard deviation (n - 1); std is 0 for a single value. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0 };
  const v = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
}

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
