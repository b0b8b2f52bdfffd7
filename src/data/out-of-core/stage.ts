/**
 * Stage 1 of the out-of-core path: one streaming pass over the log that applies the in-memory
 * readers' per-row rules (every row kept or rejected with file, line, field and code) and writes
 * the kept rows to a tab-separated staging file that DuckDB then reads with its parallel reader:
 *
 *     line \t user \t item \t timestamp \t event \n
 *
 * CSV/TSV lines take a byte-level fast path when they are plain printable ASCII and every checked
 * field has its simplest valid form (see `fastRow`); everything else — quotes, spaces,
 * non-ASCII, any value that would be rejected or normalised — goes down the general path
 * (`scanDelimited` + `RowStager`), which is the readers' code. The fast path only ever accepts a
 * line the general path would accept, and writes the same staged bytes (tested on random input).
 * With a suspects file, each staged row's key also goes through RepeatFilter: a row whose key may
 * repeat an earlier one is moved from the staging file to the suspects file (same line format), so
 * DuckDB looks for duplicates among those rows only and parses each staged row once.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { DataValidationError } from '../../core/errors.ts';
import { scanDelimited } from '../csv.ts';
import { parquetInteractionSelect, streamParquet, withDuckDB } from '../duckdb.ts';
import { clipRaw, decodeLine, forEachLine, lenientText, sha256File, type LineCursor } from '../lines.ts';
import { jsonObjectLine, type RejectionSink } from '../rejections.ts';
import { InteractionRowRules, clip, type ColumnNames, type IdType } from '../validate.ts';

const TAB = 9;
const NL = 10;
const CR = 13;
const ZERO = 48;
const NINE = 57;
const BACKSLASH = 92;
const MAX_ID_LENGTH = 512;

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
  /** Bits of the repeated-key filter as a power of two (default: from the file's size, see `filterBits`); for tests. */
  readonly filterBitsLog2?: number;
}

export interface Staged {
  /** Data rows read (kept + rejected so far; duplicates are found later among the staged rows). */
  readonly rowsIn: number;
  /** Rows kept: written to the staging file, or to the suspects file (`suspects` of them). */
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
  /** integerIds, and every id has at most 9 digits: DuckDB may hold the ids as INTEGER. */
  readonly int32Ids: boolean;
  /** Every staged timestamp is a safe integer (printed as plain digits): DuckDB may read them as BIGINT, exactly. */
  readonly integerTimes: boolean;
  /** The largest line number staged (0 when none): whether DuckDB may hold lines as INTEGER. */
  readonly lastLine: number;
  /**
   * Staged rows whose key (user, item, timestamp, event) may repeat an earlier staged row's key —
   * written to the suspects file instead of the staging file (see RepeatFilter), in the same format;
   * 0 without a suspects file or a timestamp column.
   */
  readonly suspects: number;
}

/** What the staged rows are like so far; each flag is cleared by the first row that breaks it. */
interface StagedShape {
  /** Every id is a canonical integer (CANONICAL_INTEGER). */
  integer: boolean;
  /** ... of at most 9 digits. */
  int32: boolean;
  /** Every timestamp is a safe integer. */
  integerTimes: boolean;
  lastLine: number;
}

function newShape(): StagedShape {
  return { integer: true, int32: true, integerTimes: true, lastLine: 0 };
}

/** A canonical decimal integer that fits a BIGINT: 0, or 1..18 digits without a leading zero. */
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,17})$/;

