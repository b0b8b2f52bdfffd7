/**
 * Feature tables in and out: CSV / TSV / RecBole atomic / JSONL / Parquet → `Table` with row-level
 * accounting (rows in = kept + rejected, each rejection with file, line, field, reason code), and
 * `Table` → CSV / TSV / JSONL / Parquet written atomically.
 *
 * Cell types on read:
 * - CSV/TSV: a column whose every non-null cell is a number (`12`, `-3.5`, `1e3`) becomes numbers;
 *   a number with a leading zero (`02139`) keeps the whole column as text (zip codes, codes).
 *   `NaN`, `Infinity`, `inf` in an otherwise numeric column reject their row ('non-finite'): a table
 *   never holds NaN/Infinity. Every other column stays text. Null tokens (default: empty field,
 *   NA, N/A, null, NULL) become null.
 * - RecBole atomic files (`name:type` headers): the `:type` suffix is removed from the column name;
 *   `float` columns must be numbers (else the row is rejected, 'bad-number'); `token` columns follow
 *   the CSV rule; `token_seq` columns stay text.
 * - JSONL: JSON values as they are (numbers, strings, booleans, null); columns are the keys in order
 *   of first appearance, a key absent from a line is null; a nested object/array rejects the row.
 * - Parquet (DuckDB): numeric types → numbers (integers above 2^53 lose precision), BOOLEAN →
 *   booleans, DATE/TIMESTAMP → ISO text, everything else → text; NaN/±Inf reject the row. `line`
 *   is the 1-based row number.
 */
import { extname } from 'node:path';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { AtomicFileWriter, tempPathFor, writeViaTempPath } from '../core/fsutil.ts';
import { ConfigError, DataValidationError } from '../core/errors.ts';
import { checkInputFile, clipRaw, decodeLine, forEachLine, lenientText, sha256File, type TextEncoding } from './lines.ts';
import { scanDelimited } from './csv.ts';
import { RejectionSink, jsonObjectLine } from './rejections.ts';
import { jsonlToParquet, parquetColumns, quoteIdentifier, streamParquet, withDuckDB } from './duckdb.ts';
import type { Cell, Table } from './table.ts';
import type { ReadReport } from './types.ts';

export type TableFormat = 'csv' | 'tsv' | 'recbole' | 'jsonl' | 'parquet';
export const TABLE_FORMATS = ['csv', 'tsv', 'recbole', 'jsonl', 'parquet'] as const satisfies readonly TableFormat[];
export type TableWriteFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

export interface TableReadOptions {
  /** Default: from the extension (.csv, .tsv, .jsonl/.ndjson, .parquet, RecBole .user/.item/.inter). */
  readonly format?: TableFormat;
  readonly delimiter?: string;
  /** Quote character for csv/tsv; default '"' for csv, none for tsv/recbole. */
  readonly quote?: string | null;
  readonly encoding?: TextEncoding;
  /** Strip `:type` suffixes from header names (default: true for recbole, false otherwise). */
  readonly headerTypes?: boolean;
  /** Cells read as null (csv/tsv/recbole). Default: '', NA, N/A, null, NULL. */
  readonly nullValues?: readonly string[];
  /** Keep only these columns, in this order (a missing one is a DataValidationError). */
  readonly columns?: readonly string[];
  readonly rejectedPath?: string;
  readonly maxLineBytes?: number;
}

export interface TableReadResult {
  readonly table: Table;
  readonly report: ReadReport;
  /** sha256 (hex) of the file's bytes. */
  readonly checksum: string;
  /** Physical line (Parquet: row number) of each kept row. */
  readonly lines: Float64Array;
}

const DEFAULT_NULLS = ['', 'NA', 'N/A', 'null', 'NULL'];
const NUMBER_RE = /^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$|^[+-]?\.\d+([eE][+-]?\d+)?$|^[+-]?0\.\d*$/;
const NONFINITE_RE = /^[+-]?(nan|inf|infinity)$/i;

export function tableFormatFromPath(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.csv':
      return 'csv';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.parquet':
      return 'parquet';
    case '.user':
    case '.item':
    case '.inter':
      return 'recbole';
    default:
      throw new ConfigError(`cannot tell the table format from '${path}'; give format (one of ${TABLE_FORMATS.join(', ')})`, { field: 'format' });
  }
}

/** Reads a feature table with row-level accounting (see the file comment for cell types). */
export async function readTable(path: string, options: TableReadOptions = {}): Promise<TableReadResult> {
  const format = options.format ?? tableFormatFromPath(path);
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`unknown table format '${String(format)}'; expected one of: ${TABLE_FORMATS.join(', ')}`, { field: 'format' });
  if (options.delimiter !== undefined && (options.delimiter.length === 0 || /[\r\n]/.test(options.delimiter))) throw new ConfigError('delimiter must be a non-empty string without newlines', { field: 'delimiter' });
  checkInputFile(path);
  const sink = new RejectionSink(path, options.rejectedPath);
  try {
    let r: TableReadResult;
    if (format === 'jsonl') r = await readJsonlTable(path, options, sink);
    else if (format === 'parquet') r = await readParquetTable(path, options, sink);
    else r = await readDelimited(path, format, options, sink);
    return r;
  } catch (e) {
    sink.abort();
    throw e;
  }
}

