/**
 * Conditions, constraints and exact-copy filtering for ANY synthesizer.
 *
 * API (what a synthesizer calls):
 *
 *   // at fit, after the data is known:
 *   const guard = SampleGuard.fit(table, metadata, { constraints, removeExactCopies: true, file, lines });
 *     - checks every constraint against the metadata (unknown column, wrong column type → ConfigError)
 *       and against every training row (a violation → DataValidationError naming row and column);
 *     - remembers what conditions need to be checked against: the values each discrete column takes,
 *       each numeric column's range, the combinations of fixed-combination columns, and a 53-bit hash
 *       of every training row (for exact-copy removal).
 *   // in save/load: guard.toJSON() → plain JSON; SampleGuard.fromJSON(json).
 *
 *   // in sample(n, options):
 *   return finalizeSample(source, n, options, guard);
 *     source.generate(count, rng, conditions) → a Table of `count` candidate rows (training columns);
 *     source.nativeConditions?(conditions) → true when every candidate already carries the exact
 *       condition values (e.g. the copula conditions its Gaussian; CTGAN could for one discrete column).
 *   finalizeSample validates the conditions first (unknown column, a category never seen, a value
 *   outside the training range or outside a range constraint, an impossible inequality or
 *   combination → ConfigError naming `conditions.<column>`), then draws candidate batches from
 *   `rng.split('batch-<k>')` of `new Rng(options.seed ?? 0)` and keeps a row only when it
 *     - meets every condition: discrete and integer columns exactly; continuous numerical/datetime
 *       columns within ±tolerance (5 % of the column's standard deviation), after which the cell is
 *       set to the exact condition value — so every returned row carries the exact condition values;
 *     - satisfies every constraint (range, inequality low ≤ high, only combinations seen in training);
 *     - is not an exact copy of a training row (unless removeExactCopies is false). Unique key
 *       columns (id columns unique in training) are left out of the comparison: they are generated.
 *   Budget: n × maxTriesPerRow candidates (default 100 per row). No accepted row after the budget
 *   → ConfigError (the condition is unsatisfiable for this model); fewer than n → the rows found,
 *   with `produced < requested` in the report. The report gives the acceptance rate (accepted /
 *   generated), the method ('none' | 'native' | 'reject') and the exact copies removed.
 *
 * Same source + same seed ⇒ the same rows: batch sizes depend only on counts, never on time.
 */
import { ConfigError, DataValidationError, Rng } from '../core/index.ts';
import { cellKey, cellToNumber, checkMetadataCovers, isUniqueColumn, type Cell, type ColumnMeta, type Table, type TableMetadata } from '../data/index.ts';
import { DEFAULT_RARE_CATEGORY_SHARE, RareCategoryQuota } from './rare-quota.ts';
import type { Conditions, Constraint, SampleOptions, SampleReport, SampleResult } from './types.ts';

export const DEFAULT_MAX_TRIES_PER_ROW = 100;
/** Continuous conditions accept candidates within this share of the column's standard deviation. */
export const CONTINUOUS_CONDITION_TOLERANCE = 0.05;

export interface GuardOptions {
  readonly constraints?: readonly Constraint[];
  /** Remove sampled rows identical to a training row (default true: the privacy default). */
  readonly removeExactCopies?: boolean;
  /** For error messages: the file the table came from and the physical line of each row. */
  readonly file?: string;
  readonly lines?: ArrayLike<number>;
  /**
   * Record each discrete value's training count (default true), which sampling uses to hold rare
   * categories to their training rate (rare-quota.ts). false under differential privacy: exact
   * counts would be a release outside the guarantee.
   */
  readonly recordCounts?: boolean;
}

/** A source of candidate rows; see the file comment. */
export interface CandidateSource {
  generate(count: number, rng: Rng, conditions: Conditions): Table;
  /** True when every generated row already carries the exact condition values. */
  nativeConditions?(conditions: Conditions): boolean;
}

interface NumericStats {
  readonly min: number;
  readonly max: number;
  readonly std: number;
}