/** Buffered synchronous appends to one file: bytes and strings go into a 1 MiB buffer, written when full. */
export class ChunkWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private readonly fd: number;
  /** Called with the buffer before its bytes are written out (and the buffer reused). */
  onFlush: ((buf: Buffer) => void) | undefined;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  /** The buffer being filled; bytes written since `position` was read stay at their place until the next `reserve` that flushes. */
  get buffer(): Buffer {
    return this.buf;
  }
  get position(): number {
    return this.pos;
  }
  /** Drops the buffered bytes from `pos` on (RepeatFilter moves suspect rows out of the buffer). */
  truncate(pos: number): void {
    this.pos = pos;
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
    if (n <= 0x7fffffff) {
      // Line numbers: 32-bit integer division, much cheaper than Math.floor on doubles.
      let digits = 1;
      for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      let x = n;
      do {
        const q = (x / 10) | 0;
        buf[--p] = 48 + x - q * 10;
        x = q;
      } while (x > 0);
      return;
    }
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
    this.onFlush?.(this.buf);
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
 * A Bloom filter over the staged rows' duplicate keys (the `user \t item \t timestamp \t event`
 * bytes of a staged line), with two hash functions and a fixed number of bits. A key whose bits are
 * all set already *may* repeat an earlier key: its row is moved from the staging file to the
 * suspects file. A key that does repeat one is always caught (its first copy set the bits), so the
 * duplicates are exactly among the suspects' rows: DuckDB then needs the suspects' keys and a
 * semi-join, not an aggregate over every row, and each row is parsed once (from one file or the
 * other). False positives only add suspects (never a rejection): the exact check is DuckDB's. Equal
 * keys are equal bytes: ids are checkId's strings (or canonical integers), the timestamp is a number
 * printed by JS (one text per value) and an event is either its text or its JSON (which always holds
 * a backslash, which a plain event never does).
 */
export class RepeatFilter {
  private bits: Int32Array;
  /** The bits' storage when it is resizable (large filters, see RELEASED_FILTER_BITS_LOG2), for `release`. */
  private readonly storage: ResizableArrayBuffer | undefined;
  private readonly mask: number;
  suspects = 0;
  /** Rows noted but not yet looked up: their place in the staging buffer, word and bit mask. */
  private readonly starts = new Int32Array(BATCH);
  private readonly ends = new Int32Array(BATCH);
  private readonly words = new Int32Array(BATCH);
  private readonly masks = new Int32Array(BATCH);
  private pending = 0;
  constructor(
    bitsLog2: number,
    private readonly staging: ChunkWriter,
    private readonly out: ChunkWriter,
  ) {
    if (!Number.isInteger(bitsLog2) || bitsLog2 < 5 || bitsLog2 > 30) throw new RangeError(`filter bits must be 2^5..2^30, got 2^${bitsLog2}`);
    const words = 2 ** (bitsLog2 - 5);
    if (bitsLog2 >= RELEASED_FILTER_BITS_LOG2) {
      this.storage = new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(words * 4, { maxByteLength: words * 4 });
      this.bits = new Int32Array(this.storage, 0, words);
    } else this.bits = new Int32Array(words);
    this.mask = 2 ** bitsLog2 - 1;
    staging.onFlush = (buf) => this.drain(buf);
  }

  /** Bytes of memory this filter's bits hold (a released large filter: 0; a released small one: 0, left to the GC). */
  get heldBytes(): number {
    return this.storage?.byteLength ?? this.bits.byteLength;
  }

  /**
   * Ends the filter (after the staging buffer's last flush). A large filter's memory is returned to
   * the system here, not whenever V8 next runs a full GC: the DuckDB stage that follows allocates
   * almost nothing in JS, so a dropped 128 MiB filter stayed resident beside DuckDB's memory and
   * added its size to the 100 M benchmark's peak RSS. Small filters are left to the GC.
   */
  release(): void {
    this.bits = new Int32Array(0);
    this.storage?.resize(0);
  }

