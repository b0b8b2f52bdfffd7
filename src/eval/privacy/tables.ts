/**
 * Privacy report for a synthetic table: exact copies of training rows, distance to the closest
 * training record against a real-holdout baseline, and a distance-based membership-inference
 * attack. `train` is what the synthesizer was fitted on; `holdout` is real data it never saw.
 */
import { Rng } from '../../core/rng.ts';
import type { ProgressReporter } from '../../core/progress.ts';
import type { Cell, Table, TableMetadata } from '../../data/table.ts';
import { binCounts, rocAuc, summarize } from '../../stats/index.ts';
import { categoryKey, reportColumns } from '../quality/columns.ts';
import { sampleRows } from '../quality/detection.ts';
import { metricValue, type MetricValue } from '../quality/metric.ts';
import { stepTimer } from '../quality/timing.ts';
import { fitDistanceSpace, nearestRecords, type EncodedRecords } from './distance.ts';

export interface DistanceSummary {
  readonly p5: number;
  readonly median: number;
  readonly mean: number;
}

export interface ExactCopies {
  /** Synthetic rows identical (on every measured column) to some training row. */
  readonly count: number;
  readonly share: MetricValue;
  /** Distinct training rows that were copied at least once. */
  readonly distinctTrainingRowsCopied: number;
  /** The same count for the real holdout: duplicates that occur naturally in the data. */
  readonly holdoutBaseline: { readonly count: number; readonly share: MetricValue };
}

export interface DcrResult {
  readonly syntheticToTrain: DistanceSummary;
  readonly holdoutToTrain: DistanceSummary;
  readonly syntheticMedian: MetricValue;
  readonly shareCloserThanHoldoutP5: MetricValue;
  readonly medianRatio: MetricValue;
  /**
   * Every distance binned: shares of synthetic and of holdout records per equal-width bin over
   * [0, the largest distance of either], so a page can draw the two distributions over each other.
   */
  readonly histogram: DcrHistogram;
}

export interface DcrHistogram {
  /** Bin edges (bins + 1 values). */
  readonly edges: readonly number[];
  /** Share of synthetic records per bin (sums to 1). */
  readonly synthetic: readonly number[];
  /** Share of holdout records per bin (sums to 1). */
  readonly holdout: readonly number[];
}

const DCR_BINS = 25;

export interface MembershipInference {
  readonly auc: MetricValue;
  readonly members: number;
  readonly nonMembers: number;
  readonly attack: string;
}

/** A synthetic row next to its nearest training row, for a person to judge what "close" means. */
export interface NearestExample {
  /** closest: among the synthetic rows nearest to a training row (the riskiest); random: a seeded sample. */
  readonly why: 'closest' | 'random';
  readonly distance: number;
  readonly synthetic: readonly Cell[];
  readonly nearest: readonly Cell[];
}

export interface TablePrivacyReport {
  readonly kind: 'table-privacy';
  readonly rows: { readonly train: number; readonly holdout: number; readonly synthetic: number };
  readonly distance: { readonly name: 'gower'; readonly numericColumns: readonly string[]; readonly categoricalColumns: readonly string[]; readonly description: string };
  readonly exactCopies: ExactCopies;
  readonly dcr: DcrResult;
  readonly membershipInference: MembershipInference;
  /** Synthetic rows beside their nearest training rows (measured columns, in `columns` order). */
  readonly nearestExamples: { readonly columns: readonly string[]; readonly rows: readonly NearestExample[] };
  readonly seed: number;
  /** Only with `includeTimings` (timings would make the report differ between identical runs). */
  readonly seconds?: Readonly<Record<string, number>>;
}

export interface TablePrivacyOptions {
  readonly seed: number;
  /** Columns to measure (default: every column of `train` that has metadata). */
  readonly columns?: readonly string[];
  /** Members and non-members drawn for the attack, each (default 20000). */
  readonly maxAttackRows?: number;
  readonly includeTimings?: boolean;
}

const GOWER_DESCRIPTION =
  'Gower distance: mean over columns of |a − b| / training range (capped at 1) for numerical/datetime columns and 0/1 mismatch for categorical, boolean and id columns; missing matches only missing';

