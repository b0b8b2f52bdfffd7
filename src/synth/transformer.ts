/**
 * The data transformer shared by CTGAN and TVAE (Xu et al. 2019, §4.2): a table becomes a dense
 * float matrix whose column spans each carry an output activation, and back.
 *
 * - numerical / datetime: mode-specific normalisation. A variational Gaussian mixture (gmm.ts) is
 *   fitted per column; a value is encoded as a scalar (x − μ_k) / (4 σ_k) (a `tanh` span of width
 *   1) and a one-hot of the mode k (a `softmax` span), k sampled by its posterior probability.
 *   Nulls get one extra slot in the mode one-hot.
 * - categorical / boolean: one-hot over the training values (null is a value of its own).
 * - id: never one-hot (one column per user/item id is what blows up memory). Ids are ranked by
 *   training frequency and cut into at most `idBuckets` buckets of about equal row mass; the
 *   model sees a one-hot of the bucket, and decoding draws an id inside the bucket by its training
 *   frequency. Popular ids get buckets of their own, the long tail shares buckets, and memory is
 *   O(distinct ids) for the lookup, O(buckets) per row. See docs/decisions/gan-vae.md.
 *
 * Decoding is the exact inverse for numerical, datetime, categorical and boolean cells (up to float32
 * rounding of the scalar); id cells come back as an id of the same bucket. Numerical and datetime
 * cells are written at the resolution and in the text format learned at fit time (resolution.ts).
 */
import { ConfigError, DataValidationError, type Rng } from '../core/index.ts';
import { parseIsoMs, type Cell, type ColumnType, type Table, type TableMetadata } from '../data/index.ts';
import type { ColumnSpan } from '../nn/index.ts';
import { formatValue, learnValueFormat, type ValueFormat } from './resolution.ts';
import { componentLogPosterior, fitGaussianMixture1D, type GaussianMixture1D, type GmmOptions } from './gmm.ts';

export interface TransformerOptions {
  /** Mixture components per continuous column at most (default 10). */
  readonly maxModes?: number;
  /** Frequency buckets per id column at most (default 50). */
  readonly idBuckets?: number;
  /**
   * A numerical column whose values are all whole numbers ≥ 0 with at most this many distinct
   * values (and at most a tenth of the rows) is encoded as a discrete column: one slot per value,
   * in the conditional vector and training-by-sampling, so a rare count (ml-100k's n_genres = 6,
   * 0.4 % of rows) is generated at its own rate instead of sharing a mixture mode with its
   * neighbours — SDV's rule for such columns. 0 keeps every numerical column continuous. Default 10.
   */
  readonly discreteIntegerMaxValues?: number;
  /**
   * Values each column's mixture is fitted on at most: a seeded subsample beyond (default 5,000);
   * 0 fits the whole column, as SDV/RDT do (the tails a subsample misses get modes of their own).
   */
  readonly mixtureFitValues?: number;
  /** EM iterations of each column's mixture at most (default 1000; SDV/RDT: 100). */
  readonly mixtureMaxIterations?: number;
}

type DatetimeStyle = 'number' | 'iso' | 'iso-date';

export type ColumnCodec =
  | {
      readonly kind: 'continuous';
      readonly column: string;
      readonly type: 'numerical' | 'datetime';
      readonly gmm: GaussianMixture1D;
      readonly hasNull: boolean;
      readonly min: number;
      readonly max: number;
      readonly integer: boolean;
      readonly datetimeStyle: DatetimeStyle;
      /** Resolution and text format learned from the training cells (absent in models saved before it existed). */
      readonly format?: ValueFormat;
      /** No non-null training value: every decoded cell is null. */
      readonly allNull?: boolean;
    }
  | {
      readonly kind: 'discrete';
      readonly column: string;
      /** 'numerical' for a low-cardinality whole-number column (TransformerOptions.discreteIntegerMaxValues). */
      readonly type: 'categorical' | 'boolean' | 'numerical';
      readonly categories: readonly Cell[];
      readonly counts: readonly number[];
    }
  | {
      readonly kind: 'id';
      readonly column: string;
      /** Ids by descending training frequency, and their counts. */
      readonly values: readonly Cell[];
      readonly counts: readonly number[];
      /** Bucket b holds values[bucketStarts[b] .. bucketStarts[b+1]-1]. */
      readonly bucketStarts: readonly number[];
    };

/** A discrete (categorical/boolean) column as the conditional vector sees it. */
export interface DiscreteColumnInfo {
  readonly column: string;
  /** Index into the codec list. */
  readonly codecIndex: number;
  /** First column of its one-hot span in the encoded matrix. */
  readonly spanStart: number;
  readonly categories: number;
  /** First slot of this column in the conditional vector. */
  readonly condOffset: number;
}

