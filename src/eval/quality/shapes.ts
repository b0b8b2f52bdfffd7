/** Column shapes: how well each synthetic column's marginal distribution matches the real one. */
import type { ColumnType, Table } from '../../data/table.ts';
import { CategoryCoder, codeCounts, isNumericType, numericValues, presentSorted, type ReportColumn } from './columns.ts';
import { metricValue, type MetricValue } from './metric.ts';
import { ksStatistic, totalVariation } from '../../stats/index.ts';

/**
 * How id columns are scored. 'profile' (default): ids are exchangeable labels, so compare how many
 * rows each distinct id has (the skew), not which ids; 'identity': TV complement on the id values
 * themselves (right when ids are shared vocabulary, e.g. item ids in a recommender log); 'skip'.
 */
export type IdColumnMode = 'profile' | 'identity' | 'skip';

export interface ColumnShape {
  readonly column: string;
  readonly type: ColumnType;
  /** null when the column is skipped (see `skipped`). */
  readonly score: MetricValue | null;
  readonly skipped?: string;
  /** Share of missing cells, real and synthetic (missing cells are left out of KS; they are a category of their own for TV). */
  readonly missingShare: { readonly real: number; readonly synthetic: number };
}

export function columnShape(real: Table, synthetic: Table, column: ReportColumn, idMode: IdColumnMode): ColumnShape {
  const type = column.meta.type;
  const missingShare = { real: missing(real, column.name), synthetic: missing(synthetic, column.name) };
  if (isNumericType(type)) {
    const a = presentSorted(numericValues(real, column, 'real'));
    const b = presentSorted(numericValues(synthetic, column, 'synthetic'));
    return { column: column.name, type, score: metricValue('KSComplement', 1 - ksStatistic(a, b)), missingShare };
  }
  if (type === 'id') {
    if (idMode === 'skip') return { column: column.name, type, score: null, skipped: 'id column (idColumns: skip)', missingShare };
    if (idMode === 'profile') return { column: column.name, type, score: metricValue('FrequencyProfileSimilarity', frequencyProfileSimilarity(real, synthetic, column.name)), missingShare };
  }
  const coder = new CategoryCoder();
  const ca = coder.codes(real, column.name);
  const cb = coder.codes(synthetic, column.name);
  const tv = totalVariation(codeCounts(ca, coder.size), codeCounts(cb, coder.size));
  return { column: column.name, type, score: metricValue('TVComplement', 1 - tv), missingShare };
}

/** 1 − TV between the descending-sorted per-id shares of two columns (padded with zeros to equal length). */
export function frequencyProfileSimilarity(real: Table, synthetic: Table, column: string): number {
  const profile = (t: Table): Float64Array => {
    const coder = new CategoryCoder();
    const codes = coder.codes(t, column);
    return codeCounts(codes, coder.size).sort().reverse();
  };
  return 1 - totalVariation(profile(real), profile(synthetic));
}

function missing(t: Table, column: string): number {
  if (t.rowCount === 0) return 0;
  const cells = t.data[column]!;
  let k = 0;
  for (let i = 0; i < t.rowCount; i++) if (cells[i] === null || cells[i] === undefined) k++;
  return k / t.rowCount;
}
