/**
 * A generator of large synthetic interaction logs for out-of-core benchmarks: power-law item
 * popularity, power-law user activity, repeat clicks, and sessions (bursts of events separated by
 * long gaps). It streams CSV (`user,item,timestamp`) to disk in ~1 MiB writes, so a 100 M-row log
 * costs no more memory than a 1 M-row one (the item CDF aside: 8 bytes per item).
 *
 * Determinism: user u draws only from `new Rng(seed).split(u)`, so the file is a pure function of
 * (preset, rows, seed) — byte-identical for a seed, whatever the write buffering.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';

/**
 * Parameters of a log. The first block is fitted to a real dataset (see LOG_PRESETS and
 * docs/decisions/out-of-core.md for how); the session block is assumed, because neither Beauty.txt
 * nor Taobao.txt carries timestamps.
 */
export interface LogPreset {
  readonly name: string;
  /** Shortest user sequence (the dataset's k-core floor). */
  readonly minLength: number;
  readonly meanLength: number;
  readonly maxLength: number;
  /** b in length ∝ rank^-b over users sorted by activity (least squares on log-log, ranks 10..users/2). */
  readonly userActivityExponent: number;
  /** s in count ∝ rank^-s over items sorted by popularity (same fit). */
  readonly itemZipfExponent: number;
  /** Distinct items per interaction (items / interactions). */
  readonly itemsPerInteraction: number;
  /** Share of interactions that repeat an item the user already clicked. */
  readonly repeatShare: number;
  /** Mean events per session (geometric). Assumed. */
  readonly meanSessionLength: number;
  /** Mean seconds between events inside a session (exponential). Assumed. */
  readonly meanInSessionGapSeconds: number;
  /** Mean seconds between sessions of one user (exponential). Assumed. */
  readonly meanSessionGapSeconds: number;
}

/**
 * Fitted on 2026-12-06 from ../shared/data/{beauty/Beauty.txt, taobao/Taobao.txt}
 * (Beauty: 22,363 users, 12,101 items, 198,502 interactions; Taobao: 47,703 users, 53,324 items,
 * 637,165 interactions). Command and raw numbers: docs/decisions/out-of-core.md.
 */
export const LOG_PRESETS = {
  beauty: {
    name: 'beauty',
    minLength: 5,
    meanLength: 8.876,
    maxLength: 204,
    userActivityExponent: 0.482,
    itemZipfExponent: 0.703,
    itemsPerInteraction: 0.061,
    repeatShare: 0,
    meanSessionLength: 3,
    meanInSessionGapSeconds: 120,
    meanSessionGapSeconds: 14 * 86_400,
  },
  taobao: {
    name: 'taobao',
    minLength: 3,
    meanLength: 13.357,
    maxLength: 168,
    userActivityExponent: 0.291,
    itemZipfExponent: 0.615,
    itemsPerInteraction: 0.0837,
    repeatShare: 0.0375,
    meanSessionLength: 6,
    meanInSessionGapSeconds: 45,
    meanSessionGapSeconds: 2 * 86_400,
  },
} as const satisfies Record<string, LogPreset>;

export type LogPresetName = keyof typeof LOG_PRESETS;

export interface GenerateLogOptions {
  readonly preset: LogPreset;
  /** Interactions to write (the last user's sequence is cut to hit it exactly). */
  readonly rows: number;
  readonly seed: number;
  /**
   * Share of extra malformed rows mixed in (bad ids, bad timestamps, wrong column counts,
   * duplicates), for row-accounting tests and benchmarks. Default 0.
   */
  readonly badRowShare?: number;
  /** Unix seconds of the earliest session start. Default 2014-01-01. */
  readonly startSeconds?: number;
}

export interface GeneratedLog {
  readonly path: string;
  readonly rows: number;
  readonly badRows: number;
  readonly users: number;
  readonly items: number;
  readonly bytes: number;
}

