/**
 * Privacy report for synthetic behaviour sequences: whole-sequence copies, n-gram overlap with
 * the training sequences, distance to the closest training sequence (Jaccard distance of item
 * sets) and a membership-inference attack, each against a real-holdout baseline. The holdout
 * must be real users the generator never saw (e.g. a user split made before fitting).
 */
import { Rng } from '../../core/rng.ts';
import { sampleRows } from '../quality/detection.ts';
import { metricValue, type MetricValue } from '../quality/metric.ts';
import { maxItemId } from '../quality/sequences.ts';
import { stepTimer } from '../quality/timing.ts';
import { dcrResult, distanceAttack, pickNearestExamples, type DcrResult, type MembershipInference } from './tables.ts';

export interface NGramOverlap {
  readonly n: number;
  /** Share of the synthetic n-grams (counted with multiplicity) that occur in the training sequences. */
  readonly synthetic: MetricValue;
  /** The same share for the real holdout: how much overlap real, unseen users have anyway. */
  readonly holdoutBaseline: MetricValue;
  readonly syntheticNGrams: number;
  readonly holdoutNGrams: number;
}

export interface SequencePrivacyReport {
  readonly kind: 'sequence-privacy';
  readonly sequences: { readonly train: number; readonly holdout: number; readonly synthetic: number };
  readonly exactCopies: {
    readonly count: number;
    readonly share: MetricValue;
    readonly holdoutBaseline: { readonly count: number; readonly share: MetricValue };
  };
  readonly ngrams: readonly NGramOverlap[];
  readonly distance: { readonly name: 'jaccard'; readonly description: string };
  readonly dcr: DcrResult;
  readonly membershipInference: MembershipInference;
  /**
   * Synthetic histories next to their nearest training history (Jaccard distance of item sets):
   * the closest five — to check for memorised users — then five seeded others. Items are the
   * dataset's own ids when `itemIds` is given, dense ids otherwise.
   */
  readonly nearestExamples: { readonly rows: readonly SequenceNearestExample[] };
  readonly seed: number;
  readonly seconds?: Readonly<Record<string, number>>;
}

export interface SequenceNearestExample {
  readonly why: 'closest' | 'random';
  readonly distance: number;
  readonly synthetic: readonly (string | number)[];
  /** The nearest training history (empty when none shares an item). */
  readonly nearest: readonly (string | number)[];
}

export interface SequencePrivacyOptions {
  readonly seed: number;
  /** n-gram lengths (default [3, 4]). */
  readonly ngrams?: readonly number[];
  /** Members and non-members drawn for the attack, each (default 20000). */
  readonly maxAttackRows?: number;
  readonly numItems?: number;
  /** The dataset's item ids by dense id, to show examples in the user's own ids. */
  readonly itemIds?: readonly string[];
  readonly includeTimings?: boolean;
}

export function sequencePrivacyReport(
  train: readonly Int32Array[],
  holdout: readonly Int32Array[],
  synthetic: readonly Int32Array[],
  options: SequencePrivacyOptions,
): SequencePrivacyReport {
  const { seconds, timed } = stepTimer();
  const numItems = options.numItems ?? maxItemId(train, holdout, synthetic);
  const exactCopies = timed('exactCopies', () => {
    const keys = new Set(train.map(sequenceKey));
    const count = synthetic.filter((s) => keys.has(sequenceKey(s))).length;
    const holdoutCount = holdout.filter((s) => keys.has(sequenceKey(s))).length;
    return {
      count,
      share: metricValue('ExactCopyShare', synthetic.length ? count / synthetic.length : 0),
      holdoutBaseline: { count: holdoutCount, share: metricValue('ExactCopyShare', holdout.length ? holdoutCount / holdout.length : 0) },
    };
  });
  const ngrams = timed('ngrams', () =>
    (options.ngrams ?? [3, 4]).map((n) => {
      const trainSet = ngramSet(train, n, numItems);
      const s = overlap(synthetic, n, numItems, trainSet);
      const h = overlap(holdout, n, numItems, trainSet);
      return {
        n,
        synthetic: metricValue('NGramOverlap', s.share),
        holdoutBaseline: metricValue('NGramOverlap', h.share),
        syntheticNGrams: s.total,
        holdoutNGrams: h.total,
      };
    }),
  );
  const trainIndex = timed('index', () => new ItemSetIndex(train, numItems));
  const synNearest = timed('dcrSynthetic', () => trainIndex.nearest(synthetic));
  const synToTrain = synNearest.distance;
  const holdoutToTrain = timed('dcrHoldout', () => trainIndex.nearestDistances(holdout));
  const membershipInference = timed('membershipInference', () => {
    const rng = new Rng(options.seed).split('membership-inference');
    const k = Math.min(train.length, holdout.length, options.maxAttackRows ?? 20000);
    const members = Array.from(sampleRows(train.length, k, rng.split('members')), (i) => train[i]!);
    const nonMembers = Array.from(sampleRows(holdout.length, k, rng.split('non-members')), (i) => holdout[i]!);
    const synIndex = new ItemSetIndex(synthetic, numItems);
    return distanceAttack(synIndex.nearestDistances(members), synIndex.nearestDistances(nonMembers), 'nearest synthetic sequence (Jaccard distance of item sets)');
  });
  const report: SequencePrivacyReport = {
    kind: 'sequence-privacy',
    sequences: { train: train.length, holdout: holdout.length, synthetic: synthetic.length },
    exactCopies,
    ngrams,
    distance: { name: 'jaccard', description: '1 − |A ∩ B| / |A ∪ B| of the two sequences\u2019 item sets (order and repeats ignored); two empty sequences are at distance 0' },
    dcr: dcrResult(synToTrain, holdoutToTrain),
    membershipInference,
    nearestExamples: { rows: sequenceExamples(train, synthetic, synNearest, options.itemIds, new Rng(options.seed).split('nearest-examples')) },
    seed: options.seed,
  };
  return options.includeTimings ? { ...report, seconds } : report;
}

