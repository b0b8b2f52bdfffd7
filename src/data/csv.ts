/**
 * Delimited-text records with exact physical line numbers.
 *
 * Why not DuckDB's read_csv for CSV/TSV: it reports no line number for accepted rows, skips blank
 * lines silently, and with `ignore_errors` drops bad rows without a trace — so neither "every row is
 * kept or rejected" nor "the line number is the physical line" can be checked through it. This
 * scanner streams the file (see lines.ts), follows RFC 4180 quoting (a quoted field may span lines;
 * the record's line is the line where it starts) and reports each record or each unreadable line.
 */
import { DEFAULT_MAX_LINE_BYTES, decodeLine, forEachLine, lenientText, type LineCursor, type TextEncoding } from './lines.ts';
import { DataValidationError } from '../core/errors.ts';

export interface DelimitedOptions {
  delimiter: string;
  /** Quote character, or null for none (TSV and RecBole files are not quoted). */
  quote: string | null;
  encoding: TextEncoding;
  maxLineBytes?: number;
  /** A quoted field may span at most this many physical lines before the record counts as broken. */
  maxRecordLines?: number;
  /** False: the file has no header line, line 1 is a record (`header` is never called). Default true. */
  hasHeader?: boolean;
  /**
   * What a data line with invalid UTF-8 becomes. 'reject-line' (default): a `bad` line, as before.
   * 'mark-record': the line is decoded with U+FFFD replacements and still takes part in the record
   * it belongs to (a quoted field spanning lines stays intact), and `record` gets `invalidUtf8 = true`
   * so the caller can reject the whole record naming the field that holds the bad bytes.
   */
  invalidUtf8?: 'reject-line' | 'mark-record';
  /**
   * A caller's fast path for a data line, tried on its raw bytes before decoding when no quoted
   * field is open: returning true means the caller fully handled the line (it must then be a line
   * the normal path would have turned into one accepted record); false sends it down the normal path.
   */
  fastLine?: (line: number, bytes: Buffer) => boolean;
  /**
   * The same fast path over many lines at once (see LineSink.lines): offered the data lines of a
   * chunk from `at` on whenever no quoted field is open, it takes the lines it fully handles — each
   * one a line the normal path would have turned into one accepted record — and stops at the first
   * one it leaves to the normal path.
   */
  fastLines?: (chunk: Buffer, at: LineCursor) => void;
}

export interface DelimitedSink {
  header(fields: string[]): void;
  /** `invalidUtf8` is true only with `invalidUtf8: 'mark-record'`, when a line of the record had invalid bytes. */
  record(line: number, fields: string[], raw: string, invalidUtf8?: boolean): void;
  /** A physical line that cannot become a record: code is 'empty-line', 'invalid-utf8', 'line-too-long' or 'unterminated-quote'. */
  bad(line: number, code: string, reason: string, raw: string, rawBytes?: Buffer): void;
}

/** Splits one record; `open` is true when the text ends inside a quoted field. */
export function splitRecord(text: string, delimiter: string, quote: string | null): { fields: string[]; open: boolean } {
  if (quote === null || !text.includes(quote)) return { fields: text.split(delimiter), open: false };
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  const n = text.length;
  let atFieldStart = true;
  while (i <= n) {
    if (i === n) {
      fields.push(cur);
      break;
    }
    const c = text[i]!;
    if (atFieldStart && c === quote) {
      // Quoted field: runs to the closing quote; a doubled quote is a literal quote.
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i]!;
        if (d === quote) {
          if (text[i + 1] === quote) {
            cur += quote;
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        cur += d;
        i++;
      }
      if (!closed) return { fields, open: true };
      // Characters after the closing quote up to the delimiter are kept literally (lenient, like most readers).
      atFieldStart = false;
      continue;
    }
    if (text.startsWith(delimiter, i)) {
      fields.push(cur);
      cur = '';
      i += delimiter.length;
      atFieldStart = true;
      continue;
    }
    cur += c;
    atFieldStart = false;
    i++;
  }
  return { fields, open: false };
}

/**
 * Continues a record whose previous physical line ended inside a quoted field: returns whether this
 * line ends inside one too (same rules as splitRecord: "" is a literal quote, a quote opens a field
 * only at its start).
 */
function stillOpen(text: string, delimiter: string, quote: string): boolean {
  let inQuote = true;
  let atFieldStart = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === quote) {
        if (text[i + 1] === quote) i++;
        else inQuote = false;
      }
      continue;
    }
    if (atFieldStart && c === quote) {
      inQuote = true;
      atFieldStart = false;
      continue;
    }
    if (text.startsWith(delimiter, i)) {
      atFieldStart = true;
      i += delimiter.length - 1;
      continue;
    }
    atFieldStart = false;
  }
  return inQuote;
}