const WRITE_CHUNK = 1 << 20;
/** Sessions start within this span after `startSeconds` (two years). */
const START_SPAN_SECONDS = 2 * 365 * 86_400;

function checkOptions(o: GenerateLogOptions): void {
  if (!Number.isSafeInteger(o.rows) || o.rows < 1) throw new ConfigError(`'rows' must be an integer >= 1, got ${o.rows}`, { field: 'rows' });
  if (!Number.isFinite(o.seed)) throw new ConfigError(`'seed' must be a finite number, got ${o.seed}`, { field: 'seed' });
  const bad = o.badRowShare ?? 0;
  if (!(bad >= 0 && bad < 1)) throw new ConfigError(`'badRowShare' must be in [0, 1), got ${bad}`, { field: 'badRowShare' });
  const p = o.preset;
  if (!(p.minLength >= 1 && p.maxLength >= p.minLength && p.meanLength >= p.minLength)) throw new ConfigError('preset lengths need 1 <= minLength <= meanLength <= maxLength', { field: 'preset' });
  if (!(p.userActivityExponent >= 0 && p.userActivityExponent < 1)) throw new ConfigError('preset userActivityExponent must be in [0, 1)', { field: 'preset.userActivityExponent' });
  if (!(p.itemsPerInteraction > 0 && p.itemsPerInteraction <= 1)) throw new ConfigError('preset itemsPerInteraction must be in (0, 1]', { field: 'preset.itemsPerInteraction' });
}

