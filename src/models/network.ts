import type { Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import type { Parameter, Tensor } from '../nn/index.ts';

/**
 * One training batch for next-item sequence models, built by the trainer from the TrainView.
 * Row-major [size, maxLen] arrays, left-padded with 0 (the CoSeRec/SASRec convention): position
 * t of `inputs` predicts `targets[t]`; a target of 0 is padding and carries no loss.
 */
export interface TrainingBatch {
  readonly size: number;
  readonly maxLen: number;
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  /** One sampled negative per position (0 where the target is padding); present when the network asks for them. */
  readonly negatives?: Int32Array;
  /** One loss weight per example row (importance weights of aligned augmented samples); absent = all 1. */
  readonly weights?: Float32Array;
}

/**
 * A trainable next-item network (SASRec, GRU4Rec). The trainer owns batching and the optimiser
 * (early stopping and checkpoints come from the shared epoch loop, nn/training.ts); the network
 * owns its parameters, its loss and its scoring.
 */
export interface SequenceNetwork {
  /** Registry name, e.g. 'sasrec'. */
  readonly kind: string;
  /** Hyper-parameters as plain JSON (saved next to the weights, checked on load). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly parameters: readonly Parameter[];
  /** Longest history the network reads; longer histories are truncated to their last maxLen items. */
  readonly maxLen: number;
  /** True when batchLoss needs `batch.negatives` (BCE with sampled negatives). */
  readonly needsNegatives: boolean;
  /** Scalar loss of one batch in training mode (dropout on, drawing only from `rng`). */
  batchLoss(batch: TrainingBatch, rng: Rng): Tensor;
  /**
   * Eval mode, no gradient: scores of every item (numItems + 1 columns, column 0 = padding) as the
   * next item after each history. Row-major [histories.length, numItems + 1].
   */
  scoreNext(histories: readonly Int32Array[]): Float32Array;
  /**
   * Training mode (dropout from `rng`): the final hidden state of each non-empty history, [n, d],
   * for contrastive objectives. Absent on networks that do not support them.
   */
  representations?(histories: readonly Int32Array[], rng: Rng): Tensor;
  /**
   * Called once before training with the training view, for networks that learn something from the
   * data besides their weights (a popularity sampler's item counts). Absent on those that do not.
   */
  observeTraining?(train: TrainView): void;
  /** True when the input embedding has a row for the mask token numItems+1. */
  readonly acceptsMaskToken?: boolean;
}
