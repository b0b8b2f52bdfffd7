/**
 * Value resolution and format of numerical / datetime columns, learned from the training cells so
 * that synthetic values come out the way the input wrote them: whole-second timestamps stay whole
 * seconds in the same text layout (`1997-09-20 03:05:10`, not `1997-09-20T03:05:10.123Z`),
 * minute-resolution timestamps stay on whole minutes, dates stay dates, unix seconds stay integers,
 * prices with two decimals keep two decimals, integers stay integers.
 *
 * Both table synthesizer families (the copula and the CTGAN/TVAE transformer) model these columns
 * as plain numbers; `learnValueFormat` runs once at fit time on the raw cells, the result is plain
 * JSON stored in the saved model, and `formatValue` turns a modelled number back into a cell.
 * Categorical, boolean and id cells need nothing here: both families emit the training cells
 * themselves, so their spelling is kept as seen.
 *
 * Rounding never leaves the observed [min, max]: the step is learned from every value, so the
 * observed min and max lie on the grid, and rounding a value between them stays between them.
 */
import { parseIsoMs, type Cell, type ColumnMeta } from '../data/index.ts';

/** Decimal places learned at most; a column with more keeps its values as computed. */
export const MAX_DECIMALS = 6;

export type ValueFormat =
  | {
      readonly kind: 'number';
      /** Decimal places to round to (0: integers); null keeps the value as computed. */
      readonly decimals: number | null;
      /** Numeric timestamps only: the coarsest time unit every value is a multiple of (e.g. 60 for minute-resolution unix seconds). */
      readonly step?: number;
    }
  | {
      readonly kind: 'datetime-text';
      /** Which parts are written: the date only, hours:minutes, :seconds, or a .fraction too. */
      readonly layout: 'date' | 'minute' | 'second';
      /** Between date and time: 'T' or ' '. */
      readonly separator: 'T' | ' ';
      /** Digits of the seconds fraction (0: none written). */
      readonly fractionDigits: number;
      /** Zone suffix as seen ('' for none, 'Z', '+02:00', …); values are written in its offset. */
      readonly zone: string;
      /** Resolution in ms of the wall-clock time (86 400 000 for dates, 60 000 for whole minutes, …). */
      readonly stepMs: number;
    };

const ISO_PARTS_RE = /^(\d{4}-\d{2}-\d{2})(?:([ T])(\d{2}:\d{2})(:\d{2})?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?)?$/;
const MS_STEPS = [86_400_000, 3_600_000, 60_000, 1000, 100, 10, 1];
const SECOND_STEPS = [86_400, 3600, 60, 1];

/** Learns the format of a numerical or datetime column from its training cells (nulls ignored). */
export function learnValueFormat(cells: readonly Cell[], meta: ColumnMeta): ValueFormat {
  const texts: string[] = [];
  for (const c of cells) if (typeof c === 'string' && c.trim() !== '' && meta.type === 'datetime' && ISO_PARTS_RE.test(c.trim())) texts.push(c.trim());
  if (texts.length > 0) return learnDatetimeText(texts);
  let decimals = 0;
  let allInteger = true;
  const values: number[] = [];
  for (const c of cells) {
    if (c === null || c === undefined || typeof c === 'boolean') continue;
    const s = typeof c === 'string' ? c.trim() : '';
    const x = typeof c === 'number' ? c : Number(s);
    if (s === '' && typeof c === 'string') continue;
    if (!Number.isFinite(x)) continue;
    values.push(x);
    if (!Number.isInteger(x)) allInteger = false;
    decimals = Math.max(decimals, decimalPlaces(x, s));
  }
  if (meta.type === 'numerical' && meta.integer === true) return { kind: 'number', decimals: 0 };
  if (meta.type === 'datetime' && allInteger && values.length > 0) {
    let largest = 0;
    for (const v of values) largest = Math.max(largest, Math.abs(v));
    const unitMs = meta.datetimeFormat === 'unix-ms' || (meta.datetimeFormat === undefined && largest > 1e11);
    const steps = unitMs ? MS_STEPS.filter((s) => s >= 1000 || s === 1) : SECOND_STEPS;
    return { kind: 'number', decimals: 0, step: coarsestStep(values, steps, 0) };
  }
  return { kind: 'number', decimals: decimals > MAX_DECIMALS ? null : decimals };
}

/** A modelled number (unix ms for text datetimes) as a cell in the learned format. */
export function formatValue(x: number, format: ValueFormat): Cell {
  if (!Number.isFinite(x)) return null;
  if (format.kind === 'number') {
    if (format.step !== undefined && format.step > 1) return Math.round(x / format.step) * format.step;
    if (format.decimals === null) return x;
    if (format.decimals === 0) return Math.round(x);
    // k / 10^d is correctly rounded, so the result is the double that the decimal text denotes.
    const scale = 10 ** format.decimals;
    return Math.round(x * scale) / scale;
  }
  const offset = zoneOffsetMs(format.zone);
  const wall = Math.round((x + offset) / format.stepMs) * format.stepMs;
  const d = new Date(wall);
  if (Number.isNaN(d.getTime())) return null;
  const iso = d.toISOString();
  const date = iso.slice(0, 10);
  if (format.layout === 'date') return date;
  let text = date + format.separator + iso.slice(11, 16);
  if (format.layout === 'second') {
    text += iso.slice(16, 19);
    if (format.fractionDigits > 0) text += '.' + (iso.slice(20, 23) + '0'.repeat(Math.max(0, format.fractionDigits - 3))).slice(0, format.fractionDigits);
  }
  return text + format.zone;
}

function learnDatetimeText(texts: readonly string[]): ValueFormat {
  let layout: 'date' | 'minute' | 'second' = 'date';
  let separator: 'T' | ' ' = 'T';
  let fractionDigits = 0;
  let zone: string | undefined;
  for (const t of texts) {
    const m = ISO_PARTS_RE.exec(t)!;
    if (m[2] === undefined) continue;
    if (layout === 'date') {
      separator = m[2] as 'T' | ' ';
      layout = 'minute';
    }
    if (m[4] !== undefined || m[5] !== undefined) layout = 'second';
    if (m[5] !== undefined) fractionDigits = Math.max(fractionDigits, m[5].length);
    if (zone === undefined) zone = m[6] ?? '';
  }
  const z = zone ?? '';
  const offset = zoneOffsetMs(z);
  const walls: number[] = [];
  for (const t of texts) {
    const ms = parseIsoMs(t);
    if (Number.isFinite(ms)) walls.push(ms + offset);
  }
  return { kind: 'datetime-text', layout, separator, fractionDigits, zone: z, stepMs: coarsestStep(walls, MS_STEPS, 1) };
}

/** The largest step that divides every value (fallback when none does). */
function coarsestStep(values: readonly number[], steps: readonly number[], fallback: number): number {
  for (const s of steps) if (values.every((v) => v % s === 0)) return s;
  return fallback;
}

/** Decimal places of a number as written (its text when it came as text). Infinity for exponent forms. */
function decimalPlaces(x: number, text: string): number {
  if (Number.isInteger(x) && !/\.\d*[1-9]/.test(text)) return 0;
  const s = text !== '' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? text : String(x);
  if (/e/i.test(s)) return Infinity;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function zoneOffsetMs(zone: string): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}
