/**
 * Feature rows for the small logistic models of the reports (detection and the default utility
 * task): numerical/datetime columns as numbers (missing → the reference mean, plus a missing flag
 * where any table has gaps), optionally their squares, and one-hot blocks for categorical and
 * boolean columns limited to the `maxLevels` most frequent reference levels (the most frequent
 * one is the baseline without a column) plus "other" where needed. id
 * columns are never one-hot encoded: they are left out (stated in the report's `excluded`).
 */
import type { Table } from '../../data/table.ts';
import { categoryKey, isNumericType, numericValues, type ReportColumn } from './columns.ts';

export interface EncoderOptions {
  /** One-hot levels kept per categorical column (the most frequent in the reference table); the rest share an "other" slot. */
  readonly maxLevels: number;
  /** Add the square of each standardized numeric feature, so a linear model can see spread, not only location. */
  readonly squares: boolean;
}

type Block =
  | { kind: 'numeric'; column: ReportColumn; mean: number; std: number; missingFlag: boolean; square: boolean }
  | { kind: 'onehot'; column: ReportColumn; levels: Map<string, number>; baseline: string; other: boolean };

export interface TableEncoder {
  readonly width: number;
  readonly featureNames: readonly string[];
  /** Columns that are not features, with the reason. */
  readonly excluded: readonly { column: string; reason: string }[];
  encode(table: Table, label: string): Float64Array;
}

/**
 * Fits the encoder on `reference` (levels, means); `others` only decide whether a missing flag is
 * needed, so every table gets the same columns.
 */
export function fitTableEncoder(reference: Table, others: readonly Table[], columns: readonly ReportColumn[], opts: EncoderOptions): TableEncoder {
  const blocks: Block[] = [];
  const names: string[] = [];
  const excluded: { column: string; reason: string }[] = [];
  for (const column of columns) {
    const t = column.meta.type;
    if (t === 'id') {
      excluded.push({ column: column.name, reason: 'id column: never one-hot encoded' });
      continue;
    }
    if (isNumericType(t)) {
      const v = numericValues(reference, column, 'reference');
      let n = 0;
      let mean = 0;
      let gaps = false;
      for (let i = 0; i < v.length; i++) {
        if (Number.isNaN(v[i]!)) gaps = true;
        else mean += (v[i]! - mean) / ++n;
      }
      let ss = 0;
      for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i]!)) ss += (v[i]! - mean) ** 2;
      const std = n > 1 && ss > 0 ? Math.sqrt(ss / n) : 1;
      for (const o of others) {
        const cells = o.data[column.name]!;
        for (let i = 0; i < o.rowCount && !gaps; i++) if (cells[i] === null) gaps = true;
      }
      blocks.push({ kind: 'numeric', column, mean, std, missingFlag: gaps, square: opts.squares });
      names.push(column.name);
      if (opts.squares) names.push(`${column.name}^2`);
      if (gaps) names.push(`${column.name}=missing`);
      continue;
    }
    const counts = new Map<string, number>();
    const cells = reference.data[column.name]!;
    for (let i = 0; i < reference.rowCount; i++) {
      const k = categoryKey(cells[i] ?? null);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // Most frequent first; ties keep first-seen order (Map order), so the encoding is deterministic.
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const kept = ranked.slice(0, opts.maxLevels);
    // The most frequent level is the baseline (no column; the intercept carries it), so a boolean
    // is one feature; an "other" slot exists only if some table has a level outside the kept ones.
    const levels = new Map<string, number>(kept.slice(1).map(([k], i) => [k, i]));
    const keptKeys = new Set(kept.map(([k]) => k));
    let other = ranked.length > kept.length;
    for (const o of others) {
      const oc = o.data[column.name]!;
      for (let i = 0; i < o.rowCount && !other; i++) if (!keptKeys.has(categoryKey(oc[i] ?? null))) other = true;
    }
    blocks.push({ kind: 'onehot', column, levels, baseline: kept[0]?.[0] ?? '', other });
    for (const [k] of kept.slice(1)) names.push(`${column.name}=${k === '\u0000null' ? '(missing)' : k}`);
    if (other) names.push(`${column.name}=(other)`);
  }
  const width = names.length;
  return {
    width,
    featureNames: names,
    excluded,
    encode(table: Table, label: string): Float64Array {
      const n = table.rowCount;
      const X = new Float64Array(n * width);
      let off = 0;
      for (const b of blocks) {
        if (b.kind === 'numeric') {
          const v = numericValues(table, b.column, label);
          for (let i = 0; i < n; i++) {
            const miss = Number.isNaN(v[i]!);
            const z = miss ? 0 : (v[i]! - b.mean) / b.std;
            let j = off;
            X[i * width + j++] = z;
            if (b.square) X[i * width + j++] = z * z;
            if (b.missingFlag) X[i * width + j] = miss ? 1 : 0;
          }
          off += 1 + (b.square ? 1 : 0) + (b.missingFlag ? 1 : 0);
        } else {
          const cells = table.data[b.column.name]!;
          const otherSlot = b.levels.size;
          for (let i = 0; i < n; i++) {
            const key = categoryKey(cells[i] ?? null);
            const lv = b.levels.get(key);
            if (lv !== undefined) X[i * width + off + lv] = 1;
            else if (b.other && key !== b.baseline) X[i * width + off + otherSlot] = 1;
          }
          off += b.levels.size + (b.other ? 1 : 0);
        }
      }
      return X;
    },
  };
}

/** Feature rows for the boosted-trees detector: one feature per non-id column. */
export interface TreeEncoder {
  readonly width: number;
  /** The source column of every feature (here one each). */
  readonly columns: readonly string[];
  encode(table: Table, label: string): Float64Array;
}

/**
 * Numerical/datetime columns as their values (missing → NaN, which the trees route on their
 * own); categorical and boolean columns as the frequency rank of the level in `reference` (0 = most
 * frequent, ties in first-seen order), every level absent from the reference sharing the next
 * code. Trees split ranks into groups of levels, so no one-hot block or level cap is needed.
 */
export function fitTreeEncoder(reference: Table, columns: readonly ReportColumn[]): TreeEncoder {
  const used = columns.filter((c) => c.meta.type !== 'id');
  const ranks = used.map((column) => {
    if (isNumericType(column.meta.type)) return null;
    const counts = new Map<string, number>();
    const cells = reference.data[column.name]!;
    for (let i = 0; i < reference.rowCount; i++) {
      const k = categoryKey(cells[i] ?? null);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return new Map([...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k], r) => [k, r]));
  });
  const width = used.length;
  return {
    width,
    columns: used.map((c) => c.name),
    encode(table: Table, label: string): Float64Array {
      const n = table.rowCount;
      const X = new Float64Array(n * width);
      used.forEach((column, j) => {
        const rank = ranks[j];
        if (!rank) {
          const v = numericValues(table, column, label);
          for (let i = 0; i < n; i++) X[i * width + j] = v[i]!;
          return;
        }
        const cells = table.data[column.name]!;
        for (let i = 0; i < n; i++) X[i * width + j] = rank.get(categoryKey(cells[i] ?? null)) ?? rank.size;
      });
      return X;
    },
  };
}