function selectColumns(path: string, columns: string[], want: readonly string[] | undefined): number[] {
  if (want === undefined) return columns.map((_, j) => j);
  const missing = want.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new DataValidationError(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; the file has: ${columns.join(', ')}`, { file: path, line: 1, field: missing[0]! });
  return want.map((c) => columns.indexOf(c));
}

async function readDelimited(path: string, format: 'csv' | 'tsv' | 'recbole', o: TableReadOptions, sink: RejectionSink): Promise<TableReadResult> {
  const delimiter = o.delimiter ?? (format === 'csv' ? ',' : '\t');
  const quote = o.quote !== undefined ? o.quote : format === 'csv' ? '"' : null;
  const stripTypes = o.headerTypes ?? format === 'recbole';
  const nulls = new Set(o.nullValues ?? DEFAULT_NULLS);
  let names: string[] = [];
  let declared: (string | undefined)[] = [];
  let keep: number[] = [];
  let width = 0;
  const raw: (string | null)[][] = [];
  const lines: number[] = [];
  const raws: string[] = [];
  let rowsIn = 0;
  const checksum = await scanDelimited(path, { delimiter, quote, encoding: o.encoding ?? 'utf-8', ...(o.maxLineBytes !== undefined ? { maxLineBytes: o.maxLineBytes } : {}) }, {
    header(h) {
      width = h.length;
      if (stripTypes) {
        if (format === 'recbole' && !h.some((x) => /:[a-z_]+$/.test(x)))
          throw new DataValidationError(`not a RecBole atomic header (expected 'name:type' fields, got ${h.map((x) => `'${x.slice(0, 40)}'`).join(', ')})`, { file: path, line: 1 });
        declared = h.map((x) => /:([a-z_]+)$/.exec(x)?.[1]);
        names = h.map((x) => x.replace(/:[a-z_]+$/, ''));
      } else names = h;
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup !== undefined) throw new DataValidationError(`column '${dup}' appears twice in the header`, { file: path, line: 1, field: dup });
      keep = selectColumns(path, names, o.columns);
      for (let k = 0; k < keep.length; k++) raw.push([]);
    },
    record(line, fields, text) {
      rowsIn++;
      if (fields.length !== width) return sink.reject(line, '*', 'column-count', `expected ${width} fields (as in the header), found ${fields.length}`, clipRaw(text));
      for (let k = 0; k < keep.length; k++) {
        const f = fields[keep[k]!]!;
        raw[k]!.push(nulls.has(f) ? null : f);
      }
      lines.push(line);
      raws.push(clipRaw(text));
    },
    bad(line, code, reason, text) {
      rowsIn++;
      sink.reject(line, '*', code, reason, text);
    },
  });
  if (rowsIn === 0) throw new DataValidationError('file has a header but no data rows', { file: path });
  const colNames = keep.map((j) => names[j]!);
  const types = keep.map((j) => declared[j]);
  // Per column: numbers when every non-null cell is one; rows with NaN/Inf (or text in a declared float column) are rejected.
  const bad = new Map<number, { field: string; code: string; reason: string }>();
  const numeric = colNames.map((name, k) => {
    const cells = raw[k]!;
    if (types[k] === 'token_seq') return false;
    const forced = types[k] === 'float';
    let sawNumber = false;
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      if (c === null || c === undefined) continue;
      const t = c.trim();
      if (NUMBER_RE.test(t)) sawNumber = true;
      else if (!NONFINITE_RE.test(t) && !forced) return false;
    }
    if (!sawNumber && !forced) return false;
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      if (c === null || c === undefined || bad.has(i)) continue;
      const t = c.trim();
      if (NONFINITE_RE.test(t)) bad.set(i, { field: name, code: 'non-finite', reason: `'${t}' is not a finite number` });
      else if (!NUMBER_RE.test(t)) bad.set(i, { field: name, code: 'bad-number', reason: `'${t.slice(0, 40)}' is not a number (column declared float)` });
    }
    return true;
  });
  const order = [...bad.keys()].sort((a, b) => a - b);
  for (const i of order) {
    const b = bad.get(i)!;
    sink.reject(lines[i]!, b.field, b.code, b.reason, raws[i]);
  }
  const data: Record<string, Cell[]> = {};
  const keptLines: number[] = [];
  for (let i = 0; i < lines.length; i++) if (!bad.has(i)) keptLines.push(lines[i]!);
  colNames.forEach((name, k) => {
    const cells = raw[k]!;
    const out: Cell[] = new Array(keptLines.length);
    let w = 0;
    for (let i = 0; i < cells.length; i++) {
      if (bad.has(i)) continue;
      const c = cells[i]!;
      out[w++] = c === null ? null : numeric[k] ? Number(c.trim()) : c;
    }
    data[name] = out;
  });
  const report = sink.close(rowsIn, keptLines.length, 'table');
  return { table: { columns: colNames, rowCount: keptLines.length, data }, report, checksum, lines: Float64Array.from(keptLines) };
}

async function readJsonlTable(path: string, o: TableReadOptions, sink: RejectionSink): Promise<TableReadResult> {
  const columns: string[] = [];
  const index = new Map<string, number>();
  const rows: Map<number, Cell>[] = [];
  const lines: number[] = [];
  let rowsIn = 0;
  const { checksum } = await forEachLine(
    path,
    {
      line(lineNo, bytes) {
        rowsIn++;
        const text = decodeLine(bytes, o.encoding ?? 'utf-8');
        if (text === null) return sink.reject(lineNo, '*', 'invalid-utf8', 'line is not valid UTF-8', lenientText(bytes));
        const obj = jsonObjectLine(sink, lineNo, text);
        if (obj === null) return;
        const row = new Map<number, Cell>();
        for (const [k, v] of Object.entries(obj)) {
          if (o.columns !== undefined && !o.columns.includes(k)) continue;
          if (v !== null && typeof v === 'object') return sink.reject(lineNo, k, 'bad-value', 'nested objects and arrays are not table cells', clipRaw(text));
          let j = index.get(k);
          if (j === undefined) {
            j = columns.length;
            columns.push(k);
            index.set(k, j);
          }
          row.set(j, v as Cell);
        }
        rows.push(row);
        lines.push(lineNo);
      },
      tooLong(lineNo, head, total) {
        rowsIn++;
        sink.reject(lineNo, '*', 'line-too-long', `line is ${total} bytes, over the line limit`, lenientText(head));
      },
    },
    o.maxLineBytes,
  );
  const report = sink.close(rowsIn, rows.length, 'table');
  const order = o.columns !== undefined ? selectColumns(path, columns, o.columns).map((j) => columns[j]!) : columns;
  const data: Record<string, Cell[]> = {};
  for (const c of order) {
    const j = index.get(c)!;
    data[c] = rows.map((r) => (r.has(j) ? r.get(j)! : null));
  }
  return { table: { columns: order, rowCount: rows.length, data }, report, checksum, lines: Float64Array.from(lines) };
}

async function readParquetTable(path: string, o: TableReadOptions, sink: RejectionSink): Promise<TableReadResult> {
  const checksum = await sha256File(path);
  return withDuckDB(path, async (conn) => {
    const schema = await parquetColumns(conn, path);
    const keep = selectColumns(path, schema.map((s) => s.name), o.columns).map((j) => schema[j]!);
    const kinds = keep.map((s) =>
      /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL|REAL)/.test(s.type) ? 'number' : s.type === 'BOOLEAN' ? 'boolean' : 'text',
    );
    const select = keep.map((s, k) => (kinds[k] === 'number' ? `CAST(${quoteIdentifier(s.name)} AS DOUBLE)` : kinds[k] === 'boolean' ? quoteIdentifier(s.name) : `CAST(${quoteIdentifier(s.name)} AS VARCHAR)`)).join(', ');
    const cols: Cell[][] = keep.map(() => []);
    const lines: number[] = [];
    let rowsIn = 0;
    await streamParquet(conn, path, select, (columns, rowCount) => {
      for (let r = 0; r < rowCount; r++) {
        rowsIn++;
        let badCol = -1;
        for (let k = 0; k < keep.length; k++) {
          const v = columns[k]![r];
          if (kinds[k] === 'number' && typeof v === 'number' && !Number.isFinite(v)) {
            badCol = k;
            break;
          }
        }
        if (badCol >= 0) {
          sink.reject(rowsIn, keep[badCol]!.name, 'non-finite', `${String(columns[badCol]![r])} is not a finite number`, JSON.stringify(keep.map((_, k) => String(columns[k]![r] ?? null))).slice(0, 200));
          continue;
        }
        for (let k = 0; k < keep.length; k++) {
          const v = columns[k]![r];
          cols[k]!.push(v === null || v === undefined ? null : kinds[k] === 'number' ? Number(v) : kinds[k] === 'boolean' ? Boolean(v) : String(v));
        }
        lines.push(rowsIn);
      }
    });
    const report = sink.close(rowsIn, lines.length, 'table');
    const data: Record<string, Cell[]> = {};
    keep.forEach((s, k) => (data[s.name] = cols[k]!));
    return { table: { columns: keep.map((s) => s.name), rowCount: lines.length, data }, report, checksum, lines: Float64Array.from(lines) };
  });
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TableWriteOptions {
  /** Default: from the extension (.csv, .tsv, .jsonl, .parquet). */
  readonly format?: TableWriteFormat;
}

function csvField(c: Cell, delimiter: string): string {
  if (c === null) return '';
  const s = typeof c === 'string' ? c : String(c);
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || (typeof c === 'string' && (s === '' || s !== s.trim()))) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** Streams text chunks into a temp file beside `path`, committed into place at the end (atomic). */
function writeChunksAtomic(path: string, produce: (write: (s: string) => void) => void): void {
  const out = new AtomicFileWriter(path, 1 << 20);
  try {
    produce((s) => out.write(s));
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

function writeDelimited(table: Table, path: string, delimiter: string): void {
  const cols = table.columns.map((c) => table.data[c]!);
  writeChunksAtomic(path, (write) => {
    write(table.columns.map((c) => csvField(c, delimiter)).join(delimiter) + '\n');
    for (let i = 0; i < table.rowCount; i++) write(cols.map((col) => csvField(col[i] ?? null, delimiter)).join(delimiter) + '\n');
  });
}

function writeJsonl(table: Table, path: string): void {
  const cols = table.columns.map((c) => table.data[c]!);
  writeChunksAtomic(path, (write) => {
    for (let i = 0; i < table.rowCount; i++) {
      const o: Record<string, Cell> = {};
      table.columns.forEach((c, j) => (o[c] = cols[j]![i] ?? null));
      write(JSON.stringify(o) + '\n');
    }
  });
}

/** Parquet column type: DOUBLE/BIGINT when every non-null cell is a number, BOOLEAN for booleans, else VARCHAR. */
function parquetType(cells: readonly Cell[]): 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' {
  let num = true;
  let int = true;
  let bool = true;
  let any = false;
  for (const c of cells) {
    if (c === null) continue;
    any = true;
    if (typeof c !== 'number') num = false;
    else if (!Number.isSafeInteger(c)) int = false;
    if (typeof c !== 'boolean') bool = false;
  }
  if (!any) return 'VARCHAR';
  if (num) return int ? 'BIGINT' : 'DOUBLE';
  return bool ? 'BOOLEAN' : 'VARCHAR';
}

async function writeParquet(table: Table, path: string): Promise<void> {
  const types = table.columns.map((c) => parquetType(table.data[c]!));
  // VARCHAR columns holding numbers are written as text, so read_json sees one JSON type per column.
  const cols = table.columns.map((c) => table.data[c]!);
  await writeViaTempPath(path, async (tmp) => {
    // DuckDB reads the rows from a JSONL temp of our naming beside the output (removed after; a
    // killed run's is removed by the next write of this path).
    const jsonl = tempPathFor(path);
    try {
      const fd = openSync(jsonl, 'w');
      try {
        let buf: string[] = [];
        let len = 0;
        for (let i = 0; i < table.rowCount; i++) {
          const o: Record<string, Cell> = {};
          table.columns.forEach((c, j) => {
            const v = cols[j]![i] ?? null;
            o[c] = v === null ? null : types[j] === 'VARCHAR' ? String(v) : v;
          });
          const line = JSON.stringify(o) + '\n';
          buf.push(line);
          len += line.length;
          if (len > 1 << 20) {
            writeSync(fd, buf.join(''));
            buf = [];
            len = 0;
          }
        }
        if (buf.length) writeSync(fd, buf.join(''));
      } finally {
        closeSync(fd);
      }
      const columns = table.columns.map((c, j) => ({ name: c, type: types[j]! }));
      await withDuckDB(path, (conn) => jsonlToParquet(conn, jsonl, tmp, columns, table.rowCount === 0));
    } finally {
      rmSync(jsonl, { force: true });
    }
  });
}

/** Writes a table atomically (temp file, then rename): CSV/TSV (RFC 4180 quoting, null = empty field), JSONL or Parquet. */
export async function writeTable(table: Table, path: string, options: TableWriteOptions = {}): Promise<void> {
  let format = options.format;
  if (format === undefined) {
    const f = tableFormatFromPath(path);
    if (f === 'recbole') throw new ConfigError(`cannot write RecBole files; use .csv, .tsv, .jsonl or .parquet (got '${path}')`, { field: 'out' });
    format = f;
  }
  switch (format) {
    case 'csv':
      return writeDelimited(table, path, ',');
    case 'tsv':
      return writeDelimited(table, path, '\t');
    case 'jsonl':
      return writeJsonl(table, path);
    case 'parquet':
      return writeParquet(table, path);
    default:
      throw new ConfigError(`unknown output format '${String(format)}'; expected csv, tsv, jsonl or parquet`, { field: 'format' });
  }
}
