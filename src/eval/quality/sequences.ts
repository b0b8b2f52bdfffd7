/**
 * Fidelity of synthetic behaviour sequences (item-id lists, ids 1..numItems) against real ones:
 * length distribution, item popularity with its head/tail split, first-order transitions, item
 * coverage, and a detection AUC on per-sequence summary features.
 */
import { Rng } from '../../core/rng.ts';
import { detectionAuc, sampleRows, type DetectionResult, type DetectionTreeSettings } from './detection.ts';
import { metricValue, type MetricValue } from './metric.ts';
import { ksStatistic, quantileSorted, totalVariation, totalVariationMaps } from '../../stats/index.ts';

export const SEQUENCE_DETECTION_FEATURES: readonly string[] = [
  'log1p(length)',
  'mean log1p(item count)',
  'min log1p(item count)',
  'max log1p(item count)',
  'tail share',
  'seen transition share',
  'repeat share',
];

export interface SequenceStats {
  readonly sequences: number;
  readonly interactions: number;
  readonly meanLength: number;
  readonly medianLength: number;
}

export interface SequenceFidelity {
  readonly real: SequenceStats;
  readonly synthetic: SequenceStats;
  readonly length: { readonly tvComplement: MetricValue; readonly ksComplement: MetricValue };
  readonly itemPopularity: {
    readonly tvComplement: MetricValue;
    /** Head = the real data's most frequent ⌈headFraction · items seen⌉ items; share = their share of interactions. */
    readonly headItems: number;
    readonly headShareReal: number;
    readonly headShareSynthetic: number;
    readonly headShareSimilarity: MetricValue;
  };
  readonly transitions: {
    readonly tvComplement: MetricValue;
    readonly precision: MetricValue;
    readonly recall: MetricValue;
    readonly distinctReal: number;
    readonly distinctSynthetic: number;
  };
  readonly coverage: { readonly itemCoverage: MetricValue; readonly unknownItemShare: MetricValue };
  readonly overall: MetricValue;
  /**
   * The two distributions side by side, for a page to draw (a synthesis run folder holds the
   * synthetic histories, not the real ones): users per history length (every length either side
   * has), and interactions per item at log-spaced popularity ranks (each side sorted by its own counts).
   */
  readonly distributions: {
    readonly lengths: readonly { readonly length: number; readonly real: number; readonly synthetic: number }[];
    readonly popularity: readonly { readonly rank: number; readonly real: number; readonly synthetic: number }[];
  };
}

/** Ranks 1, 2, …, then growing by 25 % (log-spaced), up to `n`: where a popularity curve is sampled. */
export function logSpacedRanks(n: number): number[] {
  const ranks: number[] = [];
  for (let r = 1; r <= n; r = Math.max(r + 1, Math.round(r * 1.25))) ranks.push(r);
  return ranks;
}

function sortedCountsDesc(c: Float64Array): Float64Array {
  return c.filter((v) => v > 0).sort().reverse();
}

function stats(seqs: readonly Int32Array[]): SequenceStats {
  const lens = Float64Array.from(seqs, (s) => s.length).sort();
  let total = 0;
  for (const l of lens) total += l;
  return { sequences: seqs.length, interactions: total, meanLength: seqs.length ? total / seqs.length : 0, medianLength: seqs.length ? quantileSorted(lens, 0.5) : 0 };
}

export function maxItemId(...sets: (readonly Int32Array[])[]): number {
  let m = 0;
  for (const seqs of sets) for (const s of seqs) for (let i = 0; i < s.length; i++) if (s[i]! > m) m = s[i]!;
  return m;
}

export function itemCounts(seqs: readonly Int32Array[], numItems: number): Float64Array {
  const c = new Float64Array(numItems + 1);
  for (const s of seqs) for (let i = 0; i < s.length; i++) c[s[i]!]!++;
  return c;
}