/** Cumulative Zipf weights over ranks 1..n, normalised to end at 1. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) cdf[r] = acc += (r + 1) ** -s;
  for (let r = 0; r < n; r++) cdf[r] = cdf[r]! / acc;
  return cdf;
}

/** The first rank whose cumulative weight exceeds u (binary search). */
function drawRank(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/**
 * Item ids are ranks scrambled by a multiplication modulo the item count (a bijection when the
 * multiplier is coprime to it), so popular items are not simply the small ids.
 */
function scrambler(n: number): (rank: number) => number {
  let a = 2_654_435_761 % n || 1;
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  while (gcd(a, n) !== 1) a++;
  return (rank) => Number((BigInt(rank) * BigInt(a)) % BigInt(n)) + 1;
}

/**
 * Writes the log as CSV with a header `user,item,timestamp` to `path` (through a temp file renamed
 * into place, so a killed run leaves no half file). Rows are grouped by user, each user's rows in
 * time order.
 */
export function generateInteractionLog(path: string, o: GenerateLogOptions): GeneratedLog {
  checkOptions(o);
  const p = o.preset;
  const numItems = Math.max(1, Math.round(o.rows * p.itemsPerInteraction));
  const cdf = zipfCdf(numItems, p.itemZipfExponent);
  const scramble = scrambler(numItems);
  const root = new Rng(o.seed);
  const badShare = o.badRowShare ?? 0;
  const start = o.startSeconds ?? 1_388_534_400;
  // length = xmin · U^-b has mean xmin / (1 - b); the floor at minLength raises it a little.
  const b = p.userActivityExponent;
  const xmin = p.meanLength * (1 - b);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let buf = 'user,item,timestamp\n';
  let bytes = 0;
  const flush = (force: boolean): void => {
    if (buf.length < WRITE_CHUNK && !force) return;
    bytes += writeSync(fd, buf);
    buf = '';
  };
  let rows = 0;
  let badRows = 0;
  let users = 0;
  try {
    while (rows < o.rows) {
      const rng = root.split(users);
      const userId = users + 1;
      users++;
      const len = Math.min(o.rows - rows, Math.min(p.maxLength, Math.max(p.minLength, Math.round(xmin * (1 - rng.next()) ** -b))));
      const history: number[] = [];
      let t = start + Math.floor(rng.next() * START_SPAN_SECONDS);
      let left = 0;
      for (let j = 0; j < len; j++) {
        if (left === 0) {
          if (j > 0) t += Math.ceil(exponential(rng, p.meanSessionGapSeconds));
          left = 1 + Math.floor(exponential(rng, p.meanSessionLength - 1));
        } else t += 1 + Math.floor(exponential(rng, p.meanInSessionGapSeconds));
        left--;
        const item = history.length > 0 && rng.next() < p.repeatShare ? history[rng.int(history.length)]! : scramble(drawRank(cdf, rng.next()) - 0);
        history.push(item);
        buf += `${userId},${item},${t}\n`;
        rows++;
        if (badShare > 0 && rng.next() < badShare) {
          buf += badRow(rng, userId, item, t);
          badRows++;
        }
      }
      flush(false);
    }
    flush(true);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  return { path, rows: rows + badRows, badRows, users, items: numItems, bytes };
}

/** One malformed row of a kind the readers must reject (each kind maps to one rejection code). */
function badRow(rng: Rng, user: number, item: number, t: number): string {
  switch (rng.int(7)) {
    case 0:
      return `${user},${item},${t}\n`; // duplicate-row
    case 1:
      return `,${item},${t}\n`; // missing-id (user)
    case 2:
      return `${user},it em,${t}\n`; // bad-id (whitespace in a token)
    case 3:
      return `${user},${item},yesterday\n`; // bad-timestamp
    case 4:
      return `${user},${item},-${t}\n`; // negative-timestamp
    case 5:
      return `${user},${item}\n`; // column-count
    default:
      return '\n'; // empty-line
  }
}

/** The summary statistics a LogPreset's fitted block comes from (see LOG_PRESETS). */
export interface LogStatistics {
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly minLength: number;
  readonly medianLength: number;
  readonly meanLength: number;
  readonly maxLength: number;
  readonly itemsPerInteraction: number;
  /** Share of interactions on the top 1 % of items. */
  readonly top1PercentItemShare: number;
  readonly itemZipfExponent: number;
  readonly userActivityExponent: number;
  readonly repeatShare: number;
}

/** -slope of least squares of log(value) on log(rank) over ranks 10..n/2 (the head and the tail of ones bend the line). */
function rankExponent(sortedDesc: readonly number[]): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 10; r < sortedDesc.length / 2; r++)
    if (sortedDesc[r - 1]! > 0) {
      xs.push(Math.log(r));
      ys.push(Math.log(sortedDesc[r - 1]!));
    }
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return -sxy / sxx;
}

/** Measures a dataset's sequences (dense item ids 1..numItems) for fitting a LogPreset. */
export function measureLogStatistics(sequences: readonly Int32Array[], numItems: number): LogStatistics {
  const lens = sequences.map((s) => s.length).sort((a, b) => a - b);
  const interactions = lens.reduce((a, b) => a + b, 0);
  const pop = new Float64Array(numItems + 1);
  let repeats = 0;
  for (const s of sequences) {
    const seen = new Set<number>();
    for (const x of s) {
      pop[x] = pop[x]! + 1;
      if (seen.has(x)) repeats++;
      seen.add(x);
    }
  }
  const items = Array.from(pop.subarray(1)).sort((a, b) => b - a);
  const top = items.slice(0, Math.ceil(items.length / 100)).reduce((a, b) => a + b, 0);
  return {
    users: lens.length,
    items: numItems,
    interactions,
    minLength: lens[0] ?? 0,
    medianLength: lens[lens.length >> 1] ?? 0,
    meanLength: interactions / Math.max(1, lens.length),
    maxLength: lens[lens.length - 1] ?? 0,
    itemsPerInteraction: numItems / Math.max(1, interactions),
    top1PercentItemShare: top / Math.max(1, interactions),
    itemZipfExponent: rankExponent(items),
    userActivityExponent: rankExponent(lens.slice().reverse()),
    repeatShare: repeats / Math.max(1, interactions),
  };
}