export interface GuardState {
  readonly format: 'samplify-sample-guard';
  readonly version: 1;
  readonly columns: readonly string[];
  readonly metadata: TableMetadata;
  readonly constraints: readonly Constraint[];
  readonly removeExactCopies: boolean;
  /** Columns compared for exact copies (all but unique keys). */
  readonly copyColumns: readonly string[];
  readonly rowHashes: readonly number[];
  /** Discrete column → the cell keys seen in training. */
  readonly values: Readonly<Record<string, readonly string[]>>;
  /** Discrete column → the training count of each of `values` (absent: not recorded, or saved before counts existed). */
  readonly counts?: Readonly<Record<string, readonly number[]>>;
  readonly numeric: Readonly<Record<string, NumericStats>>;
  readonly hasNull: readonly string[];
  /** Per fixed-combinations constraint (in constraint order): the combinations seen, as cell-key arrays. */
  readonly combinations: readonly (readonly (readonly string[])[])[];
}

const DISCRETE = new Set(['categorical', 'boolean', 'id']);

function isContinuous(meta: ColumnMeta): boolean {
  return meta.type === 'datetime' || (meta.type === 'numerical' && meta.integer !== true);
}

/** 53-bit hash of a string (two 32-bit lanes, cyrb53-style): exact-copy lookup without storing rows. */
export function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function rowHash(cols: readonly (readonly Cell[])[], i: number): number {
  let s = '';
  for (const col of cols) s += cellKey(col[i] ?? null) + '\u0001';
  return hash53(s);
}

function describe(c: Cell): string {
  return typeof c === 'string' ? `'${c.length > 40 ? c.slice(0, 40) + '…' : c}'` : String(c);
}

export class SampleGuard {
  private readonly valueSets = new Map<string, Set<string>>();
  private readonly hashSet: Set<number>;
  private readonly comboSets: Set<string>[];

  private constructor(readonly state: GuardState) {
    for (const [c, vs] of Object.entries(state.values)) this.valueSets.set(c, new Set(vs));
    this.hashSet = new Set(state.rowHashes);
    this.comboSets = state.combinations.map((cs) => new Set(cs.map((k) => k.join('\u0001'))));
  }

  get columns(): readonly string[] {
    return this.state.columns;
  }
  get metadata(): TableMetadata {
    return this.state.metadata;
  }

