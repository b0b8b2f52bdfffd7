/**
 * Readers. Each one streams its input, accounts for every physical row (kept, or rejected with
 * file/line/field/code), and turns every way a file can be unusable into a DataValidationError
 * that names the file — never a raw Node or DuckDB stack trace.
 */
import { basename, extname } from 'node:path';
import { ConfigError, DataValidationError } from '../core/errors.ts';
import { DEFAULT_MAX_LINE_BYTES, checkInputFile, clipRaw, decodeLine, forEachLine, lenientText, readProgressBar, sha256File, type TextEncoding } from './lines.ts';
import { scanDelimited } from './csv.ts';
import { parquetInteractionSelect, parquetRowCount, streamParquet, withDuckDB } from './duckdb.ts';
import { RejectionSink, jsonObjectLine } from './rejections.ts';
import { InteractionBuilder, checkId, clip, type ColumnNames, type IdType } from './validate.ts';
import { interactionsToSequences, type DedupeMode } from './sequences.ts';
import type { InteractionTable, ReadReport, SequenceDataset } from './types.ts';

export interface DatasetRead {
  dataset: SequenceDataset;
  report: ReadReport;
}
export interface TableRead {
  table: InteractionTable;
  report: ReadReport;
}

function defaultName(path: string): string {
  const b = basename(path);
  return b.slice(0, b.length - extname(b).length) || b;
}