export interface TransformerState {
  readonly format: 'samplify-tabular-transformer/1';
  readonly columns: readonly string[];
  readonly codecs: readonly ColumnCodec[];
}

function cellKey(v: Cell): string {
  return v === null ? 'null' : `${typeof v}:${String(v)}`;
}

export class DataTransformer {
  readonly columns: readonly string[];
  readonly codecs: readonly ColumnCodec[];
  /** Output spans of the encoded matrix, in column order. */
  readonly spans: readonly ColumnSpan[];
  readonly width: number;
  readonly discrete: readonly DiscreteColumnInfo[];
  readonly condWidth: number;
  /** Per codec, its first span index. */
  private readonly firstSpan: number[];
  private readonly categoryIndex: Map<string, number>[];

  private constructor(columns: readonly string[], codecs: readonly ColumnCodec[]) {
    this.columns = [...columns];
    this.codecs = codecs;
    const spans: ColumnSpan[] = [];
    const discrete: DiscreteColumnInfo[] = [];
    this.firstSpan = [];
    this.categoryIndex = [];
    let off = 0;
    let condOff = 0;
    codecs.forEach((c, ci) => {
      this.firstSpan.push(spans.length);
      const index = new Map<string, number>();
      if (c.kind === 'continuous') {
        spans.push({ kind: 'tanh', start: off, length: 1 });
        const modes = c.gmm.means.length + (c.hasNull ? 1 : 0);
        spans.push({ kind: 'softmax', start: off + 1, length: modes });
        off += 1 + modes;
      } else if (c.kind === 'discrete') {
        c.categories.forEach((v, i) => index.set(cellKey(v), i));
        spans.push({ kind: 'softmax', start: off, length: c.categories.length });
        discrete.push({ column: c.column, codecIndex: ci, spanStart: off, categories: c.categories.length, condOffset: condOff });
        condOff += c.categories.length;
        off += c.categories.length;
      } else {
        c.values.forEach((v, i) => index.set(cellKey(v), i));
        const nb = c.bucketStarts.length - 1;
        spans.push({ kind: 'softmax', start: off, length: nb });
        off += nb;
      }
      this.categoryIndex.push(index);
    });
    this.spans = spans;
    this.width = off;
    this.discrete = discrete;
    this.condWidth = condOff;
  }

  /** Fits every column's codec (mixtures for continuous columns: seeded from rng). */
  static fit(table: Table, metadata: TableMetadata, rng: Rng, options: TransformerOptions = {}): DataTransformer {
    const maxModes = options.maxModes ?? 10;
    const idBuckets = options.idBuckets ?? 50;
    const discreteMax = options.discreteIntegerMaxValues ?? 10;
    const mixture = { maxFitValues: options.mixtureFitValues ?? 5000, maxIterations: options.mixtureMaxIterations ?? 1000 };
    if (!(Number.isInteger(mixture.maxFitValues) && mixture.maxFitValues >= 0)) throw new ConfigError(`mixtureFitValues must be an integer ≥ 0, got ${mixture.maxFitValues}`, { field: 'mixtureFitValues' });
    if (!(Number.isInteger(mixture.maxIterations) && mixture.maxIterations >= 1)) throw new ConfigError(`mixtureMaxIterations must be an integer ≥ 1, got ${mixture.maxIterations}`, { field: 'mixtureMaxIterations' });
    if (!(Number.isInteger(discreteMax) && discreteMax >= 0)) throw new ConfigError(`discreteIntegerMaxValues must be an integer ≥ 0, got ${discreteMax}`, { field: 'discreteIntegerMaxValues' });
    if (!(Number.isInteger(maxModes) && maxModes >= 1)) throw new ConfigError(`maxModes must be an integer ≥ 1, got ${maxModes}`, { field: 'maxModes' });
    if (!(Number.isInteger(idBuckets) && idBuckets >= 1)) throw new ConfigError(`idBuckets must be an integer ≥ 1, got ${idBuckets}`, { field: 'idBuckets' });
    if (table.rowCount === 0) throw new DataValidationError('cannot fit a synthesizer on an empty table');
    const codecs: ColumnCodec[] = [];
    for (const column of table.columns) {
      const meta = metadata.columns[column];
      if (meta === undefined) throw new ConfigError(`column '${column}' has no metadata (declare its type)`, { field: column });
      const cells = table.data[column]!;
      const type: ColumnType = meta.type;
      if (type === 'numerical' && discreteMax > 0 && isSmallWholeNumberColumn(cells, Math.min(discreteMax, Math.floor(table.rowCount / 10)))) {
        const { values, counts } = countValues(cells, false);
        codecs.push({ kind: 'discrete', column, type: 'numerical', categories: values, counts });
      } else if (type === 'numerical' || type === 'datetime') {
        const codec = fitContinuous(column, type, cells, meta.integer === true, rng.split(`gmm:${column}`), { ...mixture, maxComponents: maxModes });
        codecs.push({ ...codec, format: learnValueFormat(cells, meta) } as ColumnCodec);
      } else if (type === 'categorical' || type === 'boolean') {
        const { values, counts } = countValues(cells, false);
        codecs.push({ kind: 'discrete', column, type, categories: values, counts });
      } else if (type === 'id') {
        const { values, counts } = countValues(cells, true);
        codecs.push({ kind: 'id', column, values, counts, bucketStarts: equalMassBuckets(counts, idBuckets) });
      } else {
        throw new ConfigError(`column '${column}' has unknown type '${String(type)}'; expected categorical, numerical, datetime, id or boolean`, { field: column });
      }
    }
    return new DataTransformer(table.columns, codecs);
  }