  /**
   * staging.buffer[s, e) is the staged row just written (every staged row is noted, in order, so the
   * noted rows lie back to back and the last one ends at the buffer's position): its line number and
   * a tab, the key [k, e - 1) and a line break. The key is hashed now and looked up, in file order, in
   * a batch before the buffer is flushed: lookups in a tight loop overlap their cache misses, which
   * one lookup per row between the parsing does not (~3× less CPU at 2^29 bits).
   */
  note(s: number, k: number, e: number): void {
    const buf = this.staging.buffer;
    // Two FNV-style hashes (different offsets and odd multipliers), each finished by an avalanche
    // mix so that every bit of the result depends on every byte.
    let h1 = 0x811c9dc5;
    let h2 = 0x2545f491;
    for (let p = k; p < e - 1; p++) {
      const c = buf[p]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    // Both bits in one 32-bit word (a blocked Bloom filter): one cache line per key.
    const h = avalanche(h2 ^ 0x68e31da4);
    const j = this.pending++;
    this.starts[j] = s;
    this.ends[j] = e;
    this.words[j] = (avalanche(h1) & this.mask) >>> 5;
    this.masks[j] = (1 << (h & 31)) | (1 << ((h >>> 5) & 31));
    if (this.pending === BATCH) this.drain(buf);
  }

  /**
   * Looks up the noted rows in order; a row whose key's bits were all set already is copied to the
   * suspects file and cut out of the staging buffer (the rows after it move up, one copy per run of
   * kept rows).
   */
  private drain(buf: Buffer): void {
    const { bits, words, masks, starts, ends } = this;
    // Where the next kept byte goes once a row has been cut out (-1: none cut yet), and where the
    // kept bytes not yet moved begin.
    let dst = -1;
    let run = 0;
    for (let j = 0; j < this.pending; j++) {
      const w = words[j]!;
      const m = masks[j]!;
      const seen = (bits[w]! & m) === m;
      bits[w]! |= m;
      if (!seen) continue;
      this.suspects++;
      const s = starts[j]!;
      const e = ends[j]!;
      this.out.reserve(e - s);
      this.out.bytes(buf, s, e);
      if (dst < 0) dst = s;
      else if (s > run) {
        buf.copyWithin(dst, run, s);
        dst += s - run;
      }
      run = e;
    }
    if (dst >= 0) {
      const end = this.staging.position;
      if (end > run) buf.copyWithin(dst, run, end);
      this.staging.truncate(dst + end - run);
    }
    this.pending = 0;
  }
}

/** Keys looked up per batch (at most; the staging buffer's flush ends a batch too). */
const BATCH = 4096;

/**
 * Filters of at least this many bits (2^28: 32 MiB, logs from ~0.5 GB) keep their bits in a
 * resizable ArrayBuffer, which `release` shrinks to nothing — the only way to hand typed-array
 * memory back to the system at a chosen moment. Smaller filters stay a plain Int32Array: on Node 20,
 * reads and writes of a typed array over a resizable buffer cost ~1.7× a plain one's in the lookup
 * loop (a microbenchmark of this loop's accesses: 1.2–1.5 s against 0.7–0.86 s for 2·10^7 lookups),
 * and a few MiB left to the GC do not matter beside DuckDB's memory.
 */
const RELEASED_FILTER_BITS_LOG2 = 28;

/** ES2024's resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib is ES2022). */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
type ResizableArrayBufferConstructor = new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

/** A 32-bit finaliser: xor-shifts and odd multiplications, so that each output bit depends on every input bit. */
function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Filter size for a log of `bytes` bytes: about one bit per 4 bytes, as a power of two between 2^20
 * bits (128 KiB) and 2^30 (128 MiB). A Taobao-like CSV line is ~23 bytes, so ~6 bits per row: a few
 * percent of the rows become suspects, each costing DuckDB a little; in exchange the filter stays
 * small enough (8 MiB at 10 M rows) that most lookups hit the CPU's caches and TLB — the staging
 * pass spent ~0.3 µs per row at 64 MiB against ~0.1 µs at 8 MiB (1 M keys, this machine). The
 * filter lives only during the staging pass, before DuckDB starts.
 */
export function filterBits(bytes: number): number {
  const want = Math.ceil(Math.log2(Math.max(1, bytes / 4)));
  return Math.min(30, Math.max(20, want));
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
    private readonly ids: StagedShape,
    private readonly repeats: RepeatFilter | undefined,
    eventTypes?: readonly string[],
  ) {
    this.rules = new InteractionRowRules(sink, cols, idType, eventTypes);
  }