/** Runs a read with a rejection sink; any failure removes the half-written rejected file. */
async function withSink<T>(file: string, rejectedPath: string | undefined, body: (sink: RejectionSink) => Promise<T>): Promise<T> {
  const sink = new RejectionSink(file, rejectedPath);
  try {
    return await body(sink);
  } catch (e) {
    sink.abort();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// `user item item …` text (Beauty.txt, Taobao.txt)

export interface SequenceTextOptions {
  name?: string;
  rejectedPath?: string;
  /** Lines longer than this (bytes) are rejected as 'line-too-long' without being buffered. Default 64 MiB. */
  maxLineBytes?: number;
  /** Drop repeated items within a user (default 'none': Taobao's repeats are real behaviour). */
  dedupe?: DedupeMode;
  /**
   * A companion file with the same `user t t …` layout holding one timestamp per item
   * (TiCoSeRec's Beauty_time.txt). A main-file row whose user is missing there, whose count of
   * timestamps differs, or whose timestamps are not numbers ≥ 0 is rejected ('timestamp-mismatch').
   */
  timesPath?: string;
}

/**
 * Reads the companion time file strictly: it is metadata for the main file, so a malformed line
 * there is a DataValidationError naming that file and line rather than a silent per-row loss.
 */
async function readTimesFile(path: string): Promise<Map<string, string[]>> {
  checkInputFile(path);
  const out = new Map<string, string[]>();
  await forEachLine(path, {
    line(lineNo, bytes) {
      const text = decodeLine(bytes, 'utf-8');
      if (text === null) throw new DataValidationError('line is not valid UTF-8', { file: path, line: lineNo });
      const t = text.trim();
      if (t === '') return;
      const tokens = t.split(/[ \t]+/);
      const u = checkId(tokens[0], 'integer');
      if (!u.ok) throw new DataValidationError(`user ${u.reason}`, { file: path, line: lineNo, field: 'user' });
      if (out.has(u.value)) throw new DataValidationError(`user ${clip(u.value)} appears twice`, { file: path, line: lineNo, field: 'user' });
      out.set(u.value, tokens.slice(1));
    },
    tooLong(lineNo) {
      throw new DataValidationError('line is over the line-length limit', { file: path, line: lineNo });
    },
  });
  return out;
}

/**
 * Decisions for this format:
 * - Tokens are separated by any run of spaces/tabs (the files use single spaces; being lenient here
 *   loses nothing). A trailing '\r' (CRLF files) and a UTF-8 BOM on line 1 are removed.
 * - A blank (or whitespace-only) line is a rejected row with code 'empty-line': it is a physical row,
 *   and counting it keeps `rowsIn` equal to the file's line count.
 * - A line needs a user and at least one item ('too-few-tokens'), all ids non-negative integers
 *   ('bad-id'; field 'user' or 'item[k]', k = 0-based position among the items). One bad item
 *   rejects the whole line: dropping just that item would silently shift the rest of the sequence.
 * - A user seen on an earlier line: the later line is rejected ('duplicate-user'); merging two lines
 *   would need an order between them that the format does not give.
 * - Items keep file order (the files are already chronological); repeats within a user are kept.
 * - Dense ids: users in line order, items in order of first appearance (for Beauty.txt this is the
 *   identity mapping). Ids are compared as canonical integers, so '007' and '7' are one item.
 */
export async function readSequenceText(path: string, opts: SequenceTextOptions = {}): Promise<DatasetRead> {
  checkInputFile(path);
  const times = opts.timesPath !== undefined ? await readTimesFile(opts.timesPath) : undefined;
  return withSink(path, opts.rejectedPath, async (sink) => {
    const userIds: string[] = [];
    const userTimes: number[][] = [];
    const seenUsers = new Map<string, number>();
    const seqs: string[][] = [];
    let rowsIn = 0;
    const { checksum } = await forEachLine(
      path,
      {
        line(lineNo, bytes) {
          rowsIn++;
          const text = decodeLine(bytes, 'utf-8');
          if (text === null) return sink.reject(lineNo, '*', 'invalid-utf8', 'line is not valid UTF-8', lenientText(bytes));
          const t = text.trim();
          if (t === '') return sink.reject(lineNo, '*', 'empty-line', 'empty line', text);
          const tokens = t.split(/[ \t]+/);
          const raw = text.length > 200 ? text.slice(0, 200) + '…' : text;
          if (tokens.length < 2) return sink.reject(lineNo, 'items', 'too-few-tokens', `expected 'user item [item …]', found ${tokens.length} token`, raw);
          const u = checkId(tokens[0], 'integer');
          if (!u.ok) return sink.reject(lineNo, 'user', u.code, `user ${u.reason}`, raw);
          const items = new Array<string>(tokens.length - 1);
          for (let k = 1; k < tokens.length; k++) {
            const c = checkId(tokens[k], 'integer');
            if (!c.ok) return sink.reject(lineNo, `item[${k - 1}]`, c.code, `item ${c.reason}`, raw);
            items[k - 1] = c.value;
          }
          const prev = seenUsers.get(u.value);
          if (prev !== undefined) return sink.reject(lineNo, 'user', 'duplicate-user', `user ${clip(u.value)} already appeared on line ${prev}`, raw);
          if (times) {
            const ts = times.get(u.value);
            if (ts === undefined) return sink.reject(lineNo, 'user', 'timestamp-mismatch', `user ${clip(u.value)} has no line in ${opts.timesPath}`, raw);
            if (ts.length !== items.length) return sink.reject(lineNo, 'items', 'timestamp-mismatch', `${items.length} items but ${ts.length} timestamps in ${opts.timesPath}`, raw);
            const nums = ts.map((x) => (/^\d+(\.\d+)?$/.test(x) ? Number(x) : NaN));
            const bad = nums.findIndex((x) => !Number.isFinite(x));
            if (bad >= 0) return sink.reject(lineNo, `item[${bad}]`, 'timestamp-mismatch', `timestamp '${clip(ts[bad]!)}' in ${opts.timesPath} is not a number >= 0`, raw);
            userTimes.push(nums);
          }
          seenUsers.set(u.value, lineNo);
          userIds.push(u.value);
          seqs.push(items);
        },
        tooLong(lineNo, head, total) {
          rowsIn++;
          sink.reject(lineNo, '*', 'line-too-long', `line is ${total} bytes, over the ${opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES}-byte limit`, lenientText(head));
        },
      },
      opts.maxLineBytes,
    );
    const report = sink.close(rowsIn, userIds.length, 'sequence');
    // Build through the shared path so dense-id and dedupe rules are the same for every format.
    const users: string[] = [];
    const items: string[] = [];
    for (let u = 0; u < userIds.length; u++) for (const it of seqs[u]!) users.push(userIds[u]!), items.push(it);
    // With times, the stable sort in interactionsToSequences leaves an already-chronological file unchanged.
    const table: InteractionTable = {
      file: path,
      checksum,
      users,
      items,
      lines: new Float64Array(0),
      ...(times ? { timestamps: Float64Array.from(userTimes.flat()) } : {}),
    };
    const dataset = interactionsToSequences(table, { name: opts.name ?? defaultName(path), dedupe: opts.dedupe ?? 'none' });
    return { dataset, report };
  });
}

// ---------------------------------------------------------------------------------------------
// Generic interactions: CSV / TSV / JSONL / Parquet

export const INTERACTION_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
export type InteractionFormat = (typeof INTERACTION_FORMATS)[number];

export interface InteractionOptions {
  format: InteractionFormat;
  columns: ColumnNames;
  /** Allowed event types; rows with another type are rejected ('unknown-event-type'). Needs columns.eventType. */
  eventTypes?: string[];
  /** Field delimiter for csv/tsv (default ',' / '\t'). */
  delimiter?: string;
  /** Quote character for csv/tsv (default '"' for csv, none for tsv); null disables quoting. */
  quote?: string | null;
  /** Default 'token' (any string id); 'integer' requires non-negative integers. */
  idType?: IdType;
  /** Text encoding of csv/tsv/jsonl (default utf-8: rows with invalid bytes are rejected as 'invalid-utf8'). */
  encoding?: TextEncoding;
  rejectedPath?: string;
  maxLineBytes?: number;
}

function checkOptions(o: InteractionOptions): void {
  if (!(INTERACTION_FORMATS as readonly string[]).includes(o.format)) throw new ConfigError(`unknown format '${String(o.format)}'; expected csv, tsv, jsonl or parquet`, { field: 'format' });
  if (!o.columns || typeof o.columns.user !== 'string' || typeof o.columns.item !== 'string' || !o.columns.user || !o.columns.item)
    throw new ConfigError('columns.user and columns.item are required', { field: 'columns' });
  if (o.eventTypes !== undefined && o.columns.eventType === undefined) throw new ConfigError('eventTypes given but no columns.eventType to check them against', { field: 'eventTypes' });
  if (o.delimiter !== undefined && (o.delimiter.length === 0 || /[\r\n]/.test(o.delimiter))) throw new ConfigError('delimiter must be a non-empty string without newlines', { field: 'delimiter' });
  if (o.quote !== undefined && o.quote !== null && (o.quote.length !== 1 || o.quote === o.delimiter)) throw new ConfigError('quote must be one character, different from the delimiter', { field: 'quote' });
}

/** Reads interactions from a tabular file into an InteractionTable (file order, external ids). */
export async function readInteractions(path: string, opts: InteractionOptions): Promise<TableRead> {
  checkOptions(opts);
  checkInputFile(path);
  switch (opts.format) {
    case 'csv':
    case 'tsv':
      return readDelimitedTable(path, opts, (h) => ({ idx: resolveByName(path, h, opts.columns, opts.delimiter ?? (opts.format === 'csv' ? ',' : '\t')), cols: opts.columns }));
    case 'jsonl':
      return readJsonl(path, opts);
    case 'parquet':
      return readParquet(path, opts);
  }
}

type Resolved = { user: number; item: number; timestamp?: number; eventType?: number };

function resolveByName(file: string, header: string[], cols: ColumnNames, delimiter: string, nameOf: (h: string) => string = (h) => h): Resolved {
  const names = header.map(nameOf);
  const find = (want: string): number => names.indexOf(want);
  const missing = (['user', 'item', 'timestamp', 'eventType'] as const).filter((k) => cols[k] !== undefined && find(cols[k]!) === -1).map((k) => cols[k]!);
  if (missing.length > 0) {
    let hint = '';
    if (header.length === 1) {
      const other = [',', ';', '\t', '|'].find((d) => d !== delimiter && header[0]!.includes(d));
      hint = other !== undefined ? ` (the header has one column containing '${other === '\t' ? '\\t' : other}': is the delimiter right?)` : '';
    }
    throw new DataValidationError(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; header has: ${header.map((h) => `'${clip(h, 40)}'`).join(', ')}${hint}`, {
      file,
      line: 1,
      field: missing[0]!,
    });
  }
  const r: Resolved = { user: find(cols.user), item: find(cols.item) };
  if (cols.timestamp !== undefined) r.timestamp = find(cols.timestamp);
  if (cols.eventType !== undefined) r.eventType = find(cols.eventType);
  return r;
}

/**
 * Shared CSV/TSV path. `resolve` maps the header to column indexes and to the column names the
 * rejections report (it may throw a DataValidationError for a bad header).
 */
async function readDelimitedTable(path: string, opts: InteractionOptions, resolve: (header: string[]) => { idx: Resolved; cols: ColumnNames }): Promise<TableRead> {
  const delimiter = opts.delimiter ?? (opts.format === 'tsv' ? '\t' : ',');
  const quote = opts.quote !== undefined ? opts.quote : opts.format === 'csv' ? '"' : null;
  return withSink(path, opts.rejectedPath, async (sink) => {
    let builder: InteractionBuilder | undefined;
    let header: string[] = [];
    let idx: Resolved = { user: 0, item: 0 };
    let rowsIn = 0;
    const checksum = await scanDelimited(path, { delimiter, quote, encoding: opts.encoding ?? 'utf-8', ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}) }, {
      header(h) {
        header = h;
        const r = resolve(h);
        idx = r.idx;
        builder = new InteractionBuilder(sink, r.cols, opts.idType ?? 'token', opts.eventTypes);
      },
      record(line, fields, raw) {
        rowsIn++;
        const rawClip = raw.length > 200 ? raw.slice(0, 200) + '…' : raw;
        if (fields.length !== header.length)
          return sink.reject(line, '*', 'column-count', `expected ${header.length} fields (as in the header), found ${fields.length}`, rawClip);
        // Concatenated exports repeat the header inside the file; say so instead of blaming its timestamp cell.
        if (fields.every((f, k) => f.trim() === header[k])) return sink.reject(line, '*', 'repeated-header', 'the header line is repeated here (concatenated files?)', rawClip);
        builder!.add(line, fields[idx.user], fields[idx.item], idx.timestamp !== undefined ? fields[idx.timestamp] : undefined, idx.eventType !== undefined ? fields[idx.eventType] : undefined, rawClip);
      },
      bad(line, code, reason, raw, rawBytes) {
        rowsIn++;
        let field = '*';
        if (code === 'invalid-utf8' && rawBytes) {
          // Name the column holding the bad bytes when the row still splits into the header's columns.
          const f = rawBytes.toString('utf-8').replace(/\r$/, '').split(delimiter);
          if (f.length === header.length) {
            const k = f.findIndex((x) => x.includes('\ufffd'));
            if (k >= 0) field = header[k]!;
          }
        }
        sink.reject(line, field, code, reason, raw);
      },
    });
    if (rowsIn === 0 || builder === undefined) throw new DataValidationError('file has a header but no data rows', { file: path });
    const report = sink.close(rowsIn, builder.kept, 'interaction');
    return { table: builder.build(path, checksum), report };
  });
}

async function readJsonl(path: string, opts: InteractionOptions): Promise<TableRead> {
  const cols = opts.columns;
  return withSink(path, opts.rejectedPath, async (sink) => {
    const builder = new InteractionBuilder(sink, cols, opts.idType ?? 'token', opts.eventTypes);
    let rowsIn = 0;
    const { checksum } = await forEachLine(
      path,
      {
        line(lineNo, bytes) {
          rowsIn++;
          const text = decodeLine(bytes, opts.encoding ?? 'utf-8');
          if (text === null) return sink.reject(lineNo, '*', 'invalid-utf8', 'line is not valid UTF-8', lenientText(bytes));
          const o = jsonObjectLine(sink, lineNo, text);
          if (o === null) return;
          const raw = clipRaw(text);
          builder.add(lineNo, o[cols.user], o[cols.item], cols.timestamp !== undefined ? o[cols.timestamp] : undefined, cols.eventType !== undefined ? o[cols.eventType] : undefined, raw);
        },
        tooLong(lineNo, head, total) {
          rowsIn++;
          sink.reject(lineNo, '*', 'line-too-long', `line is ${total} bytes, over the line limit`, lenientText(head));
        },
      },
      opts.maxLineBytes,
    );
    const report = sink.close(rowsIn, builder.kept, 'interaction');
    return { table: builder.build(path, checksum), report };
  });
}

/**
 * Parquet through DuckDB, streamed chunk by chunk. Parquet has no lines: `line` in rejections and
 * in the table is the 1-based row number. Every column is cast to VARCHAR and validated in TS like
 * the text formats (so a Parquet row and a CSV row with the same values get the same verdict);
 * TIMESTAMP/DATE columns are converted to Unix seconds first. A file without the configured columns
 * is a DataValidationError naming the missing column.
 */
async function readParquet(path: string, opts: InteractionOptions): Promise<TableRead> {
  const cols = opts.columns;
  const checksum = await sha256File(path);
  return withSink(path, opts.rejectedPath, (sink) =>
    withDuckDB(path, async (conn) => {
      const q = await parquetInteractionSelect(conn, path, cols);
      const builder = new InteractionBuilder(sink, cols, opts.idType ?? 'token', opts.eventTypes);
      let rowsIn = 0;
      // validate's bar: rows read of the count in the file's footer (DuckDB reads the bytes, so
      // there is no byte count to report as the text formats do).
      const bar = readProgressBar(path);
      const rowsInFile = bar ? await parquetRowCount(conn, path) : 0;
      bar?.(0, rowsInFile);
      const { user: ju, item: ji, timestamp: jt, eventType: je } = q.index;
      await streamParquet(conn, path, q.select, (columns, n) => {
        for (let r = 0; r < n; r++) {
          rowsIn++;
          const v = (j: number): unknown => (j === -1 ? undefined : (columns[j]![r] ?? null));
          const values = Array.from({ length: q.width }, (_, j) => columns[j]![r] ?? null);
          builder.add(rowsIn, v(ju), v(ji), v(jt), v(je), JSON.stringify(values).slice(0, 200));
        }
        bar?.(Math.min(rowsIn, rowsInFile), rowsInFile);
      });
      const report = sink.close(rowsIn, builder.kept, 'interaction');
      return { table: builder.build(path, checksum), report };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Named formats

export interface SimpleReadOptions {
  rejectedPath?: string;
  maxLineBytes?: number;
}

/**
 * RecBole atomic `.inter` file: tab-separated, header fields `name:type`, no quoting. Columns are
 * found by name (user_id, item_id, optional timestamp) whatever their order; ids are RecBole tokens.
 */
export async function readRecBoleAtomic(interPath: string, opts: SimpleReadOptions = {}): Promise<TableRead> {
  checkInputFile(interPath);
  const stripType = (h: string): string => h.replace(/:[a-z_]+$/, '');
  const o: InteractionOptions = { format: 'tsv', columns: { user: 'user_id', item: 'item_id' }, quote: null, idType: 'token', ...opts };
  return readDelimitedTable(interPath, o, (header) => {
    if (!header.some((h) => /:[a-z_]+$/.test(h)))
      throw new DataValidationError(`not a RecBole atomic header (expected 'name:type' fields, got ${header.map((h) => `'${clip(h, 40)}'`).join(', ')})`, { file: interPath, line: 1 });
    const cols: ColumnNames = header.map(stripType).includes('timestamp') ? { user: 'user_id', item: 'item_id', timestamp: 'timestamp' } : { user: 'user_id', item: 'item_id' };
    return { idx: resolveByName(interPath, header, cols, '\t', stripType), cols };
  });
}

/**
 * SR-GNN's DIGINETICA sample (`session_id;user_id;item_id;timeframe;eventdate`). A session is the
 * "user" (user_id is mostly 'NA' and is ignored). The timestamp is eventdate (UTC midnight, Unix
 * seconds) + timeframe/1000, which orders rows by eventdate then timeframe exactly because timeframe
 * (ms since session start) is required to be below one day — a larger value contradicts the date and
 * is rejected ('bad-timeframe'); the sample's maximum is 1,199,958 ms.
 */
export async function readDigineticaSessions(path: string, opts: SimpleReadOptions = {}): Promise<TableRead> {
  checkInputFile(path);
  const DAY_MS = 86_400_000;
  return withSink(path, opts.rejectedPath, async (sink) => {
    const cols: ColumnNames = { user: 'session_id', item: 'item_id', timestamp: 'timeframe' };
    const builder = new InteractionBuilder(sink, cols, 'integer');
    let idx: Record<string, number> = {};
    let width = 0;
    let rowsIn = 0;
    const checksum = await scanDelimited(path, { delimiter: ';', quote: null, encoding: 'utf-8', ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}) }, {
      header(h) {
        width = h.length;
        const need = ['session_id', 'item_id', 'timeframe', 'eventdate'];
        const missing = need.filter((n) => !h.includes(n));
        if (missing.length) throw new DataValidationError(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; header has: ${h.join(', ')}`, { file: path, line: 1, field: missing[0]! });
        idx = Object.fromEntries(need.map((n) => [n, h.indexOf(n)]));
      },
      record(line, f, raw) {
        rowsIn++;
        if (f.length !== width) return sink.reject(line, '*', 'column-count', `expected ${width} fields (as in the header), found ${f.length}`, raw);
        const tf = f[idx.timeframe!]!.trim();
        if (!/^\d+$/.test(tf) || Number(tf) >= DAY_MS) return sink.reject(line, 'timeframe', 'bad-timeframe', `timeframe '${clip(tf)}' is not an integer number of ms below one day`, raw);
        const d = f[idx.eventdate!]!.trim();
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
        const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) : NaN;
        if (!m || new Date(ms).toISOString().slice(0, 10) !== d) return sink.reject(line, 'eventdate', 'bad-date', `eventdate '${clip(d)}' is not a valid YYYY-MM-DD date`, raw);
        builder.add(line, f[idx.session_id!], f[idx.item_id!], (ms + Number(tf)) / 1000, undefined, raw);
      },
      bad(line, code, reason, raw) {
        rowsIn++;
        sink.reject(line, '*', code, reason, raw);
      },
    });
    if (rowsIn === 0) throw new DataValidationError('file has a header but no data rows', { file: path });
    const report = sink.close(rowsIn, builder.kept, 'interaction');
    return { table: builder.build(path, checksum), report };
  });
}

