import type { CancelToken, ProgressReporter } from '../core/index.ts';
import type { Cell, Table, TableMetadata } from '../data/index.ts';
import type { RareQuotaReport } from './rare-quota.ts';

/**
 * The synthesizer contract (tables). Like SDV's, but every random step — fitting included — is
 * driven by the seed, and save/load is a portable file format: a loaded model samples exactly
 * what the saved one would for the same seed.
 */
export interface SynthFitOptions {
  readonly seed: number;
  /** Epochs for trained synthesizers (GAN/VAE); ignored by statistical ones. */
  readonly epochs?: number;
  /** Checked on the training table at fit (a violated constraint is a DataValidationError) and enforced on every sample. */
  readonly constraints?: readonly Constraint[];
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** Trained synthesizers (CTGAN, TVAE): a per-epoch checkpoint goes here; a fit that finds one with the same fingerprint resumes from it. */
  readonly checkpointDir?: string;
}

/** Exact values required of sampled rows, e.g. { gender: 'F', age: 25 }. */
export type Conditions = Readonly<Record<string, Cell>>;

/** Constraints every sampled row must satisfy; they compose with conditions. */
export type Constraint =
  | { readonly kind: 'range'; readonly column: string; readonly min?: number; readonly max?: number }
  | { readonly kind: 'inequality'; readonly low: string; readonly high: string; readonly strict?: boolean }
  /** Only the value combinations of these columns seen in the training data may appear. */
  | { readonly kind: 'fixed-combinations'; readonly columns: readonly string[] };

export interface SampleOptions {
  readonly seed?: number;
  readonly conditions?: Conditions;
  /** Reject-sampling budget: give up (ConfigError) after this many candidate rows per requested row. */
  readonly maxTriesPerRow?: number;
  /**
   * Categories rarer than this share of the training rows are held to their training rate
   * (rare-quota.ts; default 0.01, 0 = off). Ignored with conditions, and for models without
   * recorded counts (saved before them, or fitted under differential privacy).
   */
  readonly rareCategoryShare?: number;
}

export interface SampleReport {
  readonly requested: number;
  readonly produced: number;
  /** 'native' when the model samples the condition directly, 'reject' when rows were filtered. */
  readonly conditionMethod: 'none' | 'native' | 'reject';
  /** Accepted / generated candidate rows (1 when nothing was rejected). */
  readonly acceptanceRate: number;
  /** Sampled rows identical to a training row, removed (privacy default). */
  readonly exactCopiesRemoved: number;
  /** Rare categories held to their training rate; absent when none was (see SampleOptions.rareCategoryShare). */
  readonly rareCategories?: RareQuotaReport;
}

export interface SampleResult {
  readonly table: Table;
  readonly report: SampleReport;
}

export interface LossPoint {
  readonly epoch: number;
  readonly [name: string]: number;
}

export interface SynthFitReport {
  readonly seconds: number;
  /** Per-epoch losses (e.g. generator/discriminator, reconstruction/KL); empty for statistical models. */
  readonly losses: readonly LossPoint[];
}

export interface Synthesizer {
  /** Registry name, e.g. 'gaussian-copula', 'ctgan', 'tvae'. */
  readonly name: string;
  fit(table: Table, metadata: TableMetadata, options: SynthFitOptions): Promise<SynthFitReport>;
  sample(n: number, options?: SampleOptions): SampleResult;
  save(path: string): void;
  load(path: string): void;
}