  /** Returns true when the row was kept (staged); otherwise it has been rejected through the sink. */
  add(line: number, user: unknown, item: unknown, timestamp: unknown, eventType: unknown, raw: string): boolean {
    const row = this.rules.check(line, user, item, timestamp, eventType, raw);
    if (row === null) return false;
    const ids = this.ids;
    if (ids.integer && !(CANONICAL_INTEGER.test(row.user) && CANONICAL_INTEGER.test(row.item))) ids.integer = false;
    if (ids.int32 && !(ids.integer && row.user.length <= 9 && row.item.length <= 9)) ids.int32 = false;
    if (ids.integerTimes && !Number.isSafeInteger(row.timestamp)) ids.integerTimes = false;
    ids.lastLine = line;
    // The staging file is tab-separated; an event name with a tab, newline or backslash is written as JSON.
    const ev = /[\t\n\r\\]/.test(row.eventType) ? JSON.stringify(row.eventType) : row.eventType;
    // Ids passed checkId: no whitespace or control characters, so tabs are safe separators.
    const head = `${line}\t`;
    const key = `${row.user}\t${row.item}\t${row.timestamp}\t${ev}`;
    const out = this.out;
    // One reservation for the whole line, so the key's bytes are still in the buffer when the filter reads them.
    out.reserve((head.length + key.length) * 3 + 1);
    const start = out.position;
    out.write(head);
    const keyStart = out.position;
    out.write(key);
    out.byte(NL);
    this.repeats?.note(start, keyStart, out.position);
    this.staged++;
    return true;
  }
}

/**
 * Reads the log in `o.format` and writes its valid rows to `stagePath`; rejections go to `sink`.
 * With `suspectsPath` and a timestamp column, the rows that may duplicate an earlier row
 * (RepeatFilter) are written there instead, in the staging file's format.
 */
export async function stageRows(path: string, o: StageOptions, sink: RejectionSink, stagePath: string, suspectsPath?: string): Promise<Staged> {
  const out = new ChunkWriter(stagePath);
  const suspects = suspectsPath !== undefined && o.columns.timestamp !== undefined ? new ChunkWriter(suspectsPath) : undefined;
  let repeats: RepeatFilter | undefined;
  try {
    repeats = suspects && new RepeatFilter(o.filterBitsLog2 ?? filterBits(statSync(path).size), out, suspects);
    let r: Omit<Staged, 'suspects'>;
    if (o.format === 'jsonl') r = await stageJsonl(path, o, sink, out, repeats);
    else if (o.format === 'parquet') r = await stageParquet(path, o, sink, out, repeats);
    else r = await stageDelimited(path, o, sink, out, repeats);
    if (r.rowsIn === 0) throw new DataValidationError(o.format === 'csv' || o.format === 'tsv' ? 'file has a header but no data rows' : 'file has no data rows', { file: path });
    // The last batch of keys is looked up now (it is still in the staging buffer), so the count is complete.
    out.flush();
    return { ...r, suspects: repeats?.suspects ?? 0 };
  } finally {
    out.close();
    suspects?.close();
    // After out.close(): its final flush still looks up the last batch of keys.
    repeats?.release();
  }
}

/** The Staged fields that come from the shape flags. */
function shapeFields(s: StagedShape): Pick<Staged, 'integerIds' | 'int32Ids' | 'integerTimes' | 'lastLine'> {
  return { integerIds: s.integer, int32Ids: s.integer && s.int32, integerTimes: s.integerTimes, lastLine: s.lastLine };
}

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

/** The fast path follows at most this many fields: one bit each in the non-digit mask of `fastRow`. */
const MAX_FAST_FIELDS = 32;

