/**
 * The image synthesizer contract (issue 16 §4), in the synthesizer family's form: `fit` on
 * same-size labelled (or unlabelled) images, `sample(n, { seed, conditions })`, portable
 * `save` / `load`. Every random step — initialisation, batch order, noise — comes from the seed, so
 * the same seed and images give byte-identical weights and samples, and a loaded model samples
 * byte-identically to the one that was saved.
 */
import type { CancelToken, ProgressReporter } from '../../core/index.ts';
import type { ImageSample } from '../../data/images/types.ts';
import type { LossPoint } from '../types.ts';

export interface ImageSynthFitOptions {
  readonly seed: number;
  /** Overrides the config's epochs. */
  readonly epochs?: number;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** A checkpoint after every epoch goes here; a fit that finds one with the same fingerprint resumes from it. */
  readonly checkpointDir?: string;
}

/** Conditions a conditional model honours: every sampled image is of this class. */
export interface ImageConditions {
  readonly label: number;
}

export interface ImageSampleOptions {
  readonly seed?: number;
  /** Only for conditional models (a ConfigError for unconditional ones). */
  readonly conditions?: ImageConditions;
}

export interface ImageSynthFitReport {
  /** Wall time of the whole fit (resumed epochs not included). */
  readonly seconds: number;
  /** One point per epoch: the model's losses and `seconds` (that epoch's wall time). */
  readonly losses: readonly LossPoint[];
  readonly resumed: boolean;
}

export interface ImageSynthesizer {
  /** Registry name, e.g. 'dcgan'. */
  readonly name: string;
  /** Whether `sample` honours `conditions.label` (known after fit / load). */
  readonly conditional: boolean;
  /**
   * Trains on images of one size and channel count. Labels (0..K−1) are used by conditional
   * models; unconditional models ignore them.
   */
  fit(samples: readonly ImageSample[], options: ImageSynthFitOptions): Promise<ImageSynthFitReport>;
  /**
   * n images of the training size and channels. Conditional models set each label (the condition,
   * or classes drawn in the training proportions); unconditional ones give label −1.
   */
  sample(n: number, options?: ImageSampleOptions): ImageSample[];
  save(path: string): void;
  load(path: string): void;
}