/** Streams a delimited file with a header line; returns the source checksum. */
export async function scanDelimited(file: string, opts: DelimitedOptions, sink: DelimitedSink): Promise<string> {
  const { delimiter, quote, encoding } = opts;
  const maxRecordLines = opts.maxRecordLines ?? 1000;
  const maxBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const markInvalid = opts.invalidUtf8 === 'mark-record';
  const fastLine = opts.fastLine;
  const fastLines = opts.fastLines;
  let sawHeader = opts.hasHeader === false;
  // Lines of a record whose quoted field is still open.
  let pending: { line: number; text: string; invalid: boolean }[] = [];
  let pendingLen = 0;

  const handle = (line: number, text: string, invalid = false): void => {
    if (pending.length > 0) {
      pending.push({ line, text, invalid });
      pendingLen += text.length + 1;
      // Only the new line is scanned for the closing quote, so a stray quote costs linear time.
      if (!stillOpen(text, delimiter, quote!)) {
        const joined = pending.map((p) => p.text).join('\n');
        const r = splitRecord(joined, delimiter, quote);
        const first = pending[0]!.line;
        const anyInvalid = pending.some((p) => p.invalid);
        pending = [];
        pendingLen = 0;
        if (r.open) throw new Error('csv scanner: quote state disagrees with splitRecord'); // internal invariant
        if (anyInvalid) sink.record(first, r.fields, joined, true);
        else sink.record(first, r.fields, joined);
      } else if (pending.length >= maxRecordLines || pendingLen > maxBytes) failPending();
      return;
    }
    if (text.trim() === '') {
      sink.bad(line, 'empty-line', 'empty line', text);
      return;
    }
    const r = splitRecord(text, delimiter, quote);
    if (r.open) {
      pending = [{ line, text, invalid }];
      pendingLen = text.length;
      return;
    }
    if (invalid) sink.record(line, r.fields, text, true);
    else sink.record(line, r.fields, text);
  };

  // An opening quote that never closes rejects only its own line; the lines it swallowed are
  // read again as records of their own, so one stray quote cannot hide the rest of the file.
  const failPending = (): void => {
    const [first, ...rest] = pending;
    pending = [];
    pendingLen = 0;
    sink.bad(first!.line, 'unterminated-quote', `quoted field opened on line ${first!.line} is not closed${rest.length ? ` within ${rest.length + 1} lines` : ''}`, first!.text);
    for (const r of rest) handle(r.line, r.text, r.invalid);
  };

  const { checksum } = await forEachLine(
    file,
    {
      line(lineNo, bytes) {
        if (!sawHeader) {
          sawHeader = true;
          const text = decodeLine(bytes, encoding);
          if (text === null) throw new DataValidationError('header line is not valid UTF-8 (pass encoding latin1 if the file is latin-1)', { file, line: 1 });
          if (text.trim() === '') throw new DataValidationError('line 1 is empty; expected a header line', { file, line: 1 });
          const r = splitRecord(text, delimiter, quote);
          if (r.open) throw new DataValidationError('header line has an unclosed quote', { file, line: 1 });
          sink.header(r.fields.map((f) => f.trim()));
          return;
        }
        if (fastLine !== undefined && pending.length === 0 && fastLine(lineNo, bytes)) return;
        const text = decodeLine(bytes, encoding);
        if (text === null && markInvalid) {
          const lenient = bytes.toString('utf-8');
          handle(lineNo, lenient.endsWith('\r') ? lenient.slice(0, -1) : lenient, true);
          return;
        }
        if (text === null) {
          sink.bad(lineNo, 'invalid-utf8', 'line is not valid UTF-8 (latin-1 bytes?); pass encoding latin1 to read such files', lenientText(bytes), bytes);
          return;
        }
        handle(lineNo, text);
      },
      tooLong(lineNo, head, total) {
        if (!sawHeader) throw new DataValidationError(`header line is ${total} bytes, over the ${maxBytes}-byte line limit`, { file, line: 1 });
        sink.bad(lineNo, 'line-too-long', `line is ${total} bytes, over the ${maxBytes}-byte limit`, lenientText(head));
      },
      ...(fastLines === undefined
        ? {}
        : {
            lines(chunk: Buffer, at: LineCursor): void {
              if (sawHeader && pending.length === 0) fastLines(chunk, at);
            },
          }),
    },
    maxBytes,
  );
  while (pending.length > 0) failPending();
  if (!sawHeader) throw new DataValidationError('file has no header line', { file });
  return checksum;
}
