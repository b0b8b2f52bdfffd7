/**
 * Rare categories held to their training rate at sampling.
 *
 * A category seen in 1 of 80,000 training rows is, for any sampler that draws rows independently,
 * absent from a same-size sample about a third of the time (Poisson(1) at zero) and produced three
 * or more times in another eight percent — and a neural synthesizer smooths its softmax, so it
 * usually over- or under-produces such values by several times (CTGAN wrote 6 rows of a 1-row genre
 * on ml-100k; TVAE none in one fit of three). Rates of common categories are left to the model; a
 * category rarer than `share` of the training rows gets a quota for the n sampled rows: its
 * training share × n, rounded stochastically (so its expected count is exactly the training rate).
 *
 * finalizeSample uses a quota in three steps: candidate rows that would take a rare category past
 * its quota are rejected, the unconditioned draw stops with room left for the rows still missing,
 * and each missing category is then asked for through conditional sampling (native for CTGAN,
 * rejection for the others), within a budget. What the budget could not find is reported, and the
 * rest of the rows are drawn unconditioned.
 *
 * Only categorical and boolean columns with at most MAX_HELD_CATEGORIES values are held (not id
 * columns, whose values are entities); category counts are recorded at fit (GuardState.counts).
 * Models whose guard has no counts — saved before counts existed, or fitted under differential
 * privacy, where exact counts would be a release outside the guarantee — sample without quotas.
 */
import type { Rng } from '../core/index.ts';
import { cellKey, type Cell, type Table, type TableMetadata } from '../data/index.ts';

/** The default share below which a category is held to its training rate (the rare-category metric's threshold). */
export const DEFAULT_RARE_CATEGORY_SHARE = 0.01;
/**
 * Columns with more distinct values are not held: with thousands of categories nearly every value
 * is "rare", the quotas would decide most rows, and filling them one condition at a time costs a
 * draw per value (a 1.4 M-value column made a 5,000-row sample take minutes).
 */
export const MAX_HELD_CATEGORIES = 1000;

/** A category held to its training rate, with its quota and the rows taken so far. */
export interface HeldCategory {
  readonly column: string;
  readonly value: Cell;
  readonly share: number;
  target: number;
  count: number;
  /** Set when conditional sampling could not reach the target within its budget. */
  short: boolean;
}

export interface RareQuotaReport {
  /** The rare categories held (share below `share` of the training rows). */
  readonly held: number;
  readonly share: number;
  /** Held categories that conditional sampling could not bring to their quota. */
  readonly short: readonly { readonly column: string; readonly value: Cell; readonly target: number; readonly produced: number }[];
  /** Candidate rows rejected because they would take a rare category past its quota. */
  readonly rejected: number;
  /** Rows drawn by conditional sampling to fill quotas. */
  readonly filled: number;
}

/** The cell a cellKey was made from (cellKey is type-tagged, so the inverse is exact). */
function cellFromKey(key: string): Cell {
  if (key === 'bt') return true;
  if (key === 'bf') return false;
  if (key.startsWith('n')) return Number(key.slice(1));
  return key.slice(1);
}

export class RareCategoryQuota {
  private readonly byColumn = new Map<string, Map<string, HeldCategory>>();
  private readonly order: HeldCategory[] = [];
  rejected = 0;
  filled = 0;
  /** Rows still owed to held categories that are not given up (kept as a count: checked per candidate). */
  private owed = 0;

  private constructor(readonly share: number) {}

  /**
   * Quotas for n rows from the training counts (column → counts aligned with `values`), or null when
   * no category is rare or no counts were recorded.
   */
  static create(
    values: Readonly<Record<string, readonly string[]>>,
    counts: Readonly<Record<string, readonly number[]>> | undefined,
    metadata: TableMetadata,
    n: number,
    share: number,
    rng: Rng,
  ): RareCategoryQuota | null {
    if (counts === undefined || share <= 0 || n === 0) return null;
    const quota = new RareCategoryQuota(share);
    for (const column of Object.keys(counts).sort()) {
      // Categories only: an id column's values are entities, not categories, and stay the model's.
      const type = metadata.columns[column]?.type;
      if ((type !== 'categorical' && type !== 'boolean') || values[column]!.length > MAX_HELD_CATEGORIES) continue;
      const c = counts[column]!;
      const total = c.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const held = new Map<string, HeldCategory>();
      const r = rng.split(column);
      values[column]!.forEach((key, k) => {
        const p = c[k]! / total;
        // Missing values are not a category: their rate is the model's missingness, not a quota's.
        if (p >= share || key === cellKey(null)) return;
        // Stochastic rounding: the expected quota is exactly n·p.
        const expected = n * p;
        const target = Math.floor(expected) + (r.next() < expected - Math.floor(expected) ? 1 : 0);
        const entry: HeldCategory = { column, value: cellFromKey(key), share: p, target, count: 0, short: false };
        held.set(key, entry);
        quota.order.push(entry);
        quota.owed += target;
      });
      if (held.size) quota.byColumn.set(column, held);
    }
    return quota.order.length ? quota : null;
  }

  /** The held categories row i of t carries (one lookup per held column; reuse it for the checks below). */
  entriesOf(t: Table, i: number): HeldCategory[] {
    const entries: HeldCategory[] = [];
    for (const [column, held] of this.byColumn) {
      const h = held.get(cellKey(t.data[column]![i] ?? null));
      if (h !== undefined) entries.push(h);
    }
    return entries;
  }

  /** Whether a row carrying these held categories stays within every quota. */
  admits(entries: readonly HeldCategory[]): boolean {
    return entries.every((h) => h.count < h.target);
  }

  /** Whether a row carrying these held categories pays one still below its quota. */
  pays(entries: readonly HeldCategory[]): boolean {
    return entries.some((h) => !h.short && h.count < h.target);
  }

  /** Counts an accepted row carrying these held categories. */
  take(entries: readonly HeldCategory[]): void {
    for (const h of entries) {
      if (h.count < h.target) this.owed--;
      h.count++;
    }
  }

  /** Rows still owed to held categories (not yet given up). */
  missing(): number {
    return this.owed;
  }

  /** Held categories below their quota, in a fixed order (column, then training order). */
  deficits(): readonly HeldCategory[] {
    return this.order.filter((h) => !h.short && h.count < h.target);
  }

  /** Marks a category whose quota conditional sampling could not fill: no more rows are owed to it. */
  giveUp(h: HeldCategory): void {
    if (h.short) return;
    h.short = true;
    this.owed -= Math.max(0, h.target - h.count);
  }

  report(): RareQuotaReport {
    return {
      held: this.order.length,
      share: this.share,
      short: this.order.filter((h) => h.short).map((h) => ({ column: h.column, value: h.value, target: h.target, produced: h.count })),
      rejected: this.rejected,
      filled: this.filled,
    };
  }
}
