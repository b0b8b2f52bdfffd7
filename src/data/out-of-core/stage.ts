/**
 * Stage 1 of the out-of-core path: one streaming pass over the log that applies the in-memory
 * readers' per-row rules (every row kept or rejected with file, line, field and code) and writes
 * the kept rows to a tab-separated staging file that DuckDB then reads with its parallel reader:
 *
 *     line \t user \t item \t timestamp \t event \n
 *
 * CSV/TSV lines take a byte-level fast path when they are plain printable ASCII and every checked
 * field has its simplest valid form (see `fastDelimitedLine`); everything else — quotes, spaces,
 * non-ASCII, any value that would be rejected or normalised — goes down the general path
 * (`scanDelimited` + `RowStager`), which is the readers' code. The fast path only ever accepts a
 * line the general path would accept, and writes the same staged bytes (tested on random input).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { DataValidationError } from '../../core/errors.ts';
import { scanDelimited } from '../csv.ts';
import { parquetInteractionSelect, streamParquet, withDuckDB } from '../duckdb.ts';
import { clipRaw, decodeLine, forEachLine, lenientText, sha256File } from '../lines.ts';
import { jsonObjectLine, type RejectionSink } from '../rejections.ts';
import { InteractionRowRules, clip, type ColumnNames, type IdType } from '../validate.ts';

/** The log formats the out-of-core path reads, with the rules of readInteractions for each. */
export const OUT_OF_CORE_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
export type OutOfCoreFormat = (typeof OUT_OF_CORE_FORMATS)[number];

export interface StageOptions {
  readonly format: OutOfCoreFormat;
  readonly columns: ColumnNames;
  readonly eventTypes?: readonly string[];
  readonly idType?: IdType;
  /** CSV/TSV: take the byte-level fast path for plain lines (default true; false only to test that it changes nothing). */
  readonly fastPath?: boolean;
}

export interface Staged {
  /** Data rows read (kept + rejected so far; duplicates are found later among the staged rows). */
  readonly rowsIn: number;
  /** Rows written to the staging file. */
  readonly staged: number;
  /** sha256 of the input's bytes (decompressed for gzip), as the in-memory readers' checksum. */
  readonly checksum: string;
  /** Rows the CSV/TSV byte-level fast path took (0 for other formats). */
  readonly fastRows: number;
  /**
   * Every staged user and item id is a canonical decimal integer of at most 18 digits (no sign,
   * no leading zero): such strings and BIGINTs correspond one to one, so DuckDB may hold the ids
   * as BIGINT (cheaper to parse, hash and join) and print them back to the same text.
   */
  readonly integerIds: boolean;
}

/** Whether staged ids are still all canonical integers; cleared by the first id that is not. */
interface IdShape {
  integer: boolean;
}

/** A canonical decimal integer that fits a BIGINT: 0, or 1..18 digits without a leading zero. */
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,17})$/;

