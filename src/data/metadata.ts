/**
 * Column-type detection for feature tables, and the cell conversions every synthesizer shares.
 *
 * Rules, applied per column in this order (the first that matches wins; see
 * docs/decisions/synthesis.md for why):
 * 1. every cell null → categorical (reproduced as all-null: nothing to learn, nothing to fail on).
 * 2. booleans, the strings true/false (any case), or numbers that are 0 and 1 (both) → boolean.
 * 3. a name that says "identifier" (`id`, `user_id`, `itemId`, `sku`, `*_key`) → id; so are
 *    strings that are mostly distinct (distinct > half the non-null cells and more than 20 values,
 *    e.g. zip codes, emails, order numbers) — ids are never one-hot encoded downstream.
 * 4. numbers (or numeric strings) in a column whose name says time (`timestamp`, `time`, `date`,
 *    `*_at`, `*_ts`) and whose values look like Unix seconds (1e8..1e10.5) or ms (1e11..1e13.5),
 *    or ISO-8601 date strings whatever the name → datetime.
 * 5. numbers or numeric strings → numerical (`integer` when every value is an integer).
 * 6. anything else → categorical.
 * An override replaces the detected entry for its column (`overridden: true`); an override naming
 * a column the table does not have is a ConfigError naming it.
 */
import { ConfigError, DataValidationError } from '../core/errors.ts';
import type { Cell, ColumnMeta, ColumnType, Table, TableMetadata } from './table.ts';

export const COLUMN_TYPES: readonly ColumnType[] = ['categorical', 'numerical', 'datetime', 'id', 'boolean'];

export type MetadataOverride = ColumnType | ColumnMeta;

export interface DetectOptions {
  /** Per-column overrides: a type name, or a full ColumnMeta. */
  readonly overrides?: Readonly<Record<string, MetadataOverride>>;
  /** Name of the file the table came from, for error messages. */
  readonly file?: string;
}

const NUMERIC_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const ID_NAME_RE = /(^|[_\-\s.])(id|key|sku|uuid)$|[a-z]Id$|^(id|sku|uuid)$/i;
const TIME_NAME_RE = /(time|timestamp|date|datetime)$|^(time|timestamp|date)|_(at|ts)$/i;

/** A number for a numerical/datetime cell: numbers as they are, numeric and ISO strings parsed; null for missing. NaN when unparseable. */
export function cellToNumber(cell: Cell, meta?: ColumnMeta): number | null {
  if (cell === null) return null;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const s = cell.trim();
  if (s === '') return null;
  if (meta?.type === 'datetime' && (meta.datetimeFormat === 'iso' || !NUMERIC_RE.test(s))) return parseIsoMs(s);
  return NUMERIC_RE.test(s) ? Number(s) : NaN;
}

/** ISO-8601 date or date-time to Unix ms; a string without a zone is read as UTC. NaN when not ISO. */
export function parseIsoMs(s: string): number {
  if (!ISO_RE.test(s)) return NaN;
  let t = s.replace(' ', 'T');
  if (t.length === 10) t += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(t)) t += 'Z';
  return Date.parse(t);
}

/** Formats a modelled number back into the column's datetime representation. */
export function numberToDatetime(value: number, meta: ColumnMeta, isoDateOnly = false): Cell {
  if (meta.datetimeFormat === 'iso') {
    const d = new Date(Math.round(value));
    if (Number.isNaN(d.getTime())) return null;
    const iso = d.toISOString();
    return isoDateOnly ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
  }
  return Math.round(value);
}

interface ColumnProfile {
  nonNull: number;
  distinct: number;
  allBool: boolean;
  allNumeric: boolean;
  allInteger: boolean;
  allIso: boolean;
  zeroOne: boolean;
  allStrings: boolean;
  min: number;
  max: number;
}

function profile(cells: readonly Cell[]): ColumnProfile {
  const seen = new Set<string>();
  let nonNull = 0;
  let allBool = true;
  let allNumeric = true;
  let allInteger = true;
  let allIso = true;
  let zeroOne = true;
  let allStrings = true;
  let min = Infinity;
  let max = -Infinity;
  for (const c of cells) {
    if (c === null) continue;
    nonNull++;
    seen.add(typeof c === 'string' ? 's' + c : typeof c === 'number' ? 'n' + c : 'b' + c);
    if (typeof c === 'boolean') {
      allNumeric = allIso = zeroOne = allStrings = false;
      continue;
    }
    if (typeof c === 'number') {
      allIso = allStrings = false;
      allBool = false;
      if (!Number.isInteger(c)) allInteger = false;
      if (c !== 0 && c !== 1) zeroOne = false;
      if (c < min) min = c;
      if (c > max) max = c;
      continue;
    }
    zeroOne = false;
    const low = c.toLowerCase();
    if (low !== 'true' && low !== 'false') allBool = false;
    if (!ISO_RE.test(c)) allIso = false;
    const t = c.trim();
    if (NUMERIC_RE.test(t)) {
      const v = Number(t);
      if (!Number.isInteger(v)) allInteger = false;
      if (v < min) min = v;
      if (v > max) max = v;
    } else allNumeric = false;
  }
  if (nonNull === 0) allBool = allNumeric = allInteger = allIso = zeroOne = allStrings = false;
  return { nonNull, distinct: seen.size, allBool, allNumeric, allInteger, allIso, zeroOne, allStrings, min, max };
}