/** `progress` gets the report's six stages done so far as a `step` (the nearest-row searches dominate). */
export function privacyReport(train: Table, holdout: Table, synthetic: Table, metadata: TableMetadata, options: TablePrivacyOptions, progress?: ProgressReporter): TablePrivacyReport {
  const { seconds, timed: timedStep } = stepTimer();
  let stagesDone = 0;
  const timed = <T>(name: string, f: () => T): T => {
    const out = timedStep(name, f);
    progress?.step?.('privacy report: stages', ++stagesDone, 6);
    return out;
  };
  const cols = reportColumns(
    metadata,
    train,
    [
      { label: 'holdout', table: holdout },
      { label: 'synthetic', table: synthetic },
    ],
    options.columns,
  );
  const names = cols.map((c) => c.name);
  const exactCopies = timed('exactCopies', () => countExactCopies(train, holdout, synthetic, names));

  const space = timed('fitSpace', () => fitDistanceSpace(train, metadata, names));
  const [trainEnc, holdoutEnc, synEnc] = timed('encode', () => [space.encode(train, 'training'), space.encode(holdout, 'holdout'), space.encode(synthetic, 'synthetic')] as const);
  const synNearest = timed('dcrSynthetic', () => nearestRecords(synEnc, trainEnc, space.width));
  const synToTrain = synNearest.distance;
  const holdoutToTrain = timed('dcrHoldout', () => nearestRecords(holdoutEnc, trainEnc, space.width).distance);
  const dcr = dcrResult(synToTrain, holdoutToTrain);

  const membershipInference = timed('membershipInference', () => {
    const rng = new Rng(options.seed).split('membership-inference');
    const k = Math.min(train.rowCount, holdout.rowCount, options.maxAttackRows ?? 20000);
    const members = subsetRecords(trainEnc, sampleRows(train.rowCount, k, rng.split('members')));
    const nonMembers = subsetRecords(holdoutEnc, sampleRows(holdout.rowCount, k, rng.split('non-members')));
    return distanceAttack(nearestRecords(members, synEnc, space.width).distance, nearestRecords(nonMembers, synEnc, space.width).distance, 'nearest synthetic row (Gower)');
  });

  const report: TablePrivacyReport = {
    kind: 'table-privacy',
    rows: { train: train.rowCount, holdout: holdout.rowCount, synthetic: synthetic.rowCount },
    distance: { name: 'gower', numericColumns: space.numericColumns, categoricalColumns: space.categoricalColumns, description: GOWER_DESCRIPTION },
    exactCopies,
    dcr,
    membershipInference,
    nearestExamples: { columns: names, rows: nearestExamples(train, synthetic, names, synNearest, new Rng(options.seed).split('nearest-examples')) },
    seed: options.seed,
  };
  return options.includeTimings ? { ...report, seconds } : report;
}

/** The 5 synthetic rows closest to a training row and 5 seeded others, each with that training row. */
function nearestExamples(train: Table, synthetic: Table, columns: readonly string[], nearest: { distance: Float64Array; index: Int32Array }, rng: Rng): NearestExample[] {
  const row = (t: Table, i: number): Cell[] => columns.map((c) => t.data[c]![i] ?? null);
  return pickNearestExamples(nearest.distance, rng).map(({ index: i, why }) => ({ why, distance: nearest.distance[i]!, synthetic: row(synthetic, i), nearest: nearest.index[i]! >= 0 ? row(train, nearest.index[i]!) : [] }));
}

/**
 * Which synthetic records a person should look at: the `each` closest to any training record
 * (ties by index) — the ones to check for memorisation — then `each` seeded others.
 */
export function pickNearestExamples(distance: Float64Array, rng: Rng, each = 5): { index: number; why: 'closest' | 'random' }[] {
  const n = distance.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => distance[a]! - distance[b]! || a - b);
  const closest = order.slice(0, Math.min(each, n));
  const taken = new Set(closest);
  const rest = order.filter((i) => !taken.has(i));
  const random = Array.from(sampleRows(rest.length, Math.min(each, rest.length), rng), (k) => rest[k]!).sort((a, b) => a - b);
  return [...closest.map((index) => ({ index, why: 'closest' as const })), ...random.map((index) => ({ index, why: 'random' as const }))];
}