// ---------------------------------------------------------------------------------------------

export type DatasetFormat = 'seqtxt' | InteractionFormat | 'recbole' | 'diginetica';
export const DATASET_FORMATS = ['seqtxt', 'csv', 'tsv', 'jsonl', 'parquet', 'recbole', 'diginetica'] as const satisfies readonly DatasetFormat[];
/** Aliases used by the CLI. */
export type DataFormat = DatasetFormat;
export const DATA_FORMATS = DATASET_FORMATS;

export interface LoadOptions extends Partial<Omit<InteractionOptions, 'format'>> {
  name?: string;
  dedupe?: DedupeMode;
  /** seqtxt only: companion per-item timestamp file (see SequenceTextOptions.timesPath). */
  timesPath?: string;
}

/** One entry point for the CLI: reads any supported format and returns time-ordered sequences. */
export async function loadDataset(path: string, format: DatasetFormat, options: LoadOptions = {}): Promise<DatasetRead> {
  const name = options.name ?? defaultName(path);
  const dedupe = options.dedupe ?? 'none';
  const simple: SimpleReadOptions = {
    ...(options.rejectedPath !== undefined ? { rejectedPath: options.rejectedPath } : {}),
    ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
  };
  let read: TableRead;
  switch (format) {
    case 'seqtxt':
      return readSequenceText(path, { ...simple, name, dedupe, ...(options.timesPath !== undefined ? { timesPath: options.timesPath } : {}) });
    case 'recbole':
      read = await readRecBoleAtomic(path, simple);
      break;
    case 'diginetica':
      read = await readDigineticaSessions(path, simple);
      break;
    case 'csv':
    case 'tsv':
    case 'jsonl':
    case 'parquet': {
      if (!options.columns) throw new ConfigError(`format '${format}' needs columns { user, item, timestamp?, eventType? }`, { field: 'columns' });
      const { name: _n, dedupe: _d, timesPath: _t, ...rest } = options;
      read = await readInteractions(path, { ...rest, columns: options.columns, format });
      break;
    }
    default:
      throw new ConfigError(`unknown dataset format '${String(format)}'; expected one of: ${DATASET_FORMATS.join(', ')}`, { field: 'format' });
  }
  return { dataset: interactionsToSequences(read.table, { name, dedupe }), report: read.report };
}