function detectColumn(name: string, cells: readonly Cell[]): ColumnMeta {
  const p = profile(cells);
  if (p.nonNull === 0) return { type: 'categorical' };
  if (p.allBool || (p.zeroOne && p.allNumeric && p.distinct === 2)) return { type: 'boolean' };
  if (ID_NAME_RE.test(name)) return { type: 'id' };
  if (p.allStrings && !p.allNumeric && !p.allIso && p.distinct > 20 && p.distinct > p.nonNull / 2) return { type: 'id' };
  if (p.allIso && !p.allNumeric) return { type: 'datetime', datetimeFormat: 'iso' };
  if (p.allNumeric) {
    if (TIME_NAME_RE.test(name) && p.allInteger) {
      if (p.min >= 1e8 && p.max <= 10 ** 10.5) return { type: 'datetime', datetimeFormat: 'unix-seconds' };
      if (p.min >= 1e11 && p.max <= 10 ** 13.5) return { type: 'datetime', datetimeFormat: 'unix-ms' };
    }
    return { type: 'numerical', integer: p.allInteger };
  }
  return { type: 'categorical' };
}

/** Checks that a column's cells can be read as its declared type (numbers for numerical/datetime). */
function checkCompatible(table: Table, column: string, meta: ColumnMeta, file?: string): void {
  if (meta.type !== 'numerical' && meta.type !== 'datetime') return;
  const cells = table.data[column]!;
  for (let i = 0; i < cells.length; i++) {
    const v = cellToNumber(cells[i]!, meta);
    if (v !== null && !Number.isFinite(v))
      throw new DataValidationError(`column is declared ${meta.type} but row ${i + 1} holds ${JSON.stringify(cells[i])}`, { ...(file ? { file } : {}), line: i + 1, field: column });
  }
}

/** Detects the type of every column; overrides win. See the rules at the top of this file. */
export function detectMetadata(table: Table, options: DetectOptions | Readonly<Record<string, MetadataOverride>> = {}): TableMetadata {
  const opts: DetectOptions = isDetectOptions(options) ? options : { overrides: options as Record<string, MetadataOverride> };
  const overrides = opts.overrides ?? {};
  for (const [col, o] of Object.entries(overrides)) {
    if (!table.columns.includes(col)) throw new ConfigError(`metadata override for column '${col}', which the table does not have; columns are: ${table.columns.join(', ')}`, { field: `metadata.${col}` });
    const type = typeof o === 'string' ? o : o?.type;
    if (!COLUMN_TYPES.includes(type as ColumnType)) throw new ConfigError(`unknown column type '${String(type)}'; expected one of: ${COLUMN_TYPES.join(', ')}`, { field: `metadata.${col}` });
  }
  const columns: Record<string, ColumnMeta> = {};
  for (const c of table.columns) {
    const o = overrides[c];
    if (o === undefined) {
      columns[c] = detectColumn(c, table.data[c]!);
      continue;
    }
    let meta: ColumnMeta = typeof o === 'string' ? { type: o } : { ...o };
    if (meta.type === 'numerical' && meta.integer === undefined) meta = { ...meta, integer: profile(table.data[c]!).allInteger };
    if (meta.type === 'datetime' && meta.datetimeFormat === undefined) {
      const p = profile(table.data[c]!);
      meta = { ...meta, datetimeFormat: p.allNumeric ? (p.max > 1e11 ? 'unix-ms' : 'unix-seconds') : 'iso' };
    }
    meta = { ...meta, overridden: true };
    checkCompatible(table, c, meta, opts.file);
    columns[c] = meta;
  }
  const primaryKey = table.columns.find((c) => columns[c]!.type === 'id' && isUniqueColumn(table.data[c]!));
  return primaryKey !== undefined ? { columns, primaryKey } : { columns };
}

function isDetectOptions(o: object): o is DetectOptions {
  const keys = Object.keys(o);
  return keys.length === 0 || keys.every((k) => k === 'overrides' || k === 'file');
}

/** True when every cell is non-null and no two cells are equal (a key column). */
export function isUniqueColumn(cells: readonly Cell[]): boolean {
  const seen = new Set<string>();
  for (const c of cells) {
    if (c === null) return false;
    const k = typeof c === 'string' ? 's' + c : 'v' + String(c);
    if (seen.has(k)) return false;
    seen.add(k);
  }
  return cells.length > 0;
}

/** Canonical text of a cell for hashing and set membership (type-tagged, so 1 and '1' differ). */
export function cellKey(c: Cell): string {
  if (c === null) return 'z';
  if (typeof c === 'string') return 's' + c;
  if (typeof c === 'number') return 'n' + String(c);
  return c ? 'bt' : 'bf';
}

/** Metadata must describe exactly the table's columns. */
export function checkMetadataCovers(table: Table, metadata: TableMetadata): void {
  for (const c of table.columns) if (metadata.columns[c] === undefined) throw new ConfigError(`metadata has no entry for column '${c}'`, { field: `metadata.${c}` });
  for (const c of Object.keys(metadata.columns)) if (!table.columns.includes(c)) throw new ConfigError(`metadata names column '${c}', which the table does not have`, { field: `metadata.${c}` });
}
