/**
 * Byte-level streaming line splitter shared by every text reader.
 *
 * Why not `readline`: readline decodes UTF-8 with silent U+FFFD replacement (so a latin-1 byte could
 * not be told apart from a real character) and has no cap on line length (a 2 GB line would be
 * buffered whole). Here lines are split on raw `\n` bytes, each line is handed over as bytes, and a
 * line longer than `maxLineBytes` is skipped (its bytes are dropped as they stream past) and
 * reported as too long instead of being buffered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { DataValidationError } from '../core/errors.ts';
import type { ProgressReporter } from '../core/progress.ts';

/** Default cap on one physical line: large enough for a 10 MB sequence line, small enough to never exhaust memory. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface LineSink {
  /** A complete line without its `\n` (a trailing `\r` is still present; the UTF-8 BOM of line 1 is removed). */
  line(lineNo: number, bytes: Buffer): void;
  /** A line whose length exceeded the cap; `head` is its first bytes, for the rejection message. */
  tooLong(lineNo: number, head: Buffer, totalBytes: number): void;
  /**
   * Optional bulk path, for readers with a byte-level fast path: called with a chunk of the file and
   * a cursor at the start of a line in it (line 2 or later; no earlier bytes of that line pending),
   * it may take whole lines from there — each ending with `\n` inside the chunk — advancing
   * `at.pos` past each taken line's `\n` and `at.lineNo` (the last line handed out) by one per line.
   * It stops where it likes; the next line then goes to `line` as usual. Taken lines reach neither
   * `line` nor `tooLong`. This spares a Buffer object, a callback and a newline search per line.
   */
  lines?(chunk: Buffer, at: LineCursor): void;
}

/** Where `LineSink.lines` is in a chunk: the offset of the next line and the number of the last line handed out. */
export interface LineCursor {
  pos: number;
  lineNo: number;
}

/**
 * Checks the path before any streaming so the common mistakes give one clear error instead of a
 * Node stack trace: missing file, a directory, an unreadable file, an empty file.
 */
export function checkInputFile(file: string): number {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new DataValidationError('is a directory, expected a file', { file });
    if (!st.isFile()) throw new DataValidationError('is not a regular file', { file });
    size = st.size;
  } catch (e) {
    if (e instanceof DataValidationError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataValidationError('file not found', { file });
    if (code === 'EACCES') throw new DataValidationError('permission denied', { file });
    throw new DataValidationError(`cannot open file (${code ?? String(e)})`, { file });
  }
  if (size === 0) throw new DataValidationError('file is empty (0 bytes)', { file });
  return size;
}

/** True when the file starts with the gzip magic bytes. */
export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where a read stands, for whoever asked: every text reader streams through forEachLine, so one
 * context here gives `validate` (or any caller) a byte-level bar without a progress parameter
 * threaded through each reader. Outside withReadProgress nothing is reported.
 */
const readProgress = new AsyncLocalStorage<ProgressReporter>();

/**
 * Runs `read` with a `reading <file>` bar for every file it reads: bytes read of the file's size for
 * the text formats, rows read of the row count in the file's metadata for Parquet.
 */
export function withReadProgress<T>(progress: ProgressReporter, read: () => Promise<T>): Promise<T> {
  return readProgress.run(progress, read);
}

/**
 * The `reading <file>` bar of the read running now, or undefined outside withReadProgress (or when
 * its reporter draws no bars) — so a reader whose units are not bytes (Parquet: rows, which DuckDB
 * reads) reports through the same context.
 */
export function readProgressBar(file: string): ((done: number, total: number) => void) | undefined {
  const progress = readProgress.getStore();
  if (!progress?.step) return undefined;
  const label = `reading ${basename(file)}`;
  return (done, total) => progress.step!(label, done, total);
}

