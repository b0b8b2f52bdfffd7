/**
 * The fidelity report for a synthetic table and for synthetic sequences, and the utility (TSTR)
 * report: plain JSON, every number tagged with its metric, direction and range; the same inputs
 * and seed give the same report (timings only when asked for).
 */
import { rareCategoryCoverage, type RareCategoryReport } from './rare.ts';
import { z } from 'zod';
import { Rng } from '../../core/rng.ts';
import type { ProgressReporter } from '../../core/progress.ts';
import type { Cell, Table, TableMetadata } from '../../data/table.ts';
import { selectRows } from '../../data/table.ts';
import { reportColumns } from './columns.ts';
import { detectionAuc, sampleRows, type DetectionResult } from './detection.ts';
import { fitTableEncoder, fitTreeEncoder } from './encode.ts';
import { metricValue, type MetricValue } from './metric.ts';
import { detectionSchema, parseOptions, seedSchema } from './options.ts';
import { isSkippedPair, pairTrend, prepareColumn, type ColumnPairTrend, type SkippedPair } from './pairs.ts';
import { maxItemId, sequenceDetection, sequenceFidelity, SEQUENCE_DETECTION_FEATURES, type SequenceFidelity } from './sequences.ts';
import { columnShape, type ColumnShape } from './shapes.ts';
import { stepTimer } from './timing.ts';
import { logisticTask, trainOnSyntheticTestOnReal, type TstrResult } from './utility.ts';

export type TableDetection = DetectionResult & { readonly excludedColumns: readonly { column: string; reason: string }[] };

export interface TableQualityReport {
  readonly kind: 'table-quality';
  readonly rows: { readonly real: number; readonly synthetic: number };
  readonly columnShapes: { readonly score: MetricValue; readonly columns: readonly ColumnShape[] };
  readonly columnPairs: {
    /** null when no pair could be scored. */
    readonly score: MetricValue | null;
    readonly quantileBins: number;
    readonly pairs: readonly ColumnPairTrend[];
    readonly skipped: readonly SkippedPair[];
    readonly skippedColumns: readonly { column: string; reason: string }[];
    /** Mean |ΔCramér's V| over categorical–categorical pairs; null when there are fewer than two such columns. */
    readonly associationError: MetricValue | null;
  };
  readonly overall: MetricValue;
  /** Rare categories of the real rows (share < 1 %) and whether the synthetic rows keep their rate. */
  readonly rareCategories: RareCategoryReport;
  readonly detection: TableDetection | { readonly skipped: string };
  readonly seed: number;
  readonly seconds?: Readonly<Record<string, number>>;
}

const qualitySchema = z
  .object({
    seed: seedSchema,
    columns: z.array(z.string()).optional(),
    idColumns: z.enum(['profile', 'identity', 'skip']).default('profile'),
    quantileBins: z.number().int().min(2).max(1000).default(10),
    detection: z.union([z.literal(false), detectionSchema]).default(detectionSchema.parse({})),
    includeTimings: z.boolean().default(false),
  })
  .strict();