/** Buffered synchronous appends to one file: bytes and strings go into a 1 MiB buffer, written when full. */
export class ChunkWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
  write(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf-8');
  }
  /** src[start, end) — the caller reserved room. */
  bytes(src: Buffer, start: number, end: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) buf[p++] = src[i]!;
    this.pos = p;
  }
  /** One byte — the caller reserved room. */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  /** A non-negative safe integer in decimal — the caller reserved 16 bytes. */
  uint(n: number): void {
    const buf = this.buf;
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    do {
      buf[--p] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }
  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * The per-row rules every reader shares (InteractionRowRules), without the in-memory duplicate map
 * (duplicates need memory of earlier rows; DuckDB finds them in stage 2). Kept rows are written to
 * the staging file.
 */
class RowStager {
  staged = 0;
  private readonly rules: InteractionRowRules;
  constructor(
    sink: RejectionSink,
    cols: ColumnNames,
    idType: IdType,
    private readonly out: ChunkWriter,
    private readonly ids: IdShape,
    eventTypes?: readonly string[],
  ) {
    this.rules = new InteractionRowRules(sink, cols, idType, eventTypes);
  }

  /** Returns true when the row was kept (staged); otherwise it has been rejected through the sink. */
  add(line: number, user: unknown, item: unknown, timestamp: unknown, eventType: unknown, raw: string): boolean {
    const row = this.rules.check(line, user, item, timestamp, eventType, raw);
    if (row === null) return false;
    if (this.ids.integer && !(CANONICAL_INTEGER.test(row.user) && CANONICAL_INTEGER.test(row.item))) this.ids.integer = false;
    // The staging file is tab-separated; an event name with a tab, newline or backslash is written as JSON.
    const ev = /[\t\n\r\\]/.test(row.eventType) ? JSON.stringify(row.eventType) : row.eventType;
    // Ids passed checkId: no whitespace or control characters, so tabs are safe separators.
    this.out.write(`${line}\t${row.user}\t${row.item}\t${row.timestamp}\t${ev}\n`);
    this.staged++;
    return true;
  }
}

/** Reads the log in `o.format` and writes its valid rows to `stagePath`; rejections go to `sink`. */
export async function stageRows(path: string, o: StageOptions, sink: RejectionSink, stagePath: string): Promise<Staged> {
  const out = new ChunkWriter(stagePath);
  try {
    let r: Staged;
    if (o.format === 'jsonl') r = await stageJsonl(path, o, sink, out);
    else if (o.format === 'parquet') r = await stageParquet(path, o, sink, out);
    else r = await stageDelimited(path, o, sink, out);
    if (r.rowsIn === 0) throw new DataValidationError(o.format === 'csv' || o.format === 'tsv' ? 'file has a header but no data rows' : 'file has no data rows', { file: path });
    return r;
  } finally {
    out.close();
  }
}

const TAB = 9;
const NL = 10;
const CR = 13;
const ZERO = 48;
const NINE = 57;
const BACKSLASH = 92;
const MAX_ID_LENGTH = 512;

/** Column positions and constants the fast path needs, fixed once the header is known. */
interface FastLayout {
  readonly nFields: number;
  readonly delimiter: number;
  /** The quote byte, or -1 (TSV). */
  readonly quote: number;
  readonly user: number;
  readonly item: number;
  readonly timestamp: number;
  readonly eventType: number;
  readonly integerIds: boolean;
  /** The header's fields joined by the delimiter: a plain line equal to this is a repeated header. */
  readonly header: Buffer;
  readonly eventSet: Set<string> | undefined;
}

/**
 * One CSV/TSV data line on the fast path; returns false (having done nothing) unless the line
 * certainly passes every general-path check unchanged:
 * - every byte is printable ASCII other than space and the quote character (a trailing CR is
 *   dropped, as decodeLine does), so no field is quoted, trimmed or holds a control character;
 * - it has the header's field count and is not the header itself;
 * - ids are 1..512 characters (with integer ids: digits without a leading zero), so checkId
 *   returns them unchanged;
 * - the timestamp is 1..15 digits without a leading zero, so Number() is exact and prints back
 *   the same digits;
 * - the event type holds no backslash (so needs no escaping) and is in the allowed set.
 */
function fastDelimitedLine(L: FastLayout, starts: Int32Array, line: number, b: Buffer, out: ChunkWriter, ids: IdShape): boolean {
  let end = b.length;
  if (end > 0 && b[end - 1] === CR) end--;
  if (end === 0) return false;
  const { delimiter, quote, nFields } = L;
  let f = 0;
  starts[0] = 0;
  for (let p = 0; p < end; p++) {
    const c = b[p]!;
    if (c === delimiter) {
      if (++f >= nFields) return false;
      starts[f] = p + 1;
    } else if (c < 0x21 || c > 0x7e || c === quote) return false;
  }
  if (f !== nFields - 1) return false;
  starts[nFields] = end + 1;
  if (end === L.header.length && b.compare(L.header, 0, end, 0, end) === 0) return false;
  const us = starts[L.user]!;
  const ue = starts[L.user + 1]! - 1;
  const is = starts[L.item]!;
  const ie = starts[L.item + 1]! - 1;
  if (!fastId(b, us, ue, L.integerIds) || !fastId(b, is, ie, L.integerIds)) return false;
  let ts = 0;
  let te = 0;
  if (L.timestamp >= 0) {
    ts = starts[L.timestamp]!;
    te = starts[L.timestamp + 1]! - 1;
    const n = te - ts;
    if (n < 1 || n > 15 || (b[ts] === ZERO && n > 1)) return false;
    for (let p = ts; p < te; p++) if (b[p]! < ZERO || b[p]! > NINE) return false;
  }
  let es = 0;
  let ee = 0;
  if (L.eventType >= 0) {
    es = starts[L.eventType]!;
    ee = starts[L.eventType + 1]! - 1;
    if (ee === es) return false;
    for (let p = es; p < ee; p++) if (b[p] === BACKSLASH) return false;
    if (L.eventSet !== undefined && !L.eventSet.has(b.toString('latin1', es, ee))) return false;
  }
  if (ids.integer && !(canonicalInteger(b, us, ue) && canonicalInteger(b, is, ie))) ids.integer = false;
  out.reserve(end + 40);
  out.uint(line);
  out.byte(TAB);
  out.bytes(b, us, ue);
  out.byte(TAB);
  out.bytes(b, is, ie);
  out.byte(TAB);
  if (L.timestamp >= 0) out.bytes(b, ts, te);
  else out.byte(ZERO);
  out.byte(TAB);
  if (L.eventType >= 0) out.bytes(b, es, ee);
  out.byte(NL);
  return true;
}

function fastId(b: Buffer, s: number, e: number, integer: boolean): boolean {
  const n = e - s;
  if (n < 1 || n > MAX_ID_LENGTH) return false;
  if (!integer) return true;
  if (b[s] === ZERO && n > 1) return false;
  for (let p = s; p < e; p++) if (b[p]! < ZERO || b[p]! > NINE) return false;
  return true;
}

/** b[s, e) matches CANONICAL_INTEGER. */
function canonicalInteger(b: Buffer, s: number, e: number): boolean {
  const n = e - s;
  if (n < 1 || n > 18 || (b[s] === ZERO && n > 1)) return false;
  for (let p = s; p < e; p++) if (b[p]! < ZERO || b[p]! > NINE) return false;
  return true;
}

async function stageDelimited(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter): Promise<Staged> {
  const delimiter = o.format === 'tsv' ? '\t' : ',';
  const quote = o.format === 'csv' ? '"' : null;
  const cols = o.columns;
  const ids: IdShape = { integer: true };
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, o.eventTypes);
  let header: string[] = [];
  let idx = { user: 0, item: 0, timestamp: -1, eventType: -1 };
  let rowsIn = 0;
  let fastRows = 0;
  let layout: FastLayout | undefined;
  let starts = new Int32Array(1);
  const checksum = await scanDelimited(
    path,
    {
      delimiter,
      quote,
      encoding: 'utf-8',
      ...(o.fastPath === false
        ? {}
        : {
            fastLine(line: number, bytes: Buffer): boolean {
              if (layout === undefined || !fastDelimitedLine(layout, starts, line, bytes, out, ids)) return false;
              rowsIn++;
              fastRows++;
              return true;
            },
          }),
    },
    {
      header(h) {
        header = h;
        const missing = (['user', 'item', 'timestamp', 'eventType'] as const).filter((k) => cols[k] !== undefined && !h.includes(cols[k]!)).map((k) => cols[k]!);
        if (missing.length > 0)
          throw new DataValidationError(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; header has: ${h.map((x) => `'${clip(x, 40)}'`).join(', ')}`, { file: path, line: 1, field: missing[0]! });
        idx = { user: h.indexOf(cols.user), item: h.indexOf(cols.item), timestamp: cols.timestamp !== undefined ? h.indexOf(cols.timestamp) : -1, eventType: cols.eventType !== undefined ? h.indexOf(cols.eventType) : -1 };
        layout = {
          nFields: h.length,
          delimiter: delimiter.charCodeAt(0),
          quote: quote === null ? -1 : quote.charCodeAt(0),
          ...idx,
          integerIds: o.idType === 'integer',
          header: Buffer.from(h.join(delimiter), 'utf-8'),
          eventSet: o.eventTypes ? new Set(o.eventTypes) : undefined,
        };
        starts = new Int32Array(h.length + 1);
      },
      record(line, fields, raw) {
        rowsIn++;
        const rawClip = clipRaw(raw);
        if (fields.length !== header.length) return sink.reject(line, '*', 'column-count', `expected ${header.length} fields (as in the header), found ${fields.length}`, rawClip);
        if (fields.every((f, k) => f.trim() === header[k])) return sink.reject(line, '*', 'repeated-header', 'the header line is repeated here (concatenated files?)', rawClip);
        stager.add(line, fields[idx.user], fields[idx.item], idx.timestamp >= 0 ? fields[idx.timestamp] : undefined, idx.eventType >= 0 ? fields[idx.eventType] : undefined, rawClip);
      },
      bad(line, code, reason, raw) {
        rowsIn++;
        sink.reject(line, '*', code, reason, raw);
      },
    },
  );
  return { rowsIn, staged: stager.staged + fastRows, checksum, fastRows, integerIds: ids.integer };
}

/** JSONL: the rules of readJsonl — a line that is not a JSON object, or lacks a valid field, is a counted rejection. */
async function stageJsonl(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter): Promise<Staged> {
  const cols = o.columns;
  const ids: IdShape = { integer: true };
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, o.eventTypes);
  let rowsIn = 0;
  const { checksum } = await forEachLine(path, {
    line(lineNo, bytes) {
      rowsIn++;
      const text = decodeLine(bytes, 'utf-8');
      if (text === null) return sink.reject(lineNo, '*', 'invalid-utf8', 'line is not valid UTF-8', lenientText(bytes));
      const row = jsonObjectLine(sink, lineNo, text);
      if (row === null) return;
      stager.add(lineNo, row[cols.user], row[cols.item], cols.timestamp !== undefined ? row[cols.timestamp] : undefined, cols.eventType !== undefined ? row[cols.eventType] : undefined, clipRaw(text));
    },
    tooLong(lineNo, head, total) {
      rowsIn++;
      sink.reject(lineNo, '*', 'line-too-long', `line is ${total} bytes, over the line limit`, lenientText(head));
    },
  });
  return { rowsIn, staged: stager.staged, checksum, fastRows: 0, integerIds: ids.integer };
}

/**
 * Parquet: the rules of readParquet — rows streamed through DuckDB in chunks, every value cast to
 * VARCHAR (TIMESTAMP/DATE to Unix seconds) and checked like text; `line` is the 1-based row number.
 */
async function stageParquet(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter): Promise<Staged> {
  const cols = o.columns;
  const checksum = await sha256File(path);
  const ids: IdShape = { integer: true };
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, o.eventTypes);
  let rowsIn = 0;
  await withDuckDB(path, async (conn) => {
    const q = await parquetInteractionSelect(conn, path, cols);
    const { user: ju, item: ji, timestamp: jt, eventType: je } = q.index;
    await streamParquet(conn, path, q.select, (columns, n) => {
      for (let r = 0; r < n; r++) {
        rowsIn++;
        const v = (j: number): unknown => (j === -1 ? undefined : (columns[j]![r] ?? null));
        const raw = JSON.stringify(Array.from({ length: q.width }, (_, j) => columns[j]![r] ?? null)).slice(0, 200);
        stager.add(rowsIn, v(ju), v(ji), v(jt), v(je), raw);
      }
    });
  });
  return { rowsIn, staged: stager.staged, checksum, fastRows: 0, integerIds: ids.integer };
}
