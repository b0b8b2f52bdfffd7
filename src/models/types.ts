import type { CancelToken, ProgressReporter, Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';

/** Validation hook given by the caller: models never import the evaluator themselves. */
export type ValidateFn = (model: Recommender) => { score: number; metrics: Record<string, number> };

/** A random transformation of one item sequence (e.g. an augmentation pipeline), drawing only from `rng`. */
export type SequenceTransform = (seq: Int32Array, rng: Rng) => Int32Array;

/**
 * Augmentation inside the trainer, drawn afresh every epoch from the epoch's RNG stream (so a
 * resumed run continues exactly). Only training sequences ever pass through the transforms.
 */
export interface TrainingAugmentation {
  /** Identifies the transforms in checkpoint fingerprints and result files (e.g. the pipeline JSON). */
  readonly key: string;
  /**
   * Each epoch, each example's training sequence is replaced with this probability by a fresh
   * transform of it (then shifted into inputs/targets as usual). Must emit real items only.
   */
  readonly online?: {
    readonly transform: SequenceTransform;
    readonly probability: number;
    /**
     * Corrupt the inputs only: the view (which must keep the sequence's length, e.g. mask or
     * substitute) becomes the inputs while every target stays the real next item — a denoising
     * objective, so labels are never made up. The view may hold the mask token numItems+1 when
     * the network has a mask embedding.
     */
    readonly keepTargets?: boolean;
  };
  /**
   * CL4SRec (Xie et al. 2022): two transformed views of every training input; an InfoNCE loss
   * (in-batch negatives, dot-product similarity / temperature) between their final hidden states
   * is added to the next-item loss with this weight. Views may hold the mask token numItems+1.
   */
  readonly contrastive?: { readonly transform: SequenceTransform; readonly weight: number; readonly temperature: number };
}

export interface FitOptions {
  readonly seed: number;
  /** Maximum epochs for trained models (ignored by Popularity/ItemKNN). */
  readonly epochs?: number;
  /** Early stopping: epochs without a new best validation score. */
  readonly patience?: number;
  readonly validate?: ValidateFn;
  /** Online augmentation / contrastive views (sequence networks only). */
  readonly augmentation?: TrainingAugmentation;
  /**
   * One loss weight per user of the training view (≥ 0, finite, not all 0): importance weights of
   * aligned augmented samples, 1 for real ones. Sequence networks only; others ignore weights.
   */
  readonly sampleWeights?: Float32Array;
  /**
   * A warm-up phase (sequence networks only), e.g. pre-training on synthetic users: for the first
   * `epochs` epochs only the training-view users with `during[u] = 1` train, afterwards only those
   * with `after[u] = 1`. The warm-up epochs are not validated and cannot be the best epoch;
   * patience counts from its end.
   */
  readonly warmup?: TrainingWarmup;
  /** Directory for per-epoch checkpoints; a run that finds one there resumes from it. */
  readonly checkpointDir?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** After each trained epoch, with that epoch's weights in the model (trained sequence networks only). */
  readonly afterEpoch?: (epoch: number, logs: readonly EpochLog[]) => void;
}

/** See FitOptions.warmup: one 0/1 flag per training-view user for each phase. */
export interface TrainingWarmup {
  readonly epochs: number;
  readonly during: Uint8Array;
  readonly after: Uint8Array;
}

export interface EpochLog {
  readonly epoch: number;
  readonly loss: number;
  /** Mean InfoNCE term (before its weight) when a contrastive objective is on. */
  readonly contrastiveLoss?: number;
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