export type QualityReportOptions = z.input<typeof qualitySchema>;

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** `progress` gets the column pairs compared so far as a `step` (the slow part on wide tables). */
export function qualityReport(real: Table, synthetic: Table, metadata: TableMetadata, options: QualityReportOptions, progress?: ProgressReporter): TableQualityReport {
  const opts = parseOptions(qualitySchema, options, 'qualityReport');
  const { seconds, timed } = stepTimer();
  const cols = reportColumns(metadata, real, [{ label: 'synthetic', table: synthetic }], opts.columns);

  const shapes = timed('columnShapes', () => cols.map((c) => columnShape(real, synthetic, c, opts.idColumns)));
  const shapeScores = shapes.flatMap((s) => (s.score ? [s.score.value] : []));

  const { pairs, skipped, skippedColumns } = timed('columnPairs', () => {
    const skippedColumns = cols.filter((c) => c.meta.type === 'id').map((c) => ({ column: c.name, reason: 'id column: its pairs are identities, not trends' }));
    const prepared = cols.filter((c) => c.meta.type !== 'id').map((c) => prepareColumn(real, synthetic, c, opts.quantileBins));
    const pairs: ColumnPairTrend[] = [];
    const skipped: SkippedPair[] = [];
    const total = (prepared.length * (prepared.length - 1)) / 2;
    for (let i = 0; i < prepared.length; i++) {
      for (let j = i + 1; j < prepared.length; j++) {
        const p = pairTrend(prepared[i]!, prepared[j]!);
        if (isSkippedPair(p)) skipped.push(p);
        else pairs.push(p);
      }
      if (total > 0) progress?.step?.('quality report: column pairs', pairs.length + skipped.length, total);
    }
    return { pairs, skipped, skippedColumns };
  });
  const pairScore = pairs.length ? metricValue('ColumnPairTrends', mean(pairs.map((p) => p.score.value))) : null;
  const associations = pairs.flatMap((p) => (p.cramersV ? [Math.abs(p.cramersV.real - p.cramersV.synthetic)] : []));
  const associationError = associations.length ? metricValue('AssociationError', mean(associations)) : null;
  const shapeScore = metricValue('ColumnShapes', mean(shapeScores));
  const overall = metricValue('Overall', pairScore ? (shapeScore.value + pairScore.value) / 2 : shapeScore.value);

  const detection = opts.detection === false ? { skipped: 'detection: false' } : timed('detection', () => tableDetection(real, synthetic, cols, opts.seed, opts.detection as Exclude<typeof opts.detection, false>));

  const report: TableQualityReport = {
    kind: 'table-quality',
    rows: { real: real.rowCount, synthetic: synthetic.rowCount },
    columnShapes: { score: shapeScore, columns: shapes },
    columnPairs: { score: pairScore, quantileBins: opts.quantileBins, pairs, skipped, skippedColumns, associationError },
    overall,
    rareCategories: timed('rareCategories', () => rareCategoryCoverage(real, synthetic, cols)),
    detection,
    seed: opts.seed,
  };
  return opts.includeTimings ? { ...report, seconds } : report;
}

function tableDetection(
  real: Table,
  synthetic: Table,
  cols: ReturnType<typeof reportColumns>,
  seed: number,
  d: z.infer<typeof detectionSchema>,
): TableDetection | { skipped: string } {
  const rng = new Rng(seed).split('detection-rows');
  const k = Math.min(real.rowCount, synthetic.rowCount, d.maxRowsPerClass);
  if (k < 2) return { skipped: `detection needs at least 2 rows on each side (real ${real.rowCount}, synthetic ${synthetic.rowCount})` };
  const r = selectRows(real, sampleRows(real.rowCount, k, rng.split('real')));
  const s = selectRows(synthetic, sampleRows(synthetic.rowCount, k, rng.split('synthetic')));
  // Encoded on the real sample: the synthetic rows are then described in the real data's terms.
  const encoder = fitTableEncoder(r, [s], cols, { maxLevels: d.maxLevels, squares: d.squares });
  if (encoder.width === 0) return { skipped: 'no column can be a detection feature (only id columns)' };
  const treeEncoder = fitTreeEncoder(r, cols);
  const trees = { real: treeEncoder.encode(r, 'real'), synthetic: treeEncoder.encode(s, 'synthetic'), width: treeEncoder.width, columns: treeEncoder.columns };
  const result = detectionAuc(encoder.encode(r, 'real'), k, encoder.encode(s, 'synthetic'), k, encoder.width, trees, { seed, folds: d.folds, maxRowsPerClass: d.maxRowsPerClass, l2: d.l2, trees: d.trees });
  return { ...result, excludedColumns: encoder.excluded };
}

// ---------------------------------------------------------------------------------------------
// Sequences

export interface SequenceQualityReport extends SequenceFidelity {
  readonly kind: 'sequence-quality';
  readonly numItems: number;
  readonly detection: (DetectionResult & { readonly featureNames: readonly string[] }) | { readonly skipped: string };
  readonly seed: number;
  readonly seconds?: Readonly<Record<string, number>>;
}

