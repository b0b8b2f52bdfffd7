/**
 * A per-entity time model for the entity-blocks wrapper: an entity's rows come in sessions.
 *
 * In an event table a row's time is not a free column: a user rates, buys or clicks in bursts
 * (on ml-100k 97.6 % of a user's consecutive ratings are at most 10 minutes apart), so the real
 * rows of one entity sit in a few narrow time windows, and a row-level model — which draws the
 * time from the population's marginal, at best shifted by the other columns — spreads them over
 * the whole period. A detector that can combine columns sees that first.
 *
 * Fit: per entity, its times sorted and cut into sessions wherever two consecutive times are more
 * than `sessionGap` apart. Pooled over all entities: the gaps inside sessions, the gaps between
 * sessions, the session sizes and the entities' first session starts, each kept as QUANTILES
 * quantiles (not the raw values). With `source: 'copy'` each entity's own session starts and
 * sizes are kept as well.
 * Sample: for an entity with m sampled rows, m times in sessions —
 * - 'copy': rows are spread over the entity's real sessions in proportion to their real sizes;
 *   each session starts at its real start, and the rows follow with in-session gaps drawn from the
 *   pooled gaps. Discloses every entity's real session start times (to the column's resolution).
 * - 'synthetic': the entity's first session starts at a draw from the pooled first starts, sessions
 *   of pooled sizes follow each other after pooled between-session gaps (a session that would
 *   start after the last training time starts again at a fresh first-start draw); no time of any
 *   one entity is kept.
 * The m times are then given to the entity's rows in the order of the row model's own times for
 * them (rank matching), so whatever the row model ties to time (e.g. newer items rated later)
 * keeps its direction within each entity.
 */
import { z } from 'zod';
import { Rng } from '../core/index.ts';
import { cellToNumber, type Cell, type ColumnMeta } from '../data/index.ts';
import { formatValue, learnValueFormat, type ValueFormat } from './resolution.ts';

/** Pooled distributions are kept as this many quantiles (0, 1/(Q−1), …, 1). */
export const QUANTILES = 257;

export const entityTimeSchema = z
  .object({
    /** The time column (datetime or numerical) whose values come in sessions per entity. */
    column: z.string().min(1),
    /** Two consecutive times of one entity further apart than this start a new session: seconds for datetime columns, the column's unit for numerical ones. */
    sessionGap: z.number().positive().default(1800),
    /** 'copy': each entity keeps its real session starts (discloses them); 'synthetic': sessions are drawn from pooled distributions only. */
    source: z.enum(['copy', 'synthetic']).default('copy'),
    /**
     * 'copy': each copied session start moves by a uniform draw in ±startJitter (same unit as
     * sessionGap; 0 keeps the real starts), so the output shows an entity's activity only to about
     * that resolution (the saved model still holds the real starts).
     */
    startJitter: z.number().min(0).default(0),
  })
  .strict();
export type EntityTimeParams = z.infer<typeof entityTimeSchema>;

/** One entity's real sessions ('copy' only): starts (model units) and row counts, in time order. */
export interface EntitySessions {
  readonly starts: readonly number[];
  readonly sizes: readonly number[];
}

/** The fitted time model: plain JSON (it goes into the saved synthesizer file). */
export interface EntityTimeState {
  readonly params: EntityTimeParams;
  /** The time column's metadata (how cells are read as numbers). */
  readonly meta: ColumnMeta;
  /** How values come back out as cells (learned from the training cells). */
  readonly format: ValueFormat;
  /** Model units per second: 1000 for datetimes held as ms (ISO text, unix-ms), else 1. */
  readonly unitsPerSecond: number;
  /** Model units per unit of sessionGap / startJitter: unitsPerSecond for datetime columns, 1 for numerical ones. */
  readonly unitScale: number;
  readonly min: number;
  readonly max: number;
  /** Pooled quantiles (model units; sizes in rows). */
  readonly inSessionGaps: readonly number[];
  readonly betweenSessionGaps: readonly number[];
  readonly sessionSizes: readonly number[];
  readonly firstStarts: readonly number[];
  /** 'copy': entity key (cellKey) → its sessions. */
  readonly sessions?: Readonly<Record<string, EntitySessions>>;
}

/** QUANTILES evenly spaced quantiles of `values` (linear interpolation); [0] when empty. */
export function quantiles(values: readonly number[]): number[] {
  if (values.length === 0) return [0];
  const s = Float64Array.from(values).sort();
  return Array.from({ length: QUANTILES }, (_, i) => {
    const pos = (i / (QUANTILES - 1)) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  });
}

/** A draw from a distribution given by its quantiles (inverse CDF, linear between quantiles). */
export function drawQuantile(q: readonly number[], rng: Rng): number {
  if (q.length === 1) return q[0]!;
  const pos = rng.next() * (q.length - 1);
  const lo = Math.floor(pos);
  return q[lo]! + (q[Math.min(q.length - 1, lo + 1)]! - q[lo]!) * (pos - lo);
}

/** The smallest change of a value that its format can show (the step a shifted copy moves by). */
export function formatStep(format: ValueFormat): number {
  if (format.kind === 'datetime-text') return format.stepMs;
  if (format.step !== undefined && format.step > 1) return format.step;
  return format.decimals === null ? 1e-6 : 10 ** -format.decimals;
}