function sequenceExamples(train: readonly Int32Array[], synthetic: readonly Int32Array[], nearest: { distance: Float64Array; index: Int32Array }, itemIds: readonly string[] | undefined, rng: Rng): SequenceNearestExample[] {
  const show = (s: Int32Array): (string | number)[] => Array.from(s, (i) => itemIds?.[i] ?? i);
  return pickNearestExamples(nearest.distance, rng).map(({ index: i, why }) => ({
    why,
    distance: nearest.distance[i]!,
    synthetic: show(synthetic[i]!),
    nearest: nearest.index[i]! >= 0 ? show(train[nearest.index[i]!]!) : [],
  }));
}

function sequenceKey(s: Int32Array): string {
  return s.join(',');
}

/**
 * n-gram keys: a base-(numItems+1) number while that stays below 2^53 (exact), a string beyond.
 */
function ngramKeyer(n: number, numItems: number): (s: Int32Array, at: number) => number | string {
  const base = numItems + 1;
  if (Math.pow(base, n) < Number.MAX_SAFE_INTEGER)
    return (s, at) => {
      let k = 0;
      for (let i = 0; i < n; i++) k = k * base + s[at + i]!;
      return k;
    };
  return (s, at) => s.subarray(at, at + n).join(',');
}

function ngramSet(seqs: readonly Int32Array[], n: number, numItems: number): Set<number | string> {
  const key = ngramKeyer(n, numItems);
  const set = new Set<number | string>();
  for (const s of seqs) for (let i = 0; i + n <= s.length; i++) set.add(key(s, i));
  return set;
}

function overlap(seqs: readonly Int32Array[], n: number, numItems: number, reference: Set<number | string>): { share: number; total: number } {
  const key = ngramKeyer(n, numItems);
  let total = 0;
  let seen = 0;
  for (const s of seqs)
    for (let i = 0; i + n <= s.length; i++) {
      total++;
      if (reference.has(key(s, i))) seen++;
    }
  return { share: total ? seen / total : 0, total };
}

/**
 * Exact nearest item set by Jaccard distance through an inverted index: only reference sequences
 * sharing an item can be closer than distance 1, and their intersection sizes are counted from
 * the posting lists of the query's distinct items.
 */
export class ItemSetIndex {
  private readonly start: Int32Array;
  private readonly rows: Int32Array;
  private readonly sizes: Int32Array;
  private readonly inter: Int32Array;
  private readonly touched: Int32Array;
  private readonly hasEmpty: boolean;

  constructor(reference: readonly Int32Array[], numItems: number) {
    const sets = reference.map((s) => Int32Array.from(new Set(s)).sort());
    this.sizes = Int32Array.from(sets, (s) => s.length);
    this.hasEmpty = sets.some((s) => s.length === 0);
    const start = new Int32Array(numItems + 2);
    for (const s of sets) for (const it of s) if (it >= 0 && it <= numItems) start[it + 1]!++;
    for (let i = 0; i <= numItems; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, numItems + 1);
    const rows = new Int32Array(start[numItems + 1]!);
    sets.forEach((s, r) => {
      for (const it of s) if (it >= 0 && it <= numItems) rows[fill[it]!++] = r;
    });
    this.start = start;
    this.rows = rows;
    this.inter = new Int32Array(reference.length);
    this.touched = new Int32Array(reference.length);
  }

  nearestDistances(queries: readonly Int32Array[]): Float64Array {
    return this.nearest(queries).distance;
  }

  /** Per query: the distance to its nearest reference sequence and that sequence's index (−1 when none shares an item). */
  nearest(queries: readonly Int32Array[]): { distance: Float64Array; index: Int32Array } {
    const out = new Float64Array(queries.length);
    const at = new Int32Array(queries.length).fill(-1);
    const maxItem = this.start.length - 2;
    queries.forEach((q, qi) => {
      const items = Int32Array.from(new Set(q));
      if (items.length === 0) {
        out[qi] = this.hasEmpty ? 0 : 1;
        return;
      }
      let nt = 0;
      for (const it of items) {
        if (it < 0 || it > maxItem) continue;
        for (let k = this.start[it]!; k < this.start[it + 1]!; k++) {
          const r = this.rows[k]!;
          if (this.inter[r] === 0) this.touched[nt++] = r;
          this.inter[r]!++;
        }
      }
      let best = 1;
      let bestRow = -1;
      for (let k = 0; k < nt; k++) {
        const r = this.touched[k]!;
        const i = this.inter[r]!;
        const d = 1 - i / (items.length + this.sizes[r]! - i);
        // Ties go to the lowest index, so the reported neighbour does not depend on posting order.
        if (d < best || (d === best && r < bestRow)) {
          best = d;
          bestRow = r;
        }
        this.inter[r] = 0;
      }
      out[qi] = best;
      at[qi] = bestRow;
    });
    return { distance: out, index: at };
  }
}