const sequenceSchema = z
  .object({
    seed: seedSchema,
    numItems: z.number().int().min(1).optional(),
    headFraction: z.number().gt(0).lt(1).default(0.2),
    detection: z.union([z.literal(false), detectionSchema.omit({ maxLevels: true, squares: true })]).default(detectionSchema.omit({ maxLevels: true, squares: true }).parse({})),
    includeTimings: z.boolean().default(false),
  })
  .strict();

export type SequenceQualityOptions = z.input<typeof sequenceSchema>;

export function sequenceQualityReport(real: readonly Int32Array[], synthetic: readonly Int32Array[], options: SequenceQualityOptions): SequenceQualityReport {
  const opts = parseOptions(sequenceSchema, options, 'sequenceQualityReport');
  const { seconds, timed } = stepTimer();
  const numItems = opts.numItems ?? maxItemId(real, synthetic);
  const fidelity = timed('fidelity', () => sequenceFidelity(real, synthetic, numItems, opts.headFraction));
  let detection: SequenceQualityReport['detection'];
  if (opts.detection === false) detection = { skipped: 'detection: false' };
  else if (Math.min(real.length, synthetic.length) < 2) detection = { skipped: `detection needs at least 2 sequences on each side (real ${real.length}, synthetic ${synthetic.length})` };
  else {
    const d = opts.detection;
    detection = timed('detection', () => ({
      ...sequenceDetection(real, synthetic, numItems, { seed: opts.seed, folds: d.folds, maxRowsPerClass: d.maxRowsPerClass, l2: d.l2, trees: d.trees, headFraction: opts.headFraction }),
      featureNames: [...SEQUENCE_DETECTION_FEATURES, ...SEQUENCE_DETECTION_FEATURES.map((f) => `(${f})^2 standardized`)],
    }));
  }
  const report: SequenceQualityReport = { kind: 'sequence-quality', numItems, ...fidelity, detection, seed: opts.seed };
  return opts.includeTimings ? { ...report, seconds } : report;
}

// ---------------------------------------------------------------------------------------------
// Utility

export interface UtilityReport extends TstrResult {
  readonly kind: 'table-utility';
  readonly rows: { readonly realTrain: number; readonly synthetic: number; readonly realTest: number };
  readonly seed: number;
}

export interface UtilityReportOptions {
  readonly seed: number;
  /** Column the built-in logistic task predicts. */
  readonly target: string;
  /** Positive class value (default true for boolean targets) … */
  readonly positive?: Cell;
  /** … or numeric threshold: cells ≥ atLeast are positive. */
  readonly atLeast?: number;
  readonly maxTrainRows?: number;
  readonly maxLevels?: number;
  readonly l2?: number;
}

const utilitySchema = z
  .object({
    seed: seedSchema,
    target: z.string().min(1),
    positive: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    atLeast: z.number().optional(),
    maxTrainRows: z.number().int().min(10).optional(),
    maxLevels: z.number().int().min(1).max(1000).optional(),
    l2: z.number().min(0).optional(),
  })
  .strict();

/** TSTR / TRTR with the built-in logistic-regression task (AUC on `realTest`). For your own model, call trainOnSyntheticTestOnReal. */
export function utilityReport(realTrain: Table, synthetic: Table, realTest: Table, metadata: TableMetadata, options: UtilityReportOptions): UtilityReport {
  const opts = parseOptions(utilitySchema as z.ZodType<UtilityReportOptions>, options, 'utilityReport'); // zod leaves absent keys absent
  const task = logisticTask({ ...opts, test: realTest, reference: realTrain, metadata });
  return {
    kind: 'table-utility',
    rows: { realTrain: realTrain.rowCount, synthetic: synthetic.rowCount, realTest: realTest.rowCount },
    ...trainOnSyntheticTestOnReal(realTrain, synthetic, task),
    seed: opts.seed,
  };
}