function unitsPerSecondOf(cells: readonly Cell[], meta: ColumnMeta): number {
  if (meta.type !== 'datetime') return 1;
  if (meta.datetimeFormat === 'unix-ms' || meta.datetimeFormat === 'iso') return 1000;
  // A datetime column without a declared format: text is ISO (parsed to ms), numbers are unix seconds unless they are ms-sized.
  for (const c of cells) {
    if (typeof c === 'string' && Number.isNaN(Number(c))) return 1000;
    if (typeof c === 'number') return Math.abs(c) > 1e11 ? 1000 : 1;
  }
  return 1;
}

/**
 * Fits the time model. `groupOf[r]` is row r's entity (0 … keys.length−1), `keys` the entities'
 * cellKeys; rows whose time is missing take no part (they stay missing when sampled).
 */
export function fitEntityTime(params: EntityTimeParams, cells: readonly Cell[], meta: ColumnMeta, groupOf: Int32Array, keys: readonly string[]): EntityTimeState {
  const unitsPerSecond = unitsPerSecondOf(cells, meta);
  const unitScale = meta.type === 'datetime' ? unitsPerSecond : 1;
  const gap = params.sessionGap * unitScale;
  const perEntity: number[][] = keys.map(() => []);
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < cells.length; r++) {
    const x = cellToNumber(cells[r] ?? null, meta);
    if (x === null || !Number.isFinite(x)) continue;
    perEntity[groupOf[r]!]!.push(x);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const inSession: number[] = [];
  const between: number[] = [];
  const sizes: number[] = [];
  const firsts: number[] = [];
  const sessions: Record<string, EntitySessions> = {};
  perEntity.forEach((ts, e) => {
    if (ts.length === 0) return;
    ts.sort((a, b) => a - b);
    const starts = [ts[0]!];
    const counts = [1];
    for (let i = 1; i < ts.length; i++) {
      const d = ts[i]! - ts[i - 1]!;
      if (d > gap) {
        between.push(d);
        starts.push(ts[i]!);
        counts.push(1);
      } else {
        inSession.push(d);
        counts[counts.length - 1]!++;
      }
    }
    sizes.push(...counts);
    firsts.push(ts[0]!);
    if (params.source === 'copy') sessions[keys[e]!] = { starts, sizes: counts };
  });
  if (!Number.isFinite(min)) min = max = 0;
  return {
    params,
    meta,
    format: learnValueFormat(cells, meta),
    unitsPerSecond,
    unitScale,
    min,
    max,
    inSessionGaps: quantiles(inSession),
    // No entity with two sessions: a second session starts one session gap later.
    betweenSessionGaps: between.length > 0 ? quantiles(between) : [gap * 1.000001],
    sessionSizes: quantiles(sizes),
    firstStarts: quantiles(firsts),
    ...(params.source === 'copy' ? { sessions } : {}),
  };
}

/** m times (model units, ascending) for one entity; `rng` is the entity's own stream. */
export function entityTimes(state: EntityTimeState, entity: string, m: number, rng: Rng): number[] {
  const out: number[] = [];
  const real = state.sessions?.[entity];
  const session = (start: number, rows: number) => {
    let t = start;
    for (let i = 0; i < rows; i++) {
      if (i > 0) t += Math.max(0, drawQuantile(state.inSessionGaps, rng));
      out.push(Math.min(state.max, t));
    }
  };
  if (state.params.source === 'copy' && real && real.starts.length > 0) {
    // Rows to sessions in proportion to the real session sizes (one seeded draw per row).
    const total = real.sizes.reduce((s, x) => s + x, 0);
    const rows = new Array<number>(real.starts.length).fill(0);
    for (let i = 0; i < m; i++) {
      let u = rng.next() * total;
      let j = 0;
      while (j < rows.length - 1 && u >= real.sizes[j]!) u -= real.sizes[j++]!;
      rows[j]!++;
    }
    const jitter = state.params.startJitter * state.unitScale;
    real.starts.forEach((s, j) => {
      if (rows[j]! === 0) return;
      // The draw is made for every session with rows, so a jitter of 0 changes no stream.
      const shift = (2 * rng.next() - 1) * jitter;
      session(Math.min(state.max, Math.max(state.min, s + shift)), rows[j]!);
    });
  } else {
    // 'synthetic' (or an entity the model has no sessions for): sessions from the pooled distributions only.
    let start = drawQuantile(state.firstStarts, rng);
    while (out.length < m) {
      const size = Math.max(1, Math.round(drawQuantile(state.sessionSizes, rng)));
      session(start, Math.min(size, m - out.length));
      start = out[out.length - 1]! + drawQuantile(state.betweenSessionGaps, rng);
      if (start > state.max) start = drawQuantile(state.firstStarts, rng);
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * New time cells for one entity's rows: `rowTimes` are the row model's times for those rows (null:
 * missing, kept missing); the sampled session times go to the rows in the order of `rowTimes`
 * (ties: row order).
 */
export function assignEntityTimes(state: EntityTimeState, entity: string, rowTimes: readonly (number | null)[], rng: Rng): Cell[] {
  const present: number[] = [];
  rowTimes.forEach((t, i) => {
    if (t !== null && Number.isFinite(t)) present.push(i);
  });
  present.sort((a, b) => rowTimes[a]! - rowTimes[b]! || a - b);
  const times = entityTimes(state, entity, present.length, rng);
  const out = new Array<Cell>(rowTimes.length).fill(null);
  present.forEach((row, rank) => {
    out[row] = formatValue(times[rank]!, state.format);
  });
  return out;
}