  static fromState(state: TransformerState): DataTransformer {
    if (state.format !== 'samplify-tabular-transformer/1') throw new ConfigError(`unknown transformer format '${String(state.format)}'`);
    return new DataTransformer(state.columns, state.codecs);
  }

  state(): TransformerState {
    return { format: 'samplify-tabular-transformer/1', columns: this.columns, codecs: this.codecs };
  }

  /** Spans of the encoded matrix belonging to codec i. */
  spansOf(codecIndex: number): ColumnSpan[] {
    const c = this.codecs[codecIndex]!;
    const first = this.firstSpan[codecIndex]!;
    return this.spans.slice(first, first + (c.kind === 'continuous' ? 2 : 1));
  }

  /** Category index of a discrete/id value, or -1 when it never occurred in training. */
  categoryOf(codecIndex: number, value: Cell): number {
    return this.categoryIndex[codecIndex]!.get(cellKey(value)) ?? -1;
  }

  codecIndexOf(column: string): number {
    return this.codecs.findIndex((c) => c.column === column);
  }

  /**
   * Encodes every row: [rowCount, width] row-major. Mode choice of continuous values is sampled
   * from rng. Also returns, per discrete column, each row's category index (training-by-sampling).
   */
  transform(table: Table, rng: Rng): { data: Float32Array; categories: Int32Array[] } {
    const n = table.rowCount;
    const W = this.width;
    const data = new Float32Array(n * W);
    const categories: Int32Array[] = this.discrete.map(() => new Int32Array(n));
    const post = new Float64Array(64);
    let d = 0;
    this.codecs.forEach((c, ci) => {
      const cells = table.data[c.column];
      if (cells === undefined) throw new DataValidationError(`table has no column '${c.column}'`, { field: c.column });
      const start = this.spans[this.firstSpan[ci]!]!.start;
      if (c.kind === 'continuous') {
        const K = c.gmm.means.length;
        const crng = rng.split(`modes:${c.column}`);
        for (let r = 0; r < n; r++) {
          const x = toNumber(cells[r]!, c.column, c.type, r);
          const base = r * W + start;
          if (x === null) {
            if (!c.hasNull) throw new DataValidationError(`null in column '${c.column}', which had no nulls when fitted`, { field: c.column, line: r + 1 });
            data[base + 1 + K] = 1;
            continue;
          }
          const k = chooseMode(c.gmm, x, crng, post);
          // Clipped to what the generator's tanh can produce: a value beyond 4σ of every mode (a
          // tail the mixture never saw) would otherwise be a feature only real rows have.
          data[base] = Math.max(-0.99, Math.min(0.99, (x - c.gmm.means[k]!) / (4 * c.gmm.stds[k]!)));
          data[base + 1 + k] = 1;
        }
      } else {
        const index = this.categoryIndex[ci]!;
        const codes = c.kind === 'discrete' ? categories[d++]! : null;
        const bucketOf = c.kind === 'id' ? bucketLookup(c.bucketStarts, c.values.length) : null;
        for (let r = 0; r < n; r++) {
          const v = cells[r] ?? null;
          const cat = index.get(cellKey(v));
          if (cat === undefined) throw new DataValidationError(`value ${JSON.stringify(v)} in column '${c.column}' was not seen when the transformer was fitted`, { field: c.column, line: r + 1 });
          if (codes !== null) codes[r] = cat;
          data[r * W + start + (bucketOf === null ? cat : bucketOf[cat]!)] = 1;
        }
      }
    });
    return { data, categories };
  }