/** Streams `file`, calling `sink` once per physical line; returns the sha256 of all bytes and the line count. */
export async function forEachLine(file: string, sink: LineSink, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<{ checksum: string; lines: number }> {
  const hash = createHash('sha256');
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partLen = 0;
  let overflow = false; // current line exceeded the cap: its further bytes are only counted
  let overflowTotal = 0;
  let head: Buffer = Buffer.alloc(0);

  const emit = (piece: Buffer): void => {
    lineNo++;
    if (overflow) {
      sink.tooLong(lineNo, head, overflowTotal + piece.length);
    } else if (partLen + piece.length > maxLineBytes) {
      const all = parts.length ? Buffer.concat([...parts, piece]) : piece;
      sink.tooLong(lineNo, Buffer.from(all.subarray(0, 256)), partLen + piece.length);
    } else {
      let bytes = parts.length ? Buffer.concat([...parts, piece]) : piece;
      if (lineNo === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      sink.line(lineNo, bytes);
    }
    parts = [];
    partLen = 0;
    overflow = false;
    overflowTotal = 0;
  };

  const keep = (piece: Buffer): void => {
    if (piece.length === 0) return;
    if (overflow) {
      overflowTotal += piece.length;
      return;
    }
    if (partLen + piece.length > maxLineBytes) {
      head = Buffer.from(Buffer.concat([...parts, piece]).subarray(0, 256));
      overflowTotal = partLen + piece.length;
      overflow = true;
      parts = [];
      partLen = 0;
      return;
    }
    parts.push(Buffer.from(piece)); // copy: the stream may reuse its chunk memory
    partLen += piece.length;
  };

  const bulk = sink.lines?.bind(sink);
  const at: LineCursor = { pos: 0, lineNo: 0 };
  /** Offers the lines from `start` on to the bulk path; returns where the rest of the chunk begins. */
  const takeLines = (chunk: Buffer, start: number): number => {
    // Line 1 always goes through `emit` (which removes a UTF-8 BOM).
    if (lineNo === 0) return start;
    at.pos = start;
    at.lineNo = lineNo;
    bulk!(chunk, at);
    lineNo = at.lineNo;
    return at.pos;
  };

  // A gzip file (magic bytes 1f 8b) is read through gunzip rather than rejected line by line as
  // "not valid UTF-8"; the checksum is of the decompressed bytes, so `x` and `x.gz` fingerprint alike.
  const gzipped = isGzip(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = gzipped ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  if (gzipped) raw.on('error', (e) => stream.destroy(e));
  const bar = readProgressBar(file);
  const size = bar ? statSync(file).size : 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // Bytes of the file itself (compressed ones for gzip), so the bar ends at the file's size.
      if (bar && size > 0) bar(Math.min(raw.bytesRead, size), size);
      hash.update(chunk);
      // The bulk path only sees lines that start in this chunk, and only when no line in the chunk can
      // exceed the cap (a line it takes ends inside the chunk).
      const bulkHere = bulk !== undefined && chunk.length <= maxLineBytes;
      let start = bulkHere && partLen === 0 && !overflow ? takeLines(chunk, 0) : 0;
      let idx = chunk.indexOf(10, start);
      while (idx !== -1) {
        emit(chunk.subarray(start, idx));
        start = idx + 1;
        if (bulkHere) start = takeLines(chunk, start);
        idx = chunk.indexOf(10, start);
      }
      keep(chunk.subarray(start));
    }
  } catch (e) {
    if (e instanceof DataValidationError) throw e;
    // Errors thrown by the sink are programming or validation errors; read errors are wrapped.
    const code = (e as NodeJS.ErrnoException).code;
    if (gzipped && typeof code === 'string' && code.startsWith('Z_'))
      throw new DataValidationError(`gzip data is corrupt or truncated (${code}) after ${lineNo} complete lines`, { file, line: lineNo + 1 });
    if (code !== undefined) throw new DataValidationError(`read failed (${code})`, { file, line: lineNo + 1 });
    throw e;
  } finally {
    stream.destroy();
    raw.destroy();
  }
  // A last line without a trailing newline is still a line; a file ending in '\n' has no extra empty line.
  // A file holding only a UTF-8 BOM is empty, not one blank line.
  const onlyBom = lineNo === 0 && partLen === 3 && Buffer.concat(parts).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  if ((partLen > 0 || overflow) && !onlyBom) emit(Buffer.alloc(0));
  return { checksum: hash.digest('hex'), lines: lineNo };
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

export type TextEncoding = 'utf-8' | 'latin1';

/**
 * Decodes one line. With 'utf-8' (the default) invalid byte sequences (typically latin-1 text)
 * give `null` so the caller rejects the row: guessing an encoding per row would silently change ids.
 * Callers that know a file is latin-1 pass 'latin1', where every byte is a character.
 */
export function decodeLine(bytes: Buffer, encoding: TextEncoding): string | null {
  let text: string;
  if (encoding === 'latin1') text = bytes.toString('latin1');
  else {
    try {
      text = utf8Fatal.decode(bytes);
    } catch {
      return null;
    }
  }
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** Decoding for messages only: never fails, invalid bytes become U+FFFD. */
/** A row's text as kept in a rejection: the first 200 characters, '…' when cut. */
export function clipRaw(raw: string): string {
  return raw.length > 200 ? raw.slice(0, 200) + '…' : raw;
}

export function lenientText(bytes: Buffer, max = 200): string {
  const t = utf8Lenient.decode(bytes.subarray(0, max * 4));
  const s = t.endsWith('\r') ? t.slice(0, -1) : t;
  return s.length > max ? s.slice(0, max) + '…' : s;
}

/** sha256 of a whole file, streamed (for formats read by DuckDB, where we never see the bytes). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
