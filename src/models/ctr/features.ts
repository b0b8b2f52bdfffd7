/**
 * Field encoding for CTR models: every column becomes one *field* with a small vocabulary, and a
 * row becomes F integer indices into one shared index space (field offsets added), so an id
 * column costs one embedding row per distinct id — never a one-hot block.
 *
 * - categorical / boolean / id columns: one index per token seen in training; index 0 of the
 *   field is "missing or unseen". Ids seen fewer than `minIdCount` times also map to 0, so that
 *   row is trained and new users/items at test time get a learnt average rather than noise.
 * - numerical / datetime columns: quantile buckets learnt on the training rows (index 0 = missing).
 *   Bucketing lets synthetic rows with out-of-range or non-integer values fall into the edge
 *   buckets instead of extrapolating a linear weight.
 */
import { DataValidationError, ModelStateError } from '../../core/index.ts';
import type { Cell, ColumnType, Table, TableMetadata } from '../../data/index.ts';

export interface CtrField {
  readonly column: string;
  readonly kind: 'token' | 'bucket';
  /** token fields: the tokens with their own index (1 + position). */
  readonly tokens?: readonly string[];
  /** bucket fields: ascending inner edges; value v goes to bucket 1 + #{edges ≤ v}. */
  readonly edges?: readonly number[];
  /** Index count of this field, including index 0. */
  readonly size: number;
  readonly offset: number;
}

export interface CtrEncoderState {
  readonly label: string;
  readonly fields: readonly CtrField[];
  readonly vocabSize: number;
}

export interface CtrEncoderOptions {
  /** Quantile buckets per numerical column (default 10). */
  readonly buckets?: number;
  /** Ids seen fewer times than this in training share the "unseen" index (default 2). */
  readonly minIdCount?: number;
}

export interface EncodedRows {
  readonly n: number;
  readonly numFields: number;
  /** Row-major [n, numFields] global indices. */
  readonly ids: Int32Array;
  /** 0/1 labels (present when the table has the label column). */
  readonly labels: Float32Array | null;
}

function numericValue(cell: Cell, type: ColumnType): number | null {
  if (cell === null) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (type === 'datetime') {
    const t = Date.parse(cell);
    return Number.isFinite(t) ? t / 1000 : null;
  }
  const v = Number(cell);
  return cell.trim() !== '' && Number.isFinite(v) ? v : null;
}

function tokenOf(cell: Cell): string | null {
  if (cell === null) return null;
  return typeof cell === 'string' ? cell : String(cell);
}

/** 0/1 from a label cell; anything else is a DataValidationError naming the row. */
export function labelValue(cell: Cell, label: string, row: number): 0 | 1 {
  if (cell === true || cell === 1 || cell === '1' || cell === 'true' || cell === 'True') return 1;
  if (cell === false || cell === 0 || cell === '0' || cell === 'false' || cell === 'False') return 0;
  throw new DataValidationError(`label must be true/false or 1/0, got ${JSON.stringify(cell)} (row ${row + 1})`, { field: label, line: row + 1 });
}

export class CtrFeatureEncoder {
  private constructor(readonly state: CtrEncoderState) {}

  get numFields(): number {
    return this.state.fields.length;
  }

  get vocabSize(): number {
    return this.state.vocabSize;
  }

  /** Learns the fields from the training table: every column but the label is a feature. */
  static fit(train: Table, metadata: TableMetadata, label: string, options: CtrEncoderOptions = {}): CtrFeatureEncoder {
    const buckets = options.buckets ?? 10;
    const minIdCount = options.minIdCount ?? 2;
    if (!train.columns.includes(label)) throw new DataValidationError(`the training table has no label column '${label}'`, { field: label });
    if (train.rowCount === 0) throw new DataValidationError('the training table has no rows');
    const fields: CtrField[] = [];
    let offset = 0;
    for (const column of train.columns) {
      if (column === label) continue;
      const meta = metadata.columns[column];
      if (meta === undefined) throw new DataValidationError(`column '${column}' has no metadata`, { field: column });
      const cells = train.data[column]!;
      let field: CtrField;
      if (meta.type === 'numerical' || meta.type === 'datetime') {
        const values: number[] = [];
        for (const c of cells) {
          const v = numericValue(c, meta.type);
          if (v !== null) values.push(v);
        }
        values.sort((a, b) => a - b);
        const edges: number[] = [];
        for (let q = 1; q < buckets && values.length > 0; q++) {
          const e = values[Math.min(values.length - 1, Math.floor((q * values.length) / buckets))]!;
          // Equal quantiles (a heavy value) collapse into one edge.
          if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
        }
        field = { column, kind: 'bucket', edges, size: edges.length + 2, offset };
      } else {
        const counts = new Map<string, number>();
        for (const c of cells) {
          const t = tokenOf(c);
          if (t !== null) counts.set(t, (counts.get(t) ?? 0) + 1);
        }
        const min = meta.type === 'id' ? minIdCount : 1;
        // Sorted, so the encoding does not depend on row order.
        const tokens = [...counts].filter(([, n]) => n >= min).map(([t]) => t).sort();
        field = { column, kind: 'token', tokens, size: tokens.length + 1, offset };
      }
      fields.push(field);
      offset += field.size;
    }
    return new CtrFeatureEncoder({ label, fields, vocabSize: offset });
  }

  static fromState(state: CtrEncoderState): CtrFeatureEncoder {
    let offset = 0;
    for (const f of state.fields) {
      if (f.offset !== offset || !(f.size >= 1)) throw new ModelStateError(`saved encoder field '${f.column}' is inconsistent`);
      offset += f.size;
    }
    if (offset !== state.vocabSize) throw new ModelStateError('saved encoder vocabulary size is inconsistent');
    return new CtrFeatureEncoder(state);
  }

  /** Encodes a table; its columns must include every feature column (extra columns are ignored). */
  encode(table: Table, requireLabel = false): EncodedRows {
    const n = table.rowCount;
    const F = this.state.fields.length;
    const ids = new Int32Array(n * F);
    this.state.fields.forEach((f, j) => {
      const cells = table.data[f.column];
      if (cells === undefined) throw new DataValidationError(`the table has no feature column '${f.column}' (the model was trained with it)`, { field: f.column });
      if (f.kind === 'token') {
        const index = new Map<string, number>();
        f.tokens!.forEach((t, k) => index.set(t, k + 1));
        for (let i = 0; i < n; i++) {
          const t = tokenOf(cells[i] ?? null);
          ids[i * F + j] = f.offset + (t === null ? 0 : index.get(t) ?? 0);
        }
      } else {
        const edges = f.edges!;
        for (let i = 0; i < n; i++) {
          const v = numericValue(cells[i] ?? null, 'numerical');
          let b = 0;
          if (v !== null) {
            // Binary search: number of edges ≤ v.
            let lo = 0;
            let hi = edges.length;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (edges[mid]! <= v) lo = mid + 1;
              else hi = mid;
            }
            b = 1 + lo;
          }
          ids[i * F + j] = f.offset + b;
        }
      }
    });
    const labelCells = table.data[this.state.label];
    let labels: Float32Array | null = null;
    if (labelCells !== undefined) {
      labels = new Float32Array(n);
      for (let i = 0; i < n; i++) labels[i] = labelValue(labelCells[i] ?? null, this.state.label, i);
    } else if (requireLabel) {
      throw new DataValidationError(`the table has no label column '${this.state.label}'`, { field: this.state.label });
    }
    return { n, numFields: F, ids, labels };
  }
}
