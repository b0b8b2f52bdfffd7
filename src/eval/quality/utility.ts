/**
 * Utility: train on synthetic, test on real (TSTR), as a fraction of train on real, test on real
 * (TRTR). Any model plugs in through `fitAndScore(trainTable) → metric on the real test set`; a
 * built-in task (logistic regression predicting one column, AUC) makes a report work without one.
 */
import { ConfigError, DataValidationError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { Cell, Table, TableMetadata } from '../../data/table.ts';
import { selectRows } from '../../data/table.ts';
import { fitLogistic, predictLogistic, rocAuc } from '../../stats/index.ts';
import { categoryKey, reportColumns } from './columns.ts';
import { sampleRows } from './detection.ts';
import { fitTableEncoder } from './encode.ts';
import { metricValue, type Direction, type MetricValue } from './metric.ts';

export interface TaskMetric {
  readonly name: string;
  readonly direction: Direction;
  readonly range: readonly [number | null, number | null];
  /** Score of an uninformed model (AUC: 0.5), when the metric has one. */
  readonly chance?: number;
}

export interface UtilityTask {
  readonly metric: TaskMetric;
  /** Fits a model on `train` and returns its metric on the task's real held-out test data. */
  readonly fitAndScore: (train: Table) => number;
  /** One line saying what the task is, for the report. */
  readonly description: string;
}

export interface TstrResult {
  readonly task: string;
  readonly metric: TaskMetric;
  /** TRTR: the task metric of the model trained on the real training table. */
  readonly trainOnReal: number;
  /** TSTR: the task metric of the model trained on the synthetic table. */
  readonly trainOnSynthetic: number;
  readonly fraction: MetricValue;
  readonly fractionAboveChance?: MetricValue;
}

export function trainOnSyntheticTestOnReal(realTrain: Table, synthetic: Table, task: UtilityTask): TstrResult {
  const trtr = task.fitAndScore(realTrain);
  const tstr = task.fitAndScore(synthetic);
  if (!Number.isFinite(trtr) || !Number.isFinite(tstr)) throw new DataValidationError(`utility task '${task.description}' returned a non-finite score (real ${trtr}, synthetic ${tstr})`);
  const higher = task.metric.direction === 'higher';
  const fraction = higher ? ratio(tstr, trtr) : ratio(trtr, tstr);
  const chance = task.metric.chance;
  const base = {
    task: task.description,
    metric: task.metric,
    trainOnReal: trtr,
    trainOnSynthetic: tstr,
    fraction: metricValue('TSTRFraction', fraction),
  };
  if (chance === undefined) return base;
  const gainReal = higher ? trtr - chance : chance - trtr;
  const gainSyn = higher ? tstr - chance : chance - tstr;
  return { ...base, fractionAboveChance: metricValue('TSTRFractionAboveChance', ratio(gainSyn, gainReal)) };
}

function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : 0;
  return a / b;
}

export interface LogisticTaskOptions {
  readonly target: string;
  /** The positive class: cells equal to this value (default `true` for boolean targets). */
  readonly positive?: Cell;
  /** Or: numeric cells ≥ this are positive (e.g. rating ≥ 4). */
  readonly atLeast?: number;
  /** Real held-out test rows the model is scored on. */
  readonly test: Table;
  /** Fixes the feature encoding (one-hot levels, means) so every training table is encoded alike; the real training table. */
  readonly reference: Table;
  readonly metadata: TableMetadata;
  readonly seed: number;
  /** Training rows used (a seeded sample above this; IRLS costs rows × features²). Default 20000. */
  readonly maxTrainRows?: number;
  /** One-hot levels per categorical feature (default 20). */
  readonly maxLevels?: number;
  readonly l2?: number;
}