  /** Checks constraints against metadata and training rows, and records what sampling checks against. */
  static fit(table: Table, metadata: TableMetadata, options: GuardOptions = {}): SampleGuard {
    checkMetadataCovers(table, metadata);
    const constraints = options.constraints ?? [];
    const where = (i: number, field: string) => ({ ...(options.file ? { file: options.file } : {}), line: options.lines ? options.lines[i]! : i + 1, field });
    const rowWord = options.lines ? 'line' : 'row';
    constraints.forEach((c, k) => checkConstraintShape(c, k, metadata));
    const num = (col: string, i: number): number | null => cellToNumber(table.data[col]![i] ?? null, metadata.columns[col]);
    const combinations: string[][][] = [];
    constraints.forEach((c) => {
      if (c.kind === 'range') {
        for (let i = 0; i < table.rowCount; i++) {
          const v = num(c.column, i);
          if (v === null) continue;
          if ((c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max))
            throw new DataValidationError(`training ${rowWord} ${where(i, c.column).line} has ${c.column} = ${describe(table.data[c.column]![i]!)}, outside the range constraint [${c.min ?? '-∞'}, ${c.max ?? '∞'}]`, where(i, c.column));
        }
      } else if (c.kind === 'inequality') {
        for (let i = 0; i < table.rowCount; i++) {
          const lo = num(c.low, i);
          const hi = num(c.high, i);
          if (lo === null || hi === null) continue;
          if (c.strict ? !(lo < hi) : !(lo <= hi))
            throw new DataValidationError(`training ${rowWord} ${where(i, c.low).line} has ${c.low} = ${lo} ${c.strict ? '>=' : '>'} ${c.high} = ${hi}, violating the inequality constraint ${c.low} ${c.strict ? '<' : '<='} ${c.high}`, where(i, c.low));
        }
      } else {
        const seen = new Map<string, string[]>();
        const cols = c.columns.map((x) => table.data[x]!);
        for (let i = 0; i < table.rowCount; i++) {
          const key = cols.map((col) => cellKey(col[i] ?? null));
          const j = key.join('\u0001');
          if (!seen.has(j)) seen.set(j, key);
        }
        combinations.push([...seen.values()]);
      }
    });
    const values: Record<string, string[]> = {};
    const counts: Record<string, number[]> = {};
    const numeric: Record<string, NumericStats> = {};
    const hasNull: string[] = [];
    const copyColumns: string[] = [];
    for (const c of table.columns) {
      const meta = metadata.columns[c]!;
      const cells = table.data[c]!;
      if (cells.some((x) => x === null)) hasNull.push(c);
      const uniqueKey = meta.type === 'id' && isUniqueColumn(cells);
      if (!uniqueKey) copyColumns.push(c);
      if (DISCRETE.has(meta.type)) {
        if (!uniqueKey) {
          const seen = new Map<string, number>();
          for (const x of cells) {
            if (x === null) continue;
            const k = cellKey(x);
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
          values[c] = [...seen.keys()];
          counts[c] = [...seen.values()];
        }
      } else {
        let min = Infinity;
        let max = -Infinity;
        let sum = 0;
        let sq = 0;
        let n = 0;
        for (const x of cells) {
          const v = cellToNumber(x, meta);
          if (v === null || !Number.isFinite(v)) continue;
          if (v < min) min = v;
          if (v > max) max = v;
          sum += v;
          n++;
        }
        const mean = n ? sum / n : 0;
        for (const x of cells) {
          const v = cellToNumber(x, meta);
          if (v !== null && Number.isFinite(v)) sq += (v - mean) ** 2;
        }
        numeric[c] = n ? { min, max, std: Math.sqrt(sq / n) } : { min: 0, max: 0, std: 0 };
      }
    }
    const removeExactCopies = options.removeExactCopies ?? true;
    let rowHashes: number[] = [];
    if (removeExactCopies) {
      const cols = copyColumns.map((c) => table.data[c]!);
      const set = new Set<number>();
      for (let i = 0; i < table.rowCount; i++) set.add(rowHash(cols, i));
      rowHashes = Array.from(set);
    }
    return new SampleGuard({
      format: 'samplify-sample-guard',
      version: 1,
      columns: [...table.columns],
      metadata,
      constraints: [...constraints],
      removeExactCopies,
      copyColumns,
      rowHashes,
      values,
      ...(options.recordCounts === false ? {} : { counts }),
      numeric,
      hasNull,
      combinations,
    });
  }

  toJSON(): GuardState {
    return this.state;
  }

  static fromJSON(json: unknown): SampleGuard {
    const s = json as Partial<GuardState> | null;
    if (!s || s.format !== 'samplify-sample-guard' || s.version !== 1 || !Array.isArray(s.columns) || !Array.isArray(s.rowHashes))
      throw new ConfigError('not a samplify sample-guard state (format/version mismatch)', { field: 'guard' });
    return new SampleGuard(s as GuardState);
  }

  /**
   * Validates conditions and returns them in the training representation (e.g. '25' → 25 for a
   * numerical column, 1 → '1' for a text category seen as '1'). Throws ConfigError when a condition
   * cannot be met.
   */
  normalizeConditions(conditions: Conditions | undefined): Conditions {
    if (conditions === undefined) return {};
    const out: Record<string, Cell> = {};
    const md = this.state.metadata.columns;
    for (const [col, raw] of Object.entries(conditions)) {
      const field = `conditions.${col}`;
      const meta = md[col];
      if (meta === undefined) throw new ConfigError(`condition on column '${col}', which the table does not have; columns are: ${this.state.columns.join(', ')}`, { field });
      if (raw === null) {
        if (!this.state.hasNull.includes(col)) throw new ConfigError(`condition ${col} = null is unsatisfiable: the column has no missing values in the training data`, { field });
        out[col] = null;
        continue;
      }
      if (typeof raw === 'number' && !Number.isFinite(raw)) throw new ConfigError(`condition value must be finite, got ${raw}`, { field });
      if (DISCRETE.has(meta.type)) {
        const seen = this.valueSets.get(col);
        if (seen === undefined) throw new ConfigError(`cannot condition on '${col}': it is a unique key (a generated id), not a value the model learns`, { field });
        const candidates: Cell[] = [raw];
        if (typeof raw === 'string' && /^[+-]?\d+(\.\d+)?$/.test(raw.trim())) candidates.push(Number(raw));
        if (typeof raw === 'number' || typeof raw === 'boolean') candidates.push(String(raw));
        if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) candidates.push(raw.toLowerCase() === 'true');
        const hit = candidates.find((c) => seen.has(cellKey(c)));
        if (hit === undefined) throw new ConfigError(`condition ${col} = ${describe(raw)} is unsatisfiable: that value never occurs in the training data (${seen.size} distinct values seen)`, { field });
        out[col] = hit;
        continue;
      }
      const v = cellToNumber(raw, meta);
      if (v === null || !Number.isFinite(v)) throw new ConfigError(`condition ${col} = ${describe(raw)} is not a ${meta.type === 'datetime' ? 'date/time' : 'number'}`, { field });
      if (meta.type === 'numerical' && meta.integer && !Number.isInteger(v)) throw new ConfigError(`condition ${col} = ${v} is unsatisfiable: the column holds integers`, { field });
      for (const c of this.state.constraints) {
        if (c.kind === 'range' && c.column === col && ((c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max)))
          throw new ConfigError(`condition ${col} = ${v} violates the range constraint [${c.min ?? '-∞'}, ${c.max ?? '∞'}]`, { field });
      }
      const st = this.state.numeric[col]!;
      if (v < st.min || v > st.max) throw new ConfigError(`condition ${col} = ${describe(raw)} is outside the training range [${st.min}, ${st.max}] of the column; a synthesizer learns no values there`, { field });
      out[col] = meta.type === 'datetime' ? raw : v;
    }
    this.checkConditionsAgainstConstraints(out);
    return out;
  }

