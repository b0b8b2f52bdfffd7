/**
 * Rare categories: the values a synthesizer most easily drops. For every categorical or boolean
 * column, and every integer column with few distinct values (counts such as "number of genres"),
 * each value that is rare in the real rows (share below `threshold`) is compared with its share in
 * the synthetic rows. A value the synthetic rows never produce, or produce at less than half or
 * more than twice the real rate, is counted as missed; the score is the share that is not.
 */
import type { Table } from '../../data/table.ts';
import { categoryKey, type ReportColumn } from './columns.ts';
import { metricValue, type MetricValue } from './metric.ts';

export interface RareCategory {
  readonly column: string;
  readonly value: string;
  readonly realShare: number;
  readonly syntheticShare: number;
  /** syntheticShare / realShare: 1 is exact, 0 is never produced. */
  readonly ratio: number;
}

export interface RareCategoryReport {
  /** null when the real rows have no rare category. */
  readonly score: MetricValue | null;
  readonly threshold: number;
  /** Rare categories, worst ratio first (never produced first). */
  readonly categories: readonly RareCategory[];
  readonly neverProduced: number;
  readonly outside2x: number;
}

/** Integer columns with at most this many distinct values are counted as categories too. */
const MAX_LEVELS = 50;

function shares(table: Table, column: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of table.data[column]!) counts.set(categoryKey(c ?? null), (counts.get(categoryKey(c ?? null)) ?? 0) + 1);
  for (const [k, v] of counts) counts.set(k, v / Math.max(1, table.rowCount));
  return counts;
}

export function rareCategoryCoverage(real: Table, synthetic: Table, columns: readonly ReportColumn[], threshold = 0.01): RareCategoryReport {
  const categories: RareCategory[] = [];
  for (const col of columns) {
    const t = col.meta.type;
    if (t !== 'categorical' && t !== 'boolean' && !(t === 'numerical' && col.meta.integer === true)) continue;
    const realShares = shares(real, col.name);
    if (t === 'numerical' && realShares.size > MAX_LEVELS) continue;
    const synShares = shares(synthetic, col.name);
    for (const [value, realShare] of realShares) {
      if (realShare >= threshold || value === categoryKey(null)) continue;
      const syntheticShare = synShares.get(value) ?? 0;
      categories.push({ column: col.name, value, realShare, syntheticShare, ratio: syntheticShare / realShare });
    }
  }
  categories.sort((a, b) => a.ratio - b.ratio || (a.column < b.column ? -1 : a.column > b.column ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const missed = categories.filter((c) => c.ratio < 0.5 || c.ratio > 2).length;
  return {
    score: categories.length ? metricValue('RareCategoryCoverage', 1 - missed / categories.length) : null,
    threshold,
    categories,
    neverProduced: categories.filter((c) => c.ratio === 0).length,
    outside2x: missed,
  };
}
