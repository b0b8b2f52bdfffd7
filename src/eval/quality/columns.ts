/**
 * Reading typed columns out of a Table for the reports: numerical and datetime columns as numbers
 * (NaN = missing), categorical, boolean and id columns as category keys. Shared by the fidelity,
 * detection, utility and privacy code so every report treats a column the same way.
 */
import { DataValidationError } from '../../core/errors.ts';
import type { Cell, ColumnMeta, ColumnType, Table, TableMetadata } from '../../data/table.ts';

/** Column kinds as the reports treat them. */
export function isNumericType(t: ColumnType): boolean {
  return t === 'numerical' || t === 'datetime';
}

export interface ReportColumn {
  readonly name: string;
  readonly meta: ColumnMeta;
}

/**
 * The columns a report measures: those of `first` that have metadata, in table order. Every other
 * table must have each of them (a synthetic table missing a column is a data error, not a score).
 */
export function reportColumns(metadata: TableMetadata, first: Table, others: readonly { label: string; table: Table }[], only?: readonly string[]): ReportColumn[] {
  const wanted = only ?? first.columns;
  const out: ReportColumn[] = [];
  for (const name of wanted) {
    const meta = metadata.columns[name];
    if (meta === undefined) {
      if (only !== undefined) throw new DataValidationError(`column '${name}' has no metadata`, { field: name });
      continue;
    }
    if (!(name in first.data)) throw new DataValidationError(`column '${name}' is missing from the real table`, { field: name });
    for (const o of others) if (!(name in o.table.data)) throw new DataValidationError(`column '${name}' is missing from the ${o.label} table`, { field: name });
    out.push({ name, meta });
  }
  return out;
}

/** Numbers of a numerical or datetime column; NaN marks a missing cell. Datetime strings are parsed (ms since epoch). */
export function numericValues(table: Table, column: ReportColumn, label: string): Float64Array {
  const cells = table.data[column.name]!;
  const out = new Float64Array(table.rowCount);
  for (let i = 0; i < table.rowCount; i++) out[i] = toNumber(cells[i] ?? null, column, label, i);
  return out;
}

function toNumber(c: Cell, column: ReportColumn, label: string, row: number): number {
  if (c === null) return Number.NaN;
  if (typeof c === 'number') {
    if (!Number.isFinite(c)) throw new DataValidationError(`${label} table: non-finite value ${c}`, { field: column.name, line: row + 1 });
    return c;
  }
  if (typeof c === 'boolean') return c ? 1 : 0;
  if (column.meta.type === 'datetime') {
    const t = Date.parse(c);
    if (Number.isFinite(t)) return t;
  } else {
    const t = Number(c);
    if (c.trim() !== '' && Number.isFinite(t)) return t;
  }
  throw new DataValidationError(`${label} table: '${c}' is not a ${column.meta.type} value`, { field: column.name, line: row + 1 });
}

/** The key a categorical, boolean or id cell is counted under; numbers and their string forms share a key. */
export function categoryKey(c: Cell): string {
  return c === null ? '\u0000null' : String(c);
}

/**
 * Integer codes for a categorical-like column across several tables: codes of the first table's
 * values come first (0..k−1 in first-seen order), then values only the other tables have.
 */
export class CategoryCoder {
  private readonly index = new Map<string, number>();
  readonly keys: string[] = [];

  code(c: Cell): number {
    const k = categoryKey(c);
    let v = this.index.get(k);
    if (v === undefined) {
      v = this.keys.length;
      this.index.set(k, v);
      this.keys.push(k);
    }
    return v;
  }

  /** Code of an already-seen value, or −1. */
  lookup(c: Cell): number {
    return this.index.get(categoryKey(c)) ?? -1;
  }

  get size(): number {
    return this.keys.length;
  }

  codes(table: Table, column: string): Int32Array {
    const cells = table.data[column]!;
    const out = new Int32Array(table.rowCount);
    for (let i = 0; i < table.rowCount; i++) out[i] = this.code(cells[i] ?? null);
    return out;
  }
}

/** Counts of codes 0..size−1. */
export function codeCounts(codes: Int32Array, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < codes.length; i++) out[codes[i]!]!++;
  return out;
}

/** Ascending-sorted non-missing values. */
export function presentSorted(values: Float64Array): Float64Array {
  let k = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) out[k++] = values[i]!;
  return out.subarray(0, k).sort();
}
