import type { CancelToken, ProgressReporter } from '../../core/index.ts';
import type { Table, TableMetadata } from '../../data/index.ts';

export interface CtrFitOptions {
  readonly seed: number;
  /** Column types of the training table (id columns are embedded, numericals bucketed). */
  readonly metadata: TableMetadata;
  /** The 0/1 (or boolean) label column; every other column is a feature. */
  readonly label: string;
  /** Maximum epochs (default: the model's config). */
  readonly epochs?: number;
  /** Early stopping: epochs without a new best validation AUC (default: the model's config). */
  readonly patience?: number;
  /** Real validation rows: early stopping and the choice of the returned weights use only these. */
  readonly validation?: Table;
  /** Directory for per-epoch checkpoints; a fit that finds one there with the same fingerprint resumes from it. */
  readonly checkpointDir?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface CtrEpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly validAuc?: number;
  readonly validLogLoss?: number;
}

export interface CtrFitReport {
  readonly epochs: readonly CtrEpochLog[];
  /** Epoch whose weights the model keeps (best validation AUC; the last epoch without validation). */
  readonly bestEpoch: number;
  readonly bestValidAuc: number | null;
  readonly seconds: number;
  readonly trainRows: number;
}

/**
 * The CTR model contract: a binary classifier over a feature table. `predict` returns P(label = 1)
 * per row. save/load use a directory (config + encoder JSON, weights in the nn parameter format);
 * a loaded model predicts exactly what the saved one did.
 */
export interface CtrModel {
  readonly name: string;
  fit(train: Table, options: CtrFitOptions): Promise<CtrFitReport>;
  predict(table: Table): Float32Array;
  save(dir: string): void;
  load(dir: string): void;
}
