/**
 * The search ranker contract: a query → product relevance model, trained on judged query groups and
 * scoring the products of one query at a time. Same shape as every model family: fit / score /
 * save / load, seeded, deterministic (same seed + data ⇒ identical scores).
 */
import type { CancelToken, ProgressReporter } from '../../core/index.ts';
import type { LabelScale, Product, QueryGroup } from '../../data/search/types.ts';

/** What a ranker is trained with. Validation groups are for early stopping / selection only. */
export interface RankerFitInput {
  /** Training query groups (real, or real + augmented). */
  readonly train: readonly QueryGroup[];
  /** Validation groups (never augmented, never used for fitting weights). */
  readonly valid?: readonly QueryGroup[];
  /** The catalogue: product text for every id a group references. */
  readonly products: ReadonlyMap<string, Product>;
  readonly labelScale: LabelScale;
  readonly seed: number;
  /** Per-epoch / per-round checkpoints; a fit that finds one there resumes from it. */
  readonly checkpointDir?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/** The products of one query to score (labels are not given). */
export interface RankerQuery {
  readonly query: string;
  readonly productIds: readonly string[];
}

export interface SearchRanker {
  readonly name: string;
  fit(input: RankerFitInput): Promise<void>;
  /**
   * One score per product id, higher = more relevant. Rankers that predict the label scale
   * (for RMSE) return values on that scale; `predictsLabels` says so.
   */
  score(query: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array;
  /** True when scores are predictions on the dataset's label scale (RMSE is meaningful). */
  readonly predictsLabels: boolean;
  /** Serialises everything score() needs (JSON text). */
  save(): string;
}
