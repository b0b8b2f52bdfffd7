import type { CancelToken, ProgressReporter } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';

/** Validation hook given by the caller: models never import the evaluator themselves. */
export type ValidateFn = (model: Recommender) => { score: number; metrics: Record<string, number> };

export interface FitOptions {
  readonly seed: number;
  /** Maximum epochs for trained models (ignored by Popularity/ItemKNN). */
  readonly epochs?: number;
  /** Early stopping: epochs without a new best validation score. */
  readonly patience?: number;
  readonly validate?: ValidateFn;
  /** Directory for per-epoch checkpoints; a run that finds one there resumes from it. */
  readonly checkpointDir?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface EpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly valid?: Record<string, number>;
}

export interface FitReport {
  readonly epochs: readonly EpochLog[];
  readonly bestEpoch: number;
  readonly seconds: number;
  /** True when training resumed from a checkpoint. */
  readonly resumed: boolean;
}

/**
 * The recommender contract. `scoreAll` returns a row-major matrix of histories.length ×
 * (numItems + 1) scores; column 0 is padding and is ignored by the evaluator.
 */
export interface Recommender {
  readonly name: string;
  /**
   * True for models with nothing to select on validation (Popularity, ItemKNN): before test the
   * evaluator refits them on the test histories, i.e. training + validation interactions. Models
   * selected on validation (early stopping) keep their weights; validation items are only input.
   */
  readonly refitBeforeTest: boolean;
  fit(train: TrainView, options: FitOptions): Promise<FitReport>;
  scoreAll(histories: readonly Int32Array[]): Float32Array;
  save(dir: string): void;
  load(dir: string): void;
}
