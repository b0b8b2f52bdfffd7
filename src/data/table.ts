/**
 * Feature tables (one row per entity or event, typed columns) for synthesis, fidelity and privacy
 * reports and CTR-style tasks. Columnar, because every consumer works a column at a time
 * (marginals, encoders, KS tests); row helpers exist for readers and writers.
 */

/** One cell. `null` is a missing value; numbers are finite (NaN/Infinity are rejected by readers). */
export type Cell = number | string | boolean | null;

export interface Table {
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** Column name → its cells, each array of length rowCount. */
  readonly data: Readonly<Record<string, readonly Cell[]>>;
}

/**
 * Semantic column types. `id` columns (user/item ids, keys) are high-cardinality identifiers:
 * synthesizers never one-hot encode them (embed, hash, bucket, or resample them instead).
 */
export type ColumnType = 'categorical' | 'numerical' | 'datetime' | 'id' | 'boolean';

export interface ColumnMeta {
  readonly type: ColumnType;
  /** Numerical: whether values are integers (rounded on output). */
  readonly integer?: boolean;
  /** Datetime: how values are written ('unix-seconds', 'unix-ms', or an ISO-8601 string format 'iso'). */
  readonly datetimeFormat?: 'unix-seconds' | 'unix-ms' | 'iso';
  /** Set when the type was given by the user rather than detected. */
  readonly overridden?: boolean;
}

export interface TableMetadata {
  readonly columns: Readonly<Record<string, ColumnMeta>>;
  /** Optional primary key (an `id` column unique per row). */
  readonly primaryKey?: string;
}

export function tableFromRows(columns: readonly string[], rows: readonly (readonly Cell[])[]): Table {
  const data: Record<string, Cell[]> = {};
  columns.forEach((c, j) => {
    const col = new Array<Cell>(rows.length);
    for (let i = 0; i < rows.length; i++) col[i] = rows[i]![j] ?? null;
    data[c] = col;
  });
  return { columns: [...columns], rowCount: rows.length, data };
}

export function tableRow(table: Table, i: number): Cell[] {
  return table.columns.map((c) => table.data[c]![i] ?? null);
}

export function selectRows(table: Table, indices: ArrayLike<number>): Table {
  const data: Record<string, Cell[]> = {};
  for (const c of table.columns) {
    const src = table.data[c]!;
    const col = new Array<Cell>(indices.length);
    for (let i = 0; i < indices.length; i++) col[i] = src[indices[i]!] ?? null;
    data[c] = col;
  }
  return { columns: [...table.columns], rowCount: indices.length, data };
}

export function concatTables(a: Table, b: Table): Table {
  if (a.columns.join('\u0000') !== b.columns.join('\u0000')) {
    throw new Error(`cannot concatenate tables with different columns: [${a.columns.join(', ')}] vs [${b.columns.join(', ')}]`);
  }
  const data: Record<string, Cell[]> = {};
  for (const c of a.columns) data[c] = [...a.data[c]!, ...b.data[c]!];
  return { columns: [...a.columns], rowCount: a.rowCount + b.rowCount, data };
}
