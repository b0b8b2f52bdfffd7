/**
 * Per-field validation shared by every interaction reader, so a CSV, a JSONL and a Parquet file
 * with the same bad value give the same rejection code.
 */
import type { InteractionTable } from './types.ts';
import type { RejectionSink } from './rejections.ts';

/**
 * 'token': an id is any non-empty string without whitespace or control characters (RecBole's
 * `token` type; 'A12' and '007' are distinct ids). 'integer': a non-negative decimal integer;
 * leading zeros are dropped so '007' and '7' are one id. Integer ids are kept as exact digit
 * strings and never converted to a JS number, so ids above 2^53 lose no precision.
 */
export type IdType = 'token' | 'integer';

/** Ids longer than this are rejected: they are almost surely a mis-split row, and they bloat id maps. */
const MAX_ID_LENGTH = 512;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this class rejects
const BAD_TOKEN_CHAR = /[\s\u0000-\u001f\u007f\u2028\u2029]/;

export type Checked = { ok: true; value: string } | { ok: false; code: string; reason: string };

export function checkId(raw: unknown, type: IdType): Checked {
  if (raw === null || raw === undefined) return { ok: false, code: 'missing-id', reason: 'id is missing' };
  let s: string;
  if (typeof raw === 'string') s = raw.trim();
  else if (typeof raw === 'number') {
    // JSON numbers: an integer above 2^53 was already rounded by JSON.parse, so it cannot be trusted.
    if (!Number.isSafeInteger(raw)) return { ok: false, code: 'bad-id', reason: `id ${raw} is not a safe integer (precision lost); write large ids as strings` };
    s = String(raw);
  } else if (typeof raw === 'bigint') s = raw.toString();
  else return { ok: false, code: 'bad-id', reason: `id has type ${Array.isArray(raw) ? 'array' : typeof raw}, expected a string or number` };
  if (s === '') return { ok: false, code: 'missing-id', reason: 'id is empty' };
  if (s.length > MAX_ID_LENGTH) return { ok: false, code: 'bad-id', reason: `id is ${s.length} characters long (max ${MAX_ID_LENGTH})` };
  if (type === 'integer') {
    if (/^\d+$/.test(s)) return { ok: true, value: s.length > 1 ? s.replace(/^0+(?=\d)/, '') : s };
    if (/^-\d+$/.test(s)) return { ok: false, code: 'bad-id', reason: `id '${s}' is negative` };
    return { ok: false, code: 'bad-id', reason: `id '${clip(s)}' is not a non-negative integer` };
  }
  if (BAD_TOKEN_CHAR.test(s)) return { ok: false, code: 'bad-id', reason: `id '${clip(s)}' contains whitespace or a control character` };
  return { ok: true, value: s };
}

export type CheckedTime = { ok: true; value: number } | { ok: false; code: string; reason: string };

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Numbers are taken as written (seconds or ms, the caller knows which). ISO-8601 dates/datetimes
 * become Unix seconds; a datetime without a zone is read as UTC so the result never depends on the
 * machine's time zone. 'NaN', 'Infinity', overflow ('1e999') and negatives are rejected: a
 * timestamp that cannot be ordered would put the row at an arbitrary place in the sequence.
 */
export function checkTimestamp(raw: unknown): CheckedTime {
  if (raw === null || raw === undefined) return { ok: false, code: 'bad-timestamp', reason: 'timestamp is missing' };
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === '') return { ok: false, code: 'bad-timestamp', reason: 'timestamp is empty' };
    if (NUMERIC.test(s)) v = Number(s);
    else {
      const m = ISO.exec(s);
      if (!m) return { ok: false, code: 'bad-timestamp', reason: `timestamp '${clip(s)}' is neither a number nor an ISO-8601 date` };
      const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}${m[8] ?? 'Z'}`;
      const ms = Date.parse(iso);
      // Date.parse rolls '2016-02-31' over to March; compare the date part back to refuse it.
      if (!Number.isFinite(ms) || (m[8] === undefined && new Date(ms).toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`))
        return { ok: false, code: 'bad-timestamp', reason: `timestamp '${clip(s)}' is not a valid date` };
      v = ms / 1000;
    }
  } else return { ok: false, code: 'bad-timestamp', reason: `timestamp has type ${typeof raw}` };
  if (!Number.isFinite(v)) return { ok: false, code: 'bad-timestamp', reason: `timestamp ${String(raw).slice(0, 40)} is not a finite number` };
  if (v < 0) return { ok: false, code: 'negative-timestamp', reason: `timestamp ${v} is negative` };
  return { ok: true, value: v };
}