  /**
   * Decodes [n, width] rows: the arg-max slot of every softmax span, the scalar of every tanh span.
   * Id cells are drawn within their bucket by training frequency from rng.
   */
  inverse(data: Float32Array, n: number, rng: Rng): Table {
    const W = this.width;
    if (data.length !== n * W) throw new RangeError(`inverse: ${data.length} values is not ${n} rows × ${W}`);
    const out: Record<string, Cell[]> = {};
    this.codecs.forEach((c, ci) => {
      const col = new Array<Cell>(n);
      const start = this.spans[this.firstSpan[ci]!]!.start;
      if (c.kind === 'continuous') {
        const K = c.gmm.means.length;
        const slots = K + (c.hasNull ? 1 : 0);
        for (let r = 0; r < n; r++) {
          const base = r * W + start;
          const k = argmax(data, base + 1, slots);
          if (k === K || c.allNull === true) {
            col[r] = null;
            continue;
          }
          let x = data[base]! * 4 * c.gmm.stds[k]! + c.gmm.means[k]!;
          x = Math.min(c.max, Math.max(c.min, x));
          col[r] = fromNumber(x, c);
        }
      } else if (c.kind === 'discrete') {
        for (let r = 0; r < n; r++) col[r] = c.categories[argmax(data, r * W + start, c.categories.length)]!;
      } else {
        const nb = c.bucketStarts.length - 1;
        const irng = rng.split(`ids:${c.column}`);
        const cum = cumulative(c.counts);
        for (let r = 0; r < n; r++) {
          const b = argmax(data, r * W + start, nb);
          col[r] = c.values[drawInRange(cum, c.bucketStarts[b]!, c.bucketStarts[b + 1]!, irng)]!;
        }
      }
      out[c.column] = col;
    });
    return { columns: [...this.columns], rowCount: n, data: out };
  }
}

function argmax(a: Float32Array, off: number, len: number): number {
  let best = 0;
  let bv = -Infinity;
  for (let j = 0; j < len; j++) {
    const v = a[off + j]!;
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}

function cumulative(counts: readonly number[]): Float64Array {
  const cum = new Float64Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) cum[i + 1] = cum[i]! + counts[i]!;
  return cum;
}

/** An index in [lo, hi) drawn with probability proportional to its count (cum = prefix sums). */
function drawInRange(cum: Float64Array, lo: number, hi: number, rng: Rng): number {
  const u = cum[lo]! + rng.next() * (cum[hi]! - cum[lo]!);
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const m = (a + b) >> 1;
    if (cum[m + 1]! > u) b = m;
    else a = m + 1;
  }
  return a;
}

function bucketLookup(starts: readonly number[], nValues: number): Int32Array {
  const out = new Int32Array(nValues);
  for (let b = 0; b + 1 < starts.length; b++) out.fill(b, starts[b]!, starts[b + 1]!);
  return out;
}

/** Values by descending count (ties: first appearance). Ids must not be null-only; nulls are a value. */
/** Every non-null cell a whole number ≥ 0, at most `maxValues` distinct values (nulls count as one). */
function isSmallWholeNumberColumn(cells: readonly Cell[], maxValues: number): boolean {
  if (maxValues < 1) return false;
  const seen = new Set<number | null>();
  for (const v of cells) {
    if (v === null || v === undefined) seen.add(null);
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) seen.add(v);
    else return false;
    if (seen.size > maxValues) return false;
  }
  return seen.size > 0;
}