/** Transition a→b keyed as a·(numItems+1)+b (exact below 2^53, i.e. for any realistic catalogue). */
export function transitionCounts(seqs: readonly Int32Array[], numItems: number): Map<number, number> {
  const m = new Map<number, number>();
  const base = numItems + 1;
  for (const s of seqs)
    for (let i = 1; i < s.length; i++) {
      const k = s[i - 1]! * base + s[i]!;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  return m;
}

/** Items sorted by real count (descending, ties by id); the first ⌈fraction · seen⌉ are the head. */
export function headItemSet(realCounts: Float64Array, fraction: number): Uint8Array {
  const seen: number[] = [];
  for (let i = 1; i < realCounts.length; i++) if (realCounts[i]! > 0) seen.push(i);
  seen.sort((a, b) => realCounts[b]! - realCounts[a]! || a - b);
  const head = new Uint8Array(realCounts.length);
  const k = Math.ceil(fraction * seen.length);
  for (let i = 0; i < k; i++) head[seen[i]!] = 1;
  return head;
}

export function sequenceFidelity(real: readonly Int32Array[], synthetic: readonly Int32Array[], numItems: number, headFraction: number): SequenceFidelity {
  const rs = stats(real);
  const ss = stats(synthetic);
  let maxLen = 0;
  for (const s of real) if (s.length > maxLen) maxLen = s.length;
  for (const s of synthetic) if (s.length > maxLen) maxLen = s.length;
  const lh = (seqs: readonly Int32Array[]): Float64Array => {
    const h = new Float64Array(maxLen + 1);
    for (const s of seqs) h[s.length]!++;
    return h;
  };
  const realLengths = lh(real);
  const syntheticLengths = lh(synthetic);
  const lengthTV = totalVariation(realLengths, syntheticLengths);
  const lengthKS = ksStatistic(Float64Array.from(real, (s) => s.length), Float64Array.from(synthetic, (s) => s.length));

  const rc = itemCounts(real, numItems);
  const sc = itemCounts(synthetic, numItems);
  const popTV = totalVariation(rc, sc);
  const head = headItemSet(rc, headFraction);
  let headItems = 0;
  let rHead = 0;
  let sHead = 0;
  let seenReal = 0;
  let covered = 0;
  let unknown = 0;
  for (let i = 0; i <= numItems; i++) {
    if (head[i]) {
      headItems++;
      rHead += rc[i]!;
      sHead += sc[i]!;
    }
    if (rc[i]! > 0) {
      seenReal++;
      if (sc[i]! > 0) covered++;
    } else unknown += sc[i]!;
  }
  const headShareReal = rs.interactions ? rHead / rs.interactions : 0;
  const headShareSynthetic = ss.interactions ? sHead / ss.interactions : 0;

  const rt = transitionCounts(real, numItems);
  const st = transitionCounts(synthetic, numItems);
  let synTotal = 0;
  let synSeen = 0;
  for (const [k, v] of st) {
    synTotal += v;
    if (rt.has(k)) synSeen += v;
  }
  let realTotal = 0;
  let realCovered = 0;
  for (const [k, v] of rt) {
    realTotal += v;
    if (st.has(k)) realCovered += v;
  }
  const transTV = totalVariationMaps(rt, st);
  const itemCoverage = seenReal ? covered / seenReal : 0;
  const lengths: { length: number; real: number; synthetic: number }[] = [];
  for (let l = 0; l <= maxLen; l++) if (realLengths[l]! > 0 || syntheticLengths[l]! > 0) lengths.push({ length: l, real: realLengths[l]!, synthetic: syntheticLengths[l]! });
  const realSorted = sortedCountsDesc(rc);
  const syntheticSorted = sortedCountsDesc(sc);
  const popularity = logSpacedRanks(Math.max(realSorted.length, syntheticSorted.length)).map((rank) => ({ rank, real: realSorted[rank - 1] ?? 0, synthetic: syntheticSorted[rank - 1] ?? 0 }));
  const parts = [1 - lengthTV, 1 - popTV, 1 - transTV, itemCoverage];
  return {
    real: rs,
    synthetic: ss,
    length: { tvComplement: metricValue('LengthTVComplement', 1 - lengthTV), ksComplement: metricValue('LengthKSComplement', 1 - lengthKS) },
    itemPopularity: {
      tvComplement: metricValue('ItemPopularityTVComplement', 1 - popTV),
      headItems,
      headShareReal,
      headShareSynthetic,
      headShareSimilarity: metricValue('HeadShareSimilarity', 1 - Math.abs(headShareReal - headShareSynthetic)),
    },
    transitions: {
      tvComplement: metricValue('TransitionTVComplement', 1 - transTV),
      precision: metricValue('TransitionPrecision', synTotal ? synSeen / synTotal : 0),
      recall: metricValue('TransitionRecall', realTotal ? realCovered / realTotal : 0),
      distinctReal: rt.size,
      distinctSynthetic: st.size,
    },
    coverage: {
      itemCoverage: metricValue('ItemCoverage', itemCoverage),
      unknownItemShare: metricValue('UnknownItemShare', ss.interactions ? unknown / ss.interactions : 0),
    },
    overall: metricValue('SequenceFidelity', parts.reduce((a, b) => a + b, 0) / parts.length),
    distributions: { lengths, popularity },
  };
}

export interface SequenceDetectionOptions {
  readonly seed: number;
  readonly folds: number;
  readonly maxRowsPerClass: number;
  readonly l2: number;
  readonly trees: DetectionTreeSettings;
  readonly headFraction: number;
}

/**
 * Detection AUC on per-sequence summary features. A real sequence's own items and transitions are
 * left out of the counts its features are computed from; otherwise every real transition is
 * "seen" by construction and the detector learns that, not a difference between the sets.
 */
export function sequenceDetection(real: readonly Int32Array[], synthetic: readonly Int32Array[], numItems: number, opts: SequenceDetectionOptions): DetectionResult {
  const rng = new Rng(opts.seed).split('sequence-detection-rows');
  const k = Math.min(real.length, synthetic.length, opts.maxRowsPerClass);
  const rIdx = sampleRows(real.length, k, rng.split('real'));
  const sIdx = sampleRows(synthetic.length, k, rng.split('synthetic'));
  const base = numItems + 1;
  const D0 = SEQUENCE_DETECTION_FEATURES.length;
  interface Counts {
    readonly pop: Float64Array;
    readonly trans: Map<number, number>;
    readonly head: Uint8Array;
  }
  const countsOf = (seqs: readonly Int32Array[]): Counts => {
    const pop = itemCounts(seqs, numItems);
    return { pop, trans: transitionCounts(seqs, numItems), head: headItemSet(pop, opts.headFraction) };
  };
  /** Features of s against `counts` less the items and transitions of `leaveOut` (if any). */
  const features = (s: Int32Array, counts: Counts, leaveOut: Int32Array | null, out: Float64Array, at: number): void => {
    const { pop, trans, head } = counts;
    const ownItems = new Map<number, number>();
    const ownTrans = new Map<number, number>();
    if (leaveOut) {
      for (let i = 0; i < leaveOut.length; i++) ownItems.set(leaveOut[i]!, (ownItems.get(leaveOut[i]!) ?? 0) + 1);
      for (let i = 1; i < leaveOut.length; i++) {
        const key = leaveOut[i - 1]! * base + leaveOut[i]!;
        ownTrans.set(key, (ownTrans.get(key) ?? 0) + 1);
      }
    }
    let sum = 0;
    let mn = Infinity;
    let mx = -Infinity;
    let tail = 0;
    for (let i = 0; i < s.length; i++) {
      const it = s[i]!;
      const c = Math.log1p(Math.max(0, (it < pop.length ? pop[it]! : 0) - (ownItems.get(it) ?? 0)));
      sum += c;
      if (c < mn) mn = c;
      if (c > mx) mx = c;
      if (!(it < head.length && head[it])) tail++;
    }
    let seen = 0;
    for (let i = 1; i < s.length; i++) {
      const key = s[i - 1]! * base + s[i]!;
      if ((trans.get(key) ?? 0) - (ownTrans.get(key) ?? 0) > 0) seen++;
    }
    const len = s.length;
    const distinct = new Set(s).size;
    out[at] = Math.log1p(len);
    out[at + 1] = len ? sum / len : 0;
    out[at + 2] = len ? mn : 0;
    out[at + 3] = len ? mx : 0;
    out[at + 4] = len ? tail / len : 0;
    out[at + 5] = len > 1 ? seen / (len - 1) : 0;
    out[at + 6] = len ? 1 - distinct / len : 0;
  };
  const raw = new Float64Array(2 * k * D0);
  const all = countsOf(real);
  for (let i = 0; i < k; i++) features(real[rIdx[i]!]!, all, real[rIdx[i]!]!, raw, i * D0);
  for (let i = 0; i < k; i++) features(synthetic[sIdx[i]!]!, all, null, raw, (k + i) * D0);
  const X = withSquares(raw, 2 * k, D0);
  const D = 2 * D0;
  // The trees get the summary features without their squares (a function of one feature gives a
  // tree no split it cannot make on the feature itself) and cross-fitted counts: the real
  // sequences are split by index parity into two halves; a real sequence is described by the
  // counts of the other half, a synthetic one by those of half i mod 2. Leave-one-out counts
  // (above) leave an exact-value artefact — a count at its full value can only come from a
  // synthetic sequence — which trees find and a linear score does not; with the halves both
  // sides meet the same two count tables, neither containing them. The linear features stay as
  // they were.
  const halves = [countsOf(real.filter((_, j) => j % 2 === 0)), countsOf(real.filter((_, j) => j % 2 === 1))] as const;
  const treeX = new Float64Array(2 * k * D0);
  for (let i = 0; i < k; i++) features(real[rIdx[i]!]!, halves[1 - (rIdx[i]! % 2)]!, null, treeX, i * D0);
  for (let i = 0; i < k; i++) features(synthetic[sIdx[i]!]!, halves[i % 2]!, null, treeX, (k + i) * D0);
  const trees = { real: treeX.subarray(0, k * D0), synthetic: treeX.subarray(k * D0), width: D0, columns: SEQUENCE_DETECTION_FEATURES };
  return detectionAuc(X.subarray(0, k * D), k, X.subarray(k * D), k, D, trees, opts);
}

/** Appends the square of each standardized feature (standardized over all rows) so spread differences are linear-visible. */
export function withSquares(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * 2 * d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X[i * d + j]! / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[i * d + j]! - mean) ** 2 / n;
    const sd = v > 0 ? Math.sqrt(v) : 1;
    for (let i = 0; i < n; i++) {
      const z = (X[i * d + j]! - mean) / sd;
      out[i * 2 * d + j] = X[i * d + j]!;
      out[i * 2 * d + d + j] = z * z;
    }
  }
  return out;
}