/** Binary labels of a target column; null where the target is missing. */
export function binaryLabels(table: Table, opts: Pick<LogisticTaskOptions, 'target' | 'positive' | 'atLeast'>, metadata: TableMetadata): (0 | 1 | null)[] {
  const meta = metadata.columns[opts.target];
  if (meta === undefined) throw new ConfigError(`utility target '${opts.target}' has no metadata`, { field: 'target' });
  const cells = table.data[opts.target];
  if (cells === undefined) throw new DataValidationError(`utility target '${opts.target}' is not a column of the table`, { field: opts.target });
  if (opts.atLeast !== undefined && opts.positive !== undefined) throw new ConfigError(`utility task: give 'positive' or 'atLeast', not both`, { field: 'atLeast' });
  let positive = opts.positive;
  if (opts.atLeast === undefined && positive === undefined) {
    if (meta.type !== 'boolean') throw new ConfigError(`utility task: target '${opts.target}' is ${meta.type}; say which value is positive ('positive') or give a threshold ('atLeast')`, { field: 'positive' });
    positive = true;
  }
  const posKey = positive === undefined ? '' : categoryKey(positive);
  return cells.map((c) => {
    if (c === null || c === undefined) return null;
    if (opts.atLeast !== undefined) {
      const v = typeof c === 'number' ? c : Number(c);
      if (!Number.isFinite(v)) throw new DataValidationError(`utility target '${opts.target}': '${String(c)}' is not a number`, { field: opts.target });
      return v >= opts.atLeast ? 1 : 0;
    }
    return categoryKey(c) === posKey ? 1 : 0;
  });
}

/** The built-in utility task: L2 logistic regression on the encoded non-id, non-target columns; ROC AUC on the real test set. */
export function logisticTask(opts: LogisticTaskOptions): UtilityTask {
  const maxTrainRows = opts.maxTrainRows ?? 20000;
  const l2 = opts.l2 ?? 1e-3;
  const featureCols = reportColumns(opts.metadata, opts.reference, [{ label: 'test', table: opts.test }]).filter((c) => c.name !== opts.target);
  const encoder = fitTableEncoder(opts.reference, [opts.test], featureCols, { maxLevels: opts.maxLevels ?? 20, squares: false });
  const testLabels = binaryLabels(opts.test, opts, opts.metadata);
  const testRows = testLabels.flatMap((l, i) => (l === null ? [] : [i]));
  const testTable = selectRows(opts.test, testRows);
  const Xtest = encoder.encode(testTable, 'test');
  const ytest = Uint8Array.from(testRows, (i) => testLabels[i]!);
  const d = encoder.width;
  return {
    metric: { name: 'AUC', direction: 'higher', range: [0, 1], chance: 0.5 },
    description: `logistic regression predicting ${opts.target} ${opts.atLeast !== undefined ? `≥ ${opts.atLeast}` : `= ${String(opts.positive ?? true)}`} from ${d} encoded features (ids excluded), AUC on ${testRows.length} real test rows`,
    fitAndScore(train: Table): number {
      for (const c of featureCols) if (!(c.name in train.data)) throw new DataValidationError(`utility training table lacks column '${c.name}'`, { field: c.name });
      const labels = binaryLabels(train, opts, opts.metadata);
      const labelled = labels.flatMap((l, i) => (l === null ? [] : [i]));
      const rng = new Rng(opts.seed).split('utility-train-rows');
      const pick = sampleRows(labelled.length, Math.min(maxTrainRows, labelled.length), rng);
      const rows = Array.from(pick, (k) => labelled[k]!);
      const X = encoder.encode(selectRows(train, rows), 'training');
      const y = Uint8Array.from(rows, (i) => labels[i]!);
      const model = fitLogistic(X, rows.length, d, y, new Float64Array(rows.length).fill(1), { l2 });
      const scores = new Float64Array(testRows.length);
      for (let i = 0; i < testRows.length; i++) scores[i] = predictLogistic(model, Xtest, i * d);
      return rocAuc(scores, ytest);
    },
  };
}