/**
 * One CSV/TSV data line on the fast path, starting at b[s]. It ends at the first `\n` (or `\r\n`)
 * before `n`, or at `n` itself when `atEnd` (a line handed over without its `\n`; a trailing CR is
 * dropped, as decodeLine does). Returns the offset after the line's terminator, or -1 — having
 * written nothing — when the line has no terminator before `n` (without `atEnd`) or is not certainly
 * one that passes every general-path check unchanged:
 * - every byte is printable ASCII other than space and the quote character, so no field is quoted,
 *   trimmed or holds a control character;
 * - it has the header's field count and is not the header itself;
 * - ids are 1..512 characters (with integer ids: digits without a leading zero), so checkId
 *   returns them unchanged;
 * - the timestamp is 1..15 digits without a leading zero, so Number() is exact and prints back
 *   the same digits;
 * - the event type holds no backslash (so needs no escaping) and is in the allowed set.
 * The one loop over the bytes also notes which fields hold a non-digit, so the id and timestamp
 * checks need no second pass.
 */
function fastRow(L: FastLayout, starts: Int32Array, line: number, b: Buffer, s: number, n: number, atEnd: boolean, out: ChunkWriter, ids: StagedShape, repeats: RepeatFilter | undefined): number {
  const { delimiter, quote, nFields } = L;
  let f = 0;
  starts[0] = s;
  // Bit f of `nonDigit`: field f holds a byte other than 0-9 (nFields ≤ MAX_FAST_FIELDS).
  let nonDigit = 0;
  let bit = 1;
  let p = s;
  let c = 0;
  for (; p < n; p++) {
    c = b[p]!;
    if (c === delimiter) {
      if (++f >= nFields) return -1;
      starts[f] = p + 1;
      bit = 1 << f;
    } else if (c < ZERO || c > NINE) {
      if (c < 0x21 || c > 0x7e || c === quote) break;
      nonDigit |= bit;
    }
  }
  let end: number;
  let next: number;
  if (p < n) {
    end = p;
    if (c === NL) next = p + 1;
    else if (c === CR && p + 1 < n && b[p + 1] === NL) next = p + 2;
    else if (c === CR && p + 1 === n && atEnd) next = n;
    else return -1;
  } else if (atEnd) end = next = n;
  else return -1;
  if (end === s || f !== nFields - 1) return -1;
  starts[nFields] = end + 1;
  const header = L.header;
  if (end - s === header.length && b.compare(header, 0, header.length, s, end) === 0) return -1;
  const us = starts[L.user]!;
  const ue = starts[L.user + 1]! - 1;
  const is = starts[L.item]!;
  const ie = starts[L.item + 1]! - 1;
  const userDigits = ((nonDigit >>> L.user) & 1) === 0;
  const itemDigits = ((nonDigit >>> L.item) & 1) === 0;
  if (!fastId(b, us, ue, L.integerIds, userDigits) || !fastId(b, is, ie, L.integerIds, itemDigits)) return -1;
  let ts = 0;
  let te = 0;
  if (L.timestamp >= 0) {
    ts = starts[L.timestamp]!;
    te = starts[L.timestamp + 1]! - 1;
    const len = te - ts;
    if (len < 1 || len > 15 || (b[ts] === ZERO && len > 1) || ((nonDigit >>> L.timestamp) & 1) !== 0) return -1;
  }
  let es = 0;
  let ee = 0;
  if (L.eventType >= 0) {
    es = starts[L.eventType]!;
    ee = starts[L.eventType + 1]! - 1;
    if (ee === es) return -1;
    for (let q = es; q < ee; q++) if (b[q] === BACKSLASH) return -1;
    if (L.eventSet !== undefined && !L.eventSet.has(b.toString('latin1', es, ee))) return -1;
  }
  if (ids.integer && !(canonicalInteger(b, us, ue, userDigits) && canonicalInteger(b, is, ie, itemDigits))) ids.integer = false;
  if (ids.int32 && !(ids.integer && ue - us <= 9 && ie - is <= 9)) ids.int32 = false;
  ids.lastLine = line;
  out.reserve(end - s + 40);
  const start = out.position;
  out.uint(line);
  out.byte(TAB);
  const keyStart = out.position;
  out.bytes(b, us, ue);
  out.byte(TAB);
  out.bytes(b, is, ie);
  out.byte(TAB);
  if (L.timestamp >= 0) out.bytes(b, ts, te);
  else out.byte(ZERO);
  out.byte(TAB);
  if (L.eventType >= 0) out.bytes(b, es, ee);
  out.byte(NL);
  repeats?.note(start, keyStart, out.position);
  return next;
}