  private checkConditionsAgainstConstraints(cond: Conditions): void {
    const md = this.state.metadata.columns;
    let comboIndex = 0;
    for (const c of this.state.constraints) {
      if (c.kind === 'inequality') {
        const has = (x: string) => Object.hasOwn(cond, x) && cond[x] !== null;
        const lo = has(c.low) ? cellToNumber(cond[c.low]!, md[c.low]) : null;
        const hi = has(c.high) ? cellToNumber(cond[c.high]!, md[c.high]) : null;
        const ok = (a: number, b: number) => (c.strict ? a < b : a <= b);
        if (lo !== null && hi !== null && !ok(lo, hi)) throw new ConfigError(`conditions ${c.low} = ${lo} and ${c.high} = ${hi} violate the inequality constraint ${c.low} ${c.strict ? '<' : '<='} ${c.high}`, { field: `conditions.${c.low}` });
        if (lo !== null && hi === null && !ok(lo, this.state.numeric[c.high]!.max))
          throw new ConfigError(`condition ${c.low} = ${lo} is unsatisfiable: ${c.high} must be ${c.strict ? 'above' : 'at least'} it, but its training maximum is ${this.state.numeric[c.high]!.max}`, { field: `conditions.${c.low}` });
        if (hi !== null && lo === null && !ok(this.state.numeric[c.low]!.min, hi))
          throw new ConfigError(`condition ${c.high} = ${hi} is unsatisfiable: ${c.low} must be ${c.strict ? 'below' : 'at most'} it, but its training minimum is ${this.state.numeric[c.low]!.min}`, { field: `conditions.${c.high}` });
      } else if (c.kind === 'fixed-combinations') {
        const combos = this.state.combinations[comboIndex++]!;
        const fixed = c.columns.map((x, j) => [j, x] as const).filter(([, x]) => Object.hasOwn(cond, x));
        if (fixed.length === 0) continue;
        const wanted = fixed.map(([j, x]) => [j, cellKey(cond[x]!)] as const);
        if (!combos.some((k) => wanted.every(([j, key]) => k[j] === key)))
          throw new ConfigError(`conditions ${fixed.map(([, x]) => `${x} = ${describe(cond[x]!)}`).join(', ')} are unsatisfiable: no training row has that combination of ${c.columns.join(', ')} (fixed-combinations constraint)`, {
            field: `conditions.${fixed[0]![1]}`,
          });
      }
    }
  }

