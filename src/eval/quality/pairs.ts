/** Column-pair trends: do pairs of synthetic columns move together the way real ones do? */
import type { Table } from '../../data/table.ts';
import { CategoryCoder, isNumericType, numericValues, presentSorted, type ReportColumn } from './columns.ts';
import { metricValue, type MetricValue } from './metric.ts';
import { pearson, quantileSorted, totalVariation, totalVariationMaps } from '../../stats/index.ts';

export interface ColumnPairTrend {
  readonly columns: readonly [string, string];
  readonly score: MetricValue;
  /** CorrelationSimilarity: the two Pearson correlations. */
  readonly real?: number;
  readonly synthetic?: number;
  /** Two categorical/boolean columns: Cramér's V of the real and of the synthetic rows. */
  readonly cramersV?: { readonly real: number; readonly synthetic: number };
}

export interface SkippedPair {
  readonly columns: readonly [string, string];
  readonly reason: string;
}

/** A column prepared once for all the pairs it is in. */
interface PreparedColumn {
  readonly column: ReportColumn;
  readonly numeric: boolean;
  /** Numeric columns: raw values (NaN = missing), for correlations. */
  readonly realValues?: Float64Array;
  readonly synValues?: Float64Array;
  /** Codes for contingency tables: categories, or numeric values binned at the real data's quantiles (missing = its own bin). */
  readonly realCodes: Int32Array;
  readonly synCodes: Int32Array;
  readonly levels: number;
}

export function prepareColumn(real: Table, synthetic: Table, column: ReportColumn, bins: number): PreparedColumn {
  if (isNumericType(column.meta.type)) {
    const rv = numericValues(real, column, 'real');
    const sv = numericValues(synthetic, column, 'synthetic');
    const edges = quantileEdges(presentSorted(rv), bins);
    return { column, numeric: true, realValues: rv, synValues: sv, realCodes: binCodes(rv, edges), synCodes: binCodes(sv, edges), levels: edges.length + 2 };
  }
  const coder = new CategoryCoder();
  const realCodes = coder.codes(real, column.name);
  const synCodes = coder.codes(synthetic, column.name);
  return { column, numeric: false, realCodes, synCodes, levels: coder.size };
}

/** Distinct interior cut points at the i/bins quantiles of the (sorted) real values. */
export function quantileEdges(sorted: Float64Array, bins: number): Float64Array {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = quantileSorted(sorted, i / bins);
    if (Number.isFinite(q) && (edges.length === 0 || q > edges[edges.length - 1]!)) edges.push(q);
  }
  return Float64Array.from(edges);
}

/** Bin index = number of edges ≤ value (0..edges.length); missing → edges.length + 1. */
export function binCodes(values: Float64Array, edges: Float64Array): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      out[i] = edges.length + 1;
      continue;
    }
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

export function pairTrend(a: PreparedColumn, b: PreparedColumn): ColumnPairTrend | SkippedPair {
  const columns = [a.column.name, b.column.name] as const;
  if (a.numeric && b.numeric) {
    const rr = pearson(a.realValues!, b.realValues!);
    const rs = pearson(a.synValues!, b.synValues!);
    if (rr === null) return { columns, reason: 'correlation undefined on the real data (a constant column or fewer than 2 complete rows)' };
    // A constant synthetic column has no correlation; scoring it as ρ = 0 is the honest penalty.
    const s = rs ?? 0;
    return { columns, score: metricValue('CorrelationSimilarity', 1 - Math.abs(rr - s) / 2), real: rr, synthetic: s };
  }
  const score = metricValue('ContingencySimilarity', 1 - contingencyTV(a, b));
  if (a.numeric || b.numeric) return { columns, score };
  return { columns, score, cramersV: { real: cramersV(a.realCodes, b.realCodes, a.levels, b.levels), synthetic: cramersV(a.synCodes, b.synCodes, a.levels, b.levels) } };
}

/** Cramér's V of two coded columns: √(χ² / (n · (min(r, c) − 1))) over the levels that occur. */
export function cramersV(ca: Int32Array, cb: Int32Array, la: number, lb: number): number {
  const n = ca.length;
  if (n === 0) return 0;
  const ra = new Float64Array(la);
  const rb = new Float64Array(lb);
  const joint = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    ra[ca[i]!]!++;
    rb[cb[i]!]!++;
    const k = ca[i]! * lb + cb[i]!;
    joint.set(k, (joint.get(k) ?? 0) + 1);
  }
  const usedA = ra.filter((x) => x > 0).length;
  const usedB = rb.filter((x) => x > 0).length;
  const dof = Math.min(usedA, usedB) - 1;
  if (dof < 1) return 0;
  // χ²/n = Σ_observed o² / (e·n) − 1 (cells with o = 0 contribute e − 2o + o²/e summed to the −1 term).
  let s = 0;
  for (const [k, o] of joint) {
    const e = (ra[Math.floor(k / lb)]! * rb[k % lb]!) / n;
    s += (o * o) / e;
  }
  return Math.sqrt(Math.max(0, s / n - 1) / dof);
}

function contingencyTV(a: PreparedColumn, b: PreparedColumn): number {
  const kb = b.levels;
  const cells = a.levels * kb;
  if (cells <= 1 << 22) {
    const joint = (ca: Int32Array, cb: Int32Array): Float64Array => {
      const out = new Float64Array(cells);
      for (let i = 0; i < ca.length; i++) out[ca[i]! * kb + cb[i]!]!++;
      return out;
    };
    return totalVariation(joint(a.realCodes, b.realCodes), joint(a.synCodes, b.synCodes));
  }
  const joint = (ca: Int32Array, cb: Int32Array): Map<number, number> => {
    const out = new Map<number, number>();
    for (let i = 0; i < ca.length; i++) {
      const k = ca[i]! * kb + cb[i]!;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  };
  return totalVariationMaps(joint(a.realCodes, b.realCodes), joint(a.synCodes, b.synCodes));
}

export function isSkippedPair(p: ColumnPairTrend | SkippedPair): p is SkippedPair {
  return 'reason' in p;
}