/** b[s, e) is an id checkId returns unchanged (`digits`: it holds only 0-9). */
function fastId(b: Buffer, s: number, e: number, integer: boolean, digits: boolean): boolean {
  const n = e - s;
  if (n < 1 || n > MAX_ID_LENGTH) return false;
  return !integer || (digits && !(b[s] === ZERO && n > 1));
}

/** b[s, e) matches CANONICAL_INTEGER (`digits`: it holds only 0-9). */
function canonicalInteger(b: Buffer, s: number, e: number, digits: boolean): boolean {
  const n = e - s;
  return digits && n >= 1 && n <= 18 && !(b[s] === ZERO && n > 1);
}

async function stageDelimited(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter, repeats: RepeatFilter | undefined): Promise<Omit<Staged, 'suspects'>> {
  const delimiter = o.format === 'tsv' ? '\t' : ',';
  const quote = o.format === 'csv' ? '"' : null;
  const cols = o.columns;
  const ids = newShape();
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, repeats, o.eventTypes);
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
              if (layout === undefined || fastRow(layout, starts, line, bytes, 0, bytes.length, true, out, ids, repeats) < 0) return false;
              rowsIn++;
              fastRows++;
              return true;
            },
            fastLines(chunk: Buffer, at: LineCursor): void {
              if (layout === undefined) return;
              const L = layout;
              const n = chunk.length;
              let p = at.pos;
              let line = at.lineNo;
              for (;;) {
                const next = fastRow(L, starts, line + 1, chunk, p, n, false, out, ids, repeats);
                if (next < 0) break;
                p = next;
                line++;
              }
              rowsIn += line - at.lineNo;
              fastRows += line - at.lineNo;
              at.pos = p;
              at.lineNo = line;
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
        // A header of more fields than the non-digit mask holds leaves the fast path off.
        if (h.length > MAX_FAST_FIELDS) return;
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
  return { rowsIn, staged: stager.staged + fastRows, checksum, fastRows, ...shapeFields(ids) };
}

/** JSONL: the rules of readJsonl — a line that is not a JSON object, or lacks a valid field, is a counted rejection. */
async function stageJsonl(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter, repeats: RepeatFilter | undefined): Promise<Omit<Staged, 'suspects'>> {
  const cols = o.columns;
  const ids = newShape();
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, repeats, o.eventTypes);
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
  return { rowsIn, staged: stager.staged, checksum, fastRows: 0, ...shapeFields(ids) };
}

/**
 * Parquet: the rules of readParquet — rows streamed through DuckDB in chunks, every value cast to
 * VARCHAR (TIMESTAMP/DATE to Unix seconds) and checked like text; `line` is the 1-based row number.
 */
async function stageParquet(path: string, o: StageOptions, sink: RejectionSink, out: ChunkWriter, repeats: RepeatFilter | undefined): Promise<Omit<Staged, 'suspects'>> {
  const cols = o.columns;
  const checksum = await sha256File(path);
  const ids = newShape();
  const stager = new RowStager(sink, cols, o.idType ?? 'token', out, ids, repeats, o.eventTypes);
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
  return { rowsIn, staged: stager.staged, checksum, fastRows: 0, ...shapeFields(ids) };
}