  /** Whether row i of `t` meets the constraints (conditions are checked separately). */
  satisfiesConstraints(t: Table, i: number): boolean {
    const md = this.state.metadata.columns;
    let comboIndex = 0;
    for (const c of this.state.constraints) {
      if (c.kind === 'range') {
        const v = cellToNumber(t.data[c.column]![i] ?? null, md[c.column]);
        if (v === null) continue;
        if (!Number.isFinite(v) || (c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max)) return false;
      } else if (c.kind === 'inequality') {
        const lo = cellToNumber(t.data[c.low]![i] ?? null, md[c.low]);
        const hi = cellToNumber(t.data[c.high]![i] ?? null, md[c.high]);
        if (lo === null || hi === null) continue;
        if (c.strict ? !(lo < hi) : !(lo <= hi)) return false;
      } else {
        const set = this.comboSets[comboIndex++]!;
        const key = c.columns.map((x) => cellKey(t.data[x]![i] ?? null)).join('\u0001');
        if (!set.has(key)) return false;
      }
    }
    return true;
  }

  /** Whether row i of `t` equals a training row on the copy columns. */
  isTrainingCopy(t: Table, i: number): boolean {
    if (!this.state.removeExactCopies) return false;
    return this.hashSet.has(rowHash(this.state.copyColumns.map((c) => t.data[c]!), i));
  }
}

function checkConstraintShape(c: Constraint, k: number, metadata: TableMetadata): void {
  const field = `constraints[${k}]`;
  const numericCol = (col: unknown, key: string): void => {
    if (typeof col !== 'string') throw new ConfigError(`${key} must be a column name`, { field: `${field}.${key}` });
    const meta = metadata.columns[col];
    if (meta === undefined) throw new ConfigError(`constraint names column '${col}', which the table does not have`, { field: `${field}.${key}` });
    if (meta.type !== 'numerical' && meta.type !== 'datetime') throw new ConfigError(`${c.kind} constraint needs a numerical or datetime column; '${col}' is ${meta.type}`, { field: `${field}.${key}` });
  };
  switch (c.kind) {
    case 'range':
      numericCol(c.column, 'column');
      if (c.min === undefined && c.max === undefined) throw new ConfigError('range constraint needs min, max or both', { field });
      if (c.min !== undefined && c.max !== undefined && c.min > c.max) throw new ConfigError(`range constraint has min ${c.min} > max ${c.max}`, { field });
      return;
    case 'inequality':
      numericCol(c.low, 'low');
      numericCol(c.high, 'high');
      return;
    case 'fixed-combinations':
      if (!Array.isArray(c.columns) || c.columns.length === 0) throw new ConfigError('fixed-combinations constraint needs a non-empty list of columns', { field: `${field}.columns` });
      for (const col of c.columns) if (metadata.columns[col] === undefined) throw new ConfigError(`constraint names column '${col}', which the table does not have`, { field: `${field}.columns` });
      return;
    default:
      throw new ConfigError(`unknown constraint kind '${String((c as { kind?: unknown }).kind)}'; expected range, inequality or fixed-combinations`, { field: `${field}.kind` });
  }
}

/** Fisher–Yates over the first `rows` rows of column arrays, the same permutation for every column. */
function shuffleRows(columns: Cell[][], rows: number, rng: Rng): void {
  for (let i = rows - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    for (const col of columns) {
      const x = col[i]!;
      col[i] = col[j]!;
      col[j] = x;
    }
  }
}

