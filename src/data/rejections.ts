/**
 * Row accounting. Every reader routes each rejected row through one `RejectionSink`, which counts
 * it per code, keeps a small sample for messages, and (when a path is given) streams it as JSONL to a
 * temp file that is renamed into place only when the read finished — so the rejected file is either
 * complete or absent, never half written.
 */
import { DataValidationError } from '../core/errors.ts';
import { AtomicFileWriter } from '../core/fsutil.ts';
import type { ReadReport, Rejection } from './types.ts';
import { clipRaw } from './lines.ts';

const SAMPLE_SIZE = 20;

export class RejectionSink {
  readonly sample: Rejection[] = [];
  readonly byCode: Record<string, number> = {};
  total = 0;
  private out: AtomicFileWriter | undefined;

  constructor(
    readonly file: string,
    readonly rejectedPath?: string,
  ) {
    if (rejectedPath !== undefined) this.out = new AtomicFileWriter(rejectedPath);
  }

  reject(line: number, field: string, code: string, reason: string, raw?: string): void {
    const r: Rejection = raw === undefined ? { file: this.file, line, field, reason, code } : { file: this.file, line, field, reason, code, raw };
    this.total++;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
    if (this.sample.length < SAMPLE_SIZE) this.sample.push(r);
    this.out?.write(JSON.stringify(r) + '\n');
  }

  /** Completes the rejected file (even when empty: its presence says the read ran) and returns its path. */
  finish(): string | undefined {
    if (this.out === undefined) return undefined;
    const out = this.out;
    this.out = undefined;
    return out.commit();
  }

  /** Drops the temp file: a failed read leaves no rejected file at all. */
  abort(): void {
    this.out?.abort();
    this.out = undefined;
  }

  report(rowsIn: number, rowsKept: number, rejectedFile?: string): ReadReport {
    if (rowsIn !== rowsKept + this.total) {
      // An internal invariant, not a user error: a row went neither way.
      throw new Error(`row accounting broken for ${this.file}: in ${rowsIn} != kept ${rowsKept} + rejected ${this.total}`);
    }
    const report: ReadReport = {
      file: this.file,
      rowsIn,
      rowsKept,
      rowsRejected: this.total,
      rejectedByCode: { ...this.byCode },
      sample: this.sample.slice(),
      ...(rejectedFile !== undefined ? { rejectedFile } : {}),
    };
    return report;
  }

  /**
   * Ends a read: writes the rejected file, builds the report, and turns "nothing usable" into a
   * DataValidationError (after the rejected file is complete, so the user can look at why).
   */
  close(rowsIn: number, rowsKept: number, what: string): ReadReport {
    const rejectedFile = this.finish();
    const report = this.report(rowsIn, rowsKept, rejectedFile);
    if (rowsIn === 0) throw new DataValidationError(`no ${what} rows (the file has no data)`, { file: this.file });
    if (rowsKept === 0) {
      const codes = Object.entries(this.byCode)
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ');
      const first = this.sample[0]!;
      throw new DataValidationError(`no usable ${what} rows: all ${rowsIn} rejected (${codes}); first: ${first.reason}`, {
        file: this.file,
        line: first.line,
        field: first.field,
      });
    }
    return report;
  }
}

/**
 * One decoded JSONL line as an object, or null after rejecting it: an empty line ('empty-line'),
 * text that is not JSON or JSON that is not an object ('bad-json'). Every JSONL reader goes
 * through here, so the rules and messages are the same for interactions, tables and search logs.
 */
export function jsonObjectLine(sink: RejectionSink, lineNo: number, text: string): Record<string, unknown> | null {
  if (text.trim() === '') {
    sink.reject(lineNo, '*', 'empty-line', 'empty line', text);
    return null;
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    sink.reject(lineNo, '*', 'bad-json', `not valid JSON (${(e as Error).message.split('\n')[0]})`, clipRaw(text));
    return null;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    sink.reject(lineNo, '*', 'bad-json', 'line is not a JSON object', clipRaw(text));
    return null;
  }
  return obj as Record<string, unknown>;
}
