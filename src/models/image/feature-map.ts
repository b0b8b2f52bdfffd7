/**
 * The feature space the image quality measures (src/eval/images) read generated images in: the
 * penultimate layer of a CNN classifier trained here on real images (no downloaded Inception
 * weights), PCA-reduced. It lives with the classifier; the measures take any ImageFeatureMap.
 */
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageSample, ImageTensor } from '../../data/images/types.ts';
import { fitPca, projectPca, type FeatureMatrix, type ImageFeatureMap, type PcaBasis } from '../../eval/index.ts';
import { sampleIndices } from '../../stats/sampling.ts';
import { ImageCnnClassifier, type ImageCnnConfig } from './cnn-classifier.ts';

/** The penultimate layer of a fitted classifier, optionally PCA-reduced (basis fitted by the caller). */
export function classifierFeatureMap(classifier: ImageCnnClassifier, pca?: PcaBasis): ImageFeatureMap {
  const raw = (images: readonly ImageTensor[]): FeatureMatrix => {
    const f = classifier.features(images);
    return { n: images.length, dim: classifier.featureDim, data: Float64Array.from(f) };
  };
  return {
    name: pca ? `cnn-penultimate-pca${pca.rank}${pca.residual ? '+residual' : ''}` : `cnn-penultimate-${classifier.featureDim}`,
    dim: pca ? pca.dim : classifier.featureDim,
    extract: (images) => (pca ? projectPca(pca, raw(images)) : raw(images)),
  };
}

export interface FeatureClassifierOptions {
  /** The classifier's settings (src/models/image/cnn-classifier.ts); defaults there, except maxEpochs 8. */
  readonly classifier?: Partial<ImageCnnConfig>;
  /** Share of the training images held out for early stopping (0 = none). Default 0.1. */
  readonly validShare?: number;
  /** Principal directions kept (the penultimate layer is wider: channels[1]·⌊H/4⌋·⌊W/4⌋). Default 64; 0 = no PCA. */
  readonly featureDim?: number;
  /** Append the norm of the PCA residual as one more coordinate (see PcaBasis). Default true. */
  readonly residual?: boolean;
  /** Training images the PCA basis is fitted on (seeded subsample). Default 4000. */
  readonly pcaSamples?: number;
}

export interface TrainedFeatureMap {
  readonly featureMap: ImageFeatureMap;
  readonly classifier: ImageCnnClassifier;
  /** Accuracy on the held-out share of the training images (null when validShare is 0). */
  readonly validAccuracy: number | null;
  readonly epochs: number;
  readonly explainedVariance: number | null;
}

/**
 * Trains the feature classifier on labelled real training images (labels 0..K−1, K from the
 * largest label) and returns its penultimate layer, PCA-reduced, as a feature map.
 */
export async function trainFeatureMap(train: readonly ImageSample[], seed: number, opts: FeatureClassifierOptions = {}): Promise<TrainedFeatureMap> {
  const n = train.length;
  const bad = train.findIndex((s) => !Number.isInteger(s.label) || s.label < 0);
  if (bad >= 0) throw new ConfigError(`training image ${bad} (${train[bad]!.source}) has label ${train[bad]!.label}; the feature classifier needs labels 0..K−1`, { field: 'train.label' });
  const numClasses = Math.max(...train.map((s) => s.label)) + 1;
  if (numClasses < 2) throw new ConfigError(`the feature classifier needs at least 2 classes, got ${numClasses}`, { field: 'train.label' });
  const rng = new Rng(seed);
  const validShare = opts.validShare ?? 0.1;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  rng.split('valid split').shuffle(order);
  const nValid = Math.floor(n * validShare);
  const pick = (idx: Int32Array) => ({ images: Array.from(idx, (k) => train[k]!.image), labels: Int32Array.from(idx, (k) => train[k]!.label), numClasses });
  const fitPart = pick(order.subarray(nValid));
  const validPart = nValid > 0 ? pick(order.subarray(0, nValid)) : undefined;
  const classifier = new ImageCnnClassifier({ maxEpochs: 8, ...opts.classifier });
  const result = await classifier.fit(fitPart, validPart ? { seed, valid: validPart } : { seed });
  let validAccuracy: number | null = null;
  if (validPart) {
    const pred = classifier.predict(validPart.images);
    let c = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === validPart.labels[i]) c++;
    validAccuracy = c / pred.length;
  }
  const featureDim = opts.featureDim ?? 64;
  let pca: PcaBasis | undefined;
  if (featureDim > 0 && featureDim < classifier.featureDim) {
    const idx = sampleIndices(n, opts.pcaSamples ?? 4000, rng.split('pca sample'));
    const f = classifier.features(Array.from(idx, (k) => train[k]!.image));
    pca = fitPca({ n: idx.length, dim: classifier.featureDim, data: Float64Array.from(f) }, featureDim, { residual: opts.residual ?? true });
  }
  return { featureMap: classifierFeatureMap(classifier, pca), classifier, validAccuracy, epochs: result.logs.length, explainedVariance: pca ? pca.explainedVariance : null };
}