/** Row identity over the measured columns; numbers and their string forms compare equal, as in the fidelity report. */
function rowKeys(t: Table, columns: readonly string[]): string[] {
  const cols = columns.map((c) => t.data[c]!);
  const out = new Array<string>(t.rowCount);
  for (let i = 0; i < t.rowCount; i++) out[i] = cols.map((c) => categoryKey(c[i] ?? null)).join('\u0001');
  return out;
}

export function countExactCopies(train: Table, holdout: Table, synthetic: Table, columns: readonly string[]): ExactCopies {
  const trainKeys = new Set(rowKeys(train, columns));
  const copied = new Set<string>();
  let count = 0;
  for (const k of rowKeys(synthetic, columns))
    if (trainKeys.has(k)) {
      count++;
      copied.add(k);
    }
  let holdoutCount = 0;
  for (const k of rowKeys(holdout, columns)) if (trainKeys.has(k)) holdoutCount++;
  return {
    count,
    share: metricValue('ExactCopyShare', synthetic.rowCount ? count / synthetic.rowCount : 0),
    distinctTrainingRowsCopied: copied.size,
    holdoutBaseline: { count: holdoutCount, share: metricValue('ExactCopyShare', holdout.rowCount ? holdoutCount / holdout.rowCount : 0) },
  };
}

/** DCR summaries and the comparisons against the holdout baseline (shared with the sequence report). */
export function dcrResult(synToTrain: Float64Array, holdoutToTrain: Float64Array): DcrResult {
  const syn = summarize(synToTrain);
  const hold = summarize(holdoutToTrain);
  let closer = 0;
  for (let i = 0; i < synToTrain.length; i++) if (synToTrain[i]! < hold.p5) closer++;
  return {
    syntheticToTrain: syn,
    holdoutToTrain: hold,
    syntheticMedian: metricValue('DCR', syn.median),
    shareCloserThanHoldoutP5: metricValue('ShareCloserThanHoldoutP5', synToTrain.length ? closer / synToTrain.length : 0),
    medianRatio: metricValue('DCRMedianRatio', hold.median > 0 ? syn.median / hold.median : syn.median > 0 ? 1 : 0),
    histogram: dcrHistogram(synToTrain, holdoutToTrain),
  };
}

function dcrHistogram(synToTrain: Float64Array, holdoutToTrain: Float64Array): DcrHistogram {
  let hi = 0;
  for (const xs of [synToTrain, holdoutToTrain]) for (let i = 0; i < xs.length; i++) if (xs[i]! > hi) hi = xs[i]!;
  if (hi <= 0) hi = 1;
  const shares = (xs: Float64Array): number[] => binCounts(xs, DCR_BINS, 0, hi).map((b) => (xs.length ? b.count / xs.length : 0));
  return { edges: Array.from({ length: DCR_BINS + 1 }, (_, i) => (hi * i) / DCR_BINS), synthetic: shares(synToTrain), holdout: shares(holdoutToTrain) };
}

/** AUC of score = −distance to the nearest synthetic record, members (label 1) vs non-members. */
export function distanceAttack(memberDistances: Float64Array, nonMemberDistances: Float64Array, neighbour: string): MembershipInference {
  const m = memberDistances.length;
  const n = nonMemberDistances.length;
  const scores = new Float64Array(m + n);
  const labels = new Uint8Array(m + n);
  for (let i = 0; i < m; i++) {
    scores[i] = -memberDistances[i]!;
    labels[i] = 1;
  }
  for (let i = 0; i < n; i++) scores[m + i] = -nonMemberDistances[i]!;
  return {
    auc: metricValue('MembershipInferenceAUC', rocAuc(scores, labels)),
    members: m,
    nonMembers: n,
    attack: `distance attack: score = −distance to the ${neighbour}; members = training records, non-members = real holdout records (equal numbers)`,
  };
}

function subsetRecords(r: EncodedRecords, rows: Int32Array): EncodedRecords {
  const pick = <T extends Float64Array | Int32Array>(a: T): T => {
    const out = new (a.constructor as { new (n: number): T })(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]!]!;
    return out;
  };
  return { n: rows.length, numeric: r.numeric.map(pick), categorical: r.categorical.map(pick) };
}