/** Rows of `t` in the guard's column order (a generator may return columns in another order). */
function alignColumns(t: Table, guard: SampleGuard): Table {
  if (t.columns.length === guard.columns.length && t.columns.every((c, j) => c === guard.columns[j])) return t;
  const missing = guard.columns.filter((c) => t.data[c] === undefined);
  if (missing.length) throw new Error(`synthesizer produced no column ${missing.join(', ')}`); // a bug in the synthesizer, not user input
  return { columns: [...guard.columns], rowCount: t.rowCount, data: Object.fromEntries(guard.columns.map((c) => [c, t.data[c]!])) };
}

/** Samples n rows that meet conditions and constraints, without training copies. See the file comment. */
export function finalizeSample(source: CandidateSource, n: number, options: SampleOptions = {}, guard: SampleGuard): SampleResult {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`number of rows must be an integer >= 0, got ${n}`, { field: 'rows' });
  const maxTries = options.maxTriesPerRow ?? DEFAULT_MAX_TRIES_PER_ROW;
  if (!Number.isFinite(maxTries) || maxTries < 1) throw new ConfigError(`maxTriesPerRow must be >= 1, got ${maxTries}`, { field: 'maxTriesPerRow' });
  const rareShare = options.rareCategoryShare ?? DEFAULT_RARE_CATEGORY_SHARE;
  if (!(rareShare >= 0 && rareShare < 1)) throw new ConfigError(`rareCategoryShare must be in [0, 1), got ${rareShare}`, { field: 'rareCategoryShare' });
  const conditions = guard.normalizeConditions(options.conditions);
  const condCols = Object.keys(conditions);
  const native = condCols.length > 0 && source.nativeConditions?.(conditions) === true;

  const rng = new Rng(options.seed ?? 0);
  // Conditional sampling asks for a sub-population, whose category rates are not the training ones.
  const quota = condCols.length === 0 ? RareCategoryQuota.create(guard.state.values, guard.state.counts, guard.metadata, n, rareShare, rng.split('rare-quota')) : null;
  const out: Cell[][] = guard.columns.map(() => []);
  const tally = { produced: 0, checked: 0, copies: 0, conditionRejects: 0 };
  let freeBatch = 0;

  /**
   * Draws candidate batches under `cond` until `goal()` rows are produced in all or `budget`
   * candidates are spent; the first batch is `firstWant` rows. Once `goal()` is reached, a row that
   * pays a held category's debt is still taken (each such row lowers the debt the goal leaves room
   * for) while rows remain to reach `limit`. Returns the candidates generated.
   */
  const draw = (cond: Conditions, goal: () => number, limit: number, budget: number, firstWant: number, batchSeed: () => Rng): number => {
    const cols = Object.keys(cond);
    const md = guard.metadata.columns;
    const tolerance = cols.map((c) => (isContinuous(md[c]!) && cond[c] !== null ? CONTINUOUS_CONDITION_TOLERANCE * (guard.state.numeric[c]!.std || 1) : 0));
    const nums = cols.map((c) => (isContinuous(md[c]!) ? cellToNumber(cond[c]!, md[c]) : null));
    const keys = cols.map((c) => cellKey(cond[c]!));
    let generated = 0;
    let produced = 0;
    while (tally.produced < goal() && generated < budget) {
      // The first batch is exactly n rows (at least 16): a synthesizer that spreads a batch's
      // values over their training shares (the copula's stratified categories) then gets those
      // shares in the output, not in a 10 % larger batch cut at n. Later batches make up for what
      // was rejected, with 10 % to spare.
      const want = Math.min(
        budget - generated,
        Math.max(16, generated === 0 ? firstWant : Math.ceil(((goal() - tally.produced) / Math.max(produced / generated, 1 / maxTries)) * 1.1)),
        1 << 20,
      );
      const t = alignColumns(source.generate(want, batchSeed(), cond), guard);
      if (t.rowCount !== want) throw new Error(`synthesizer produced ${t.rowCount} rows, asked for ${want}`);
      generated += want;
      const tcols = guard.columns.map((c) => t.data[c]! as Cell[]);
      for (let i = 0; i < want && tally.produced < limit; i++) {
        const held = quota?.entriesOf(t, i) ?? [];
        if (tally.produced >= goal() && !(quota?.pays(held) ?? false)) continue;
        tally.checked++;
        let ok = true;
        for (let k = 0; k < cols.length; k++) {
          const col = t.data[cols[k]!]! as Cell[];
          const cell = col[i] ?? null;
          if (tolerance[k]! > 0) {
            const v = cellToNumber(cell, md[cols[k]!]);
            if (v === null || !(Math.abs(v - nums[k]!) <= tolerance[k]!)) {
              ok = false;
              break;
            }
            col[i] = cond[cols[k]!]!;
          } else if (cellKey(cell) !== keys[k]) {
            ok = false;
            break;
          }
        }
        if (!ok) {
          tally.conditionRejects++;
          continue;
        }
        if (quota !== null && !quota.admits(held)) {
          quota.rejected++;
          continue;
        }
        if (!guard.satisfiesConstraints(t, i)) continue;
        if (guard.isTrainingCopy(t, i)) {
          tally.copies++;
          continue;
        }
        for (let j = 0; j < tcols.length; j++) out[j]!.push(tcols[j]![i] ?? null);
        quota?.take(held);
        tally.produced++;
        produced++;
      }
    }
    return generated;
  };

  const budget = Math.max(n * maxTries, n);
  const freeSeed = () => rng.split(`batch-${freeBatch++}`);
  // Held rare categories: the first draw leaves room for the rows they still miss, conditional
  // sampling then asks for each (within its own budget), and a last draw fills what is left.
  let generated = draw(conditions, () => n - (quota?.missing() ?? 0), n, budget, n, freeSeed);
  if (quota !== null) {
    let fillBudget = 10 * n + 1000;
    for (const h of quota.deficits()) {
      const cond: Conditions = { [h.column]: h.value };
      const need = h.target - h.count;
      const direct = source.nativeConditions?.(cond) === true;
      // By rejection a value of training share p needs about 1/p candidates per row from a model
      // that writes it at its training rate; ten times that leaves room for one that under-writes it.
      const own = Math.min(fillBudget, direct ? need * maxTries : Math.max(need * maxTries, Math.ceil((10 * need) / h.share)));
      let k = 0;
      const before = tally.produced;
      const firstWant = Math.ceil(direct ? need : need / Math.max(h.share, 1 / maxTries));
      fillBudget -= draw(cond, () => tally.produced + Math.max(0, h.target - h.count), n, own, firstWant, () => rng.split(`rare-${h.column}-${cellKey(h.value)}-${k++}`));
      quota.filled += tally.produced - before;
      if (h.count < h.target) quota.giveUp(h);
    }
    generated += draw(conditions, () => n, n, Math.max(0, budget - generated), n - tally.produced, freeSeed);
    // Rows filled by conditional sampling came last; a seeded shuffle puts them anywhere.
    if (quota.filled > 0) shuffleRows(out, tally.produced, rng.split('rare-quota-order'));
  }
  const { produced, checked, copies, conditionRejects } = tally;
  if (n > 0 && produced === 0) {
    const why = [
      condCols.length ? `${conditionRejects} failed the conditions` : '',
      guard.state.constraints.length ? `${checked - conditionRejects - copies} failed the constraints` : '',
      copies ? `${copies} were exact copies of training rows` : '',
    ].filter(Boolean).join(', ');
    throw new ConfigError(`no sampled row satisfies the ${condCols.length ? 'conditions' : 'constraints'} after ${generated} candidates (maxTriesPerRow ${maxTries})${why ? `: ${why}` : ''}; the request is unsatisfiable for this model`, {
      field: condCols.length ? `conditions.${condCols[0]}` : 'constraints',
    });
  }
  const data: Record<string, Cell[]> = {};
  guard.columns.forEach((c, j) => (data[c] = out[j]!));
  const report: SampleReport = {
    requested: n,
    produced,
    conditionMethod: condCols.length === 0 ? 'none' : native ? 'native' : 'reject',
    // Candidates left unchecked once n rows were found do not count against the rate.
    acceptanceRate: checked === 0 ? 1 : produced / checked,
    exactCopiesRemoved: copies,
    ...(quota !== null ? { rareCategories: quota.report() } : {}),
  };
  return { table: { columns: [...guard.columns], rowCount: produced, data }, report };
}