export function clip(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export interface ColumnNames {
  user: string;
  item: string;
  timestamp?: string;
  eventType?: string;
}

/** A row that passed the per-row rules: its ids, timestamp (0 without the column) and event type ('' without). */
export interface CheckedRow {
  readonly user: string;
  readonly item: string;
  readonly timestamp: number;
  readonly eventType: string;
}

/**
 * The per-row rules of an interaction log — ids, timestamp, event type — with their rejection codes,
 * fields and reasons, in one place for every reader (the in-memory builder below and the
 * out-of-core stager). A rejected row goes to the sink and gives null.
 */
export class InteractionRowRules {
  private readonly eventSet: Set<string> | undefined;

  constructor(
    private readonly sink: RejectionSink,
    readonly cols: ColumnNames,
    private readonly idType: IdType,
    eventTypes?: readonly string[],
  ) {
    this.eventSet = eventTypes ? new Set(eventTypes) : undefined;
  }

  check(line: number, user: unknown, item: unknown, timestamp: unknown, eventType: unknown, raw: string): CheckedRow | null {
    const { sink, cols } = this;
    const u = checkId(user, this.idType);
    if (!u.ok) return sink.reject(line, cols.user, u.code, `user ${u.reason}`, raw), null;
    const it = checkId(item, this.idType);
    if (!it.ok) return sink.reject(line, cols.item, it.code, `item ${it.reason}`, raw), null;
    let t = 0;
    if (cols.timestamp !== undefined) {
      const tc = checkTimestamp(timestamp);
      if (!tc.ok) return sink.reject(line, cols.timestamp, tc.code, tc.reason, raw), null;
      t = tc.value;
    }
    let ev = '';
    if (cols.eventType !== undefined) {
      if (typeof eventType === 'number') eventType = String(eventType);
      if (typeof eventType !== 'string' || eventType.trim() === '') return sink.reject(line, cols.eventType, 'unknown-event-type', 'event type is missing', raw), null;
      ev = eventType.trim();
      if (this.eventSet !== undefined && !this.eventSet.has(ev))
        return sink.reject(line, cols.eventType, 'unknown-event-type', `event type '${clip(ev)}' is not one of: ${[...this.eventSet].join(', ')}`, raw), null;
    }
    return { user: u.value, item: it.value, timestamp: t, eventType: ev };
  }
}

/**
 * Validates rows one at a time and accumulates the kept ones. Duplicate detection keys on
 * (user, item, timestamp[, eventType]): the event type is part of the key because a click and a
 * purchase in the same second are two real events. Without a timestamp column there is no duplicate
 * check at all — repeated (user, item) rows are legitimate repeat interactions (Taobao has them)
 * and nothing distinguishes a repeat from a copy.
 */
export class InteractionBuilder {
  private readonly users: string[] = [];
  private readonly items: string[] = [];
  private readonly times: number[] = [];
  private readonly events: string[] = [];
  private readonly lines: number[] = [];
  private readonly seen = new Map<string, number>();
  private readonly rules: InteractionRowRules;

  constructor(
    private readonly sink: RejectionSink,
    private readonly cols: ColumnNames,
    idType: IdType,
    eventTypes?: readonly string[],
  ) {
    this.rules = new InteractionRowRules(sink, cols, idType, eventTypes);
  }

  get kept(): number {
    return this.users.length;
  }

  /** Returns true when the row was kept; otherwise it has been rejected through the sink. */
  add(line: number, user: unknown, item: unknown, timestamp: unknown, eventType: unknown, raw: string): boolean {
    const { sink, cols } = this;
    const row = this.rules.check(line, user, item, timestamp, eventType, raw);
    if (row === null) return false;
    if (cols.timestamp !== undefined) {
      const key = `${row.user}\u0000${row.item}\u0000${row.timestamp}\u0000${row.eventType}`;
      const first = this.seen.get(key);
      if (first !== undefined) return sink.reject(line, '*', 'duplicate-row', `duplicate of line ${first} (same user, item, timestamp${cols.eventType ? ', event type' : ''})`, raw), false;
      this.seen.set(key, line);
    }
    this.users.push(row.user);
    this.items.push(row.item);
    if (cols.timestamp !== undefined) this.times.push(row.timestamp);
    if (cols.eventType !== undefined) this.events.push(row.eventType);
    this.lines.push(line);
    return true;
  }

  build(file: string, checksum: string): InteractionTable {
    return {
      file,
      checksum,
      users: this.users,
      items: this.items,
      lines: Float64Array.from(this.lines),
      ...(this.cols.timestamp !== undefined ? { timestamps: Float64Array.from(this.times) } : {}),
      ...(this.cols.eventType !== undefined ? { eventTypes: this.events } : {}),
    };
  }
}