function countValues(cells: readonly Cell[], sortByCount: boolean): { values: Cell[]; counts: number[] } {
  const index = new Map<string, number>();
  const values: Cell[] = [];
  const counts: number[] = [];
  for (const v0 of cells) {
    const v = v0 ?? null;
    const key = cellKey(v);
    let i = index.get(key);
    if (i === undefined) {
      i = values.length;
      index.set(key, i);
      values.push(v);
      counts.push(0);
    }
    counts[i]!++;
  }
  if (!sortByCount) {
    // Stable, readable order for categories: by value (numbers numerically), null last.
    const order = values.map((_, i) => i).sort((a, b) => compareCells(values[a]!, values[b]!));
    return { values: order.map((i) => values[i]!), counts: order.map((i) => counts[i]!) };
  }
  const order = values.map((_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  return { values: order.map((i) => values[i]!), counts: order.map((i) => counts[i]!) };
}

function compareCells(a: Cell, b: Cell): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = `${typeof a}:${String(a)}`;
  const sb = `${typeof b}:${String(b)}`;
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Bucket boundaries over count-sorted values: each bucket ≈ 1/B of the rows (a heavy id fills one alone). */
function equalMassBuckets(counts: readonly number[], maxBuckets: number): number[] {
  const n = counts.length;
  const B = Math.min(maxBuckets, n);
  let total = 0;
  for (const c of counts) total += c;
  const starts = [0];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += counts[i]!;
    const bucketsLeft = B - starts.length;
    const valuesLeft = n - (i + 1);
    if (bucketsLeft <= 0 || valuesLeft === 0) continue;
    if (acc >= (starts.length * total) / B || valuesLeft <= bucketsLeft - 0) starts.push(i + 1);
  }
  starts.push(n);
  return starts;
}

function fitContinuous(column: string, type: 'numerical' | 'datetime', cells: readonly Cell[], integer: boolean, rng: Rng, mixture: GmmOptions): ColumnCodec {
  const values: number[] = [];
  let hasNull = false;
  let style: DatetimeStyle = 'number';
  let isoDateOnly = true;
  let sawString = false;
  for (let r = 0; r < cells.length; r++) {
    const v = cells[r] ?? null;
    if (typeof v === 'string' && type === 'datetime') {
      sawString = true;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) isoDateOnly = false;
    }
    const x = toNumber(v, column, type, r);
    if (x === null) hasNull = true;
    else values.push(x);
  }
  if (sawString) style = isoDateOnly ? 'iso-date' : 'iso';
  if (values.length === 0) {
    // An all-null column: one dummy mode that is never chosen; every sample is null.
    return { kind: 'continuous', column, type, gmm: { weights: [1], means: [0], stds: [1] }, hasNull: true, min: 0, max: 0, integer, datetimeStyle: style, allNull: true };
  }
  let min = Infinity;
  let max = -Infinity;
  let allInt = true;
  for (const x of values) {
    if (x < min) min = x;
    if (x > max) max = x;
    if (!Number.isInteger(x)) allInt = false;
  }
  const gmm = fitGaussianMixture1D(values, rng, mixture);
  return { kind: 'continuous', column, type, gmm, hasNull, min, max, integer: integer || (type === 'datetime' && allInt), datetimeStyle: style };
}

function toNumber(v: Cell, column: string, type: 'numerical' | 'datetime', row: number): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new DataValidationError(`non-finite number ${v} in column '${column}'`, { field: column, line: row + 1 });
    return v;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (type === 'datetime') {
    // ISO text without a zone is UTC (as the readers take it), whatever the machine's time zone.
    const iso = parseIsoMs(v.trim());
    const t = Number.isNaN(iso) ? Date.parse(v) : iso;
    if (Number.isNaN(t)) throw new DataValidationError(`'${v}' in datetime column '${column}' is not a date`, { field: column, line: row + 1 });
    return t;
  }
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new DataValidationError(`'${v}' in numerical column '${column}' is not a finite number`, { field: column, line: row + 1 });
  return x;
}

function fromNumber(x: number, c: Extract<ColumnCodec, { kind: 'continuous' }>): Cell {
  if (c.format !== undefined) return formatValue(x, c.format);
  if (c.datetimeStyle === 'iso') return new Date(Math.round(x)).toISOString();
  if (c.datetimeStyle === 'iso-date') return new Date(Math.round(x / 86400000) * 86400000).toISOString().slice(0, 10);
  return c.integer ? Math.round(x) : x;
}

/**
 * The mode of x, drawn by posterior probability among the modes where x is within 4σ (so the
 * scalar stays inside tanh's range and decoding is exact); the nearest mode when none is.
 */
function chooseMode(g: GaussianMixture1D, x: number, rng: Rng, post: Float64Array): number {
  const K = g.means.length;
  if (K === 1) return 0;
  componentLogPosterior(g, x, post);
  let mx = -Infinity;
  let nearest = 0;
  let nd = Infinity;
  for (let k = 0; k < K; k++) {
    const z = Math.abs(x - g.means[k]!) / (4 * g.stds[k]!);
    if (z < nd) {
      nd = z;
      nearest = k;
    }
    if (z > 0.99) post[k] = -Infinity;
    else if (post[k]! > mx) mx = post[k]!;
  }
  if (mx === -Infinity) return nearest;
  let z = 0;
  for (let k = 0; k < K; k++) z += post[k] === -Infinity ? 0 : Math.exp(post[k]! - mx);
  let u = rng.next() * z;
  for (let k = 0; k < K; k++) {
    if (post[k] === -Infinity) continue;
    u -= Math.exp(post[k]! - mx);
    if (u < 0) return k;
  }
  return nearest;
}
