/**
 * One entry point for scoring generated images against real ones: Fréchet distance, precision /
 * recall / density / coverage and the near-copy check, each beside the same measure for real
 * holdout images scored as if they were generated (the real-vs-real baseline a reader needs to
 * know what a number means at this sample size). JSON-serialisable; every headline number is a
 * self-describing MetricValue (name, direction, range) from QUALITY_METRICS.
 */
import { ConfigError } from '../../core/errors.ts';
import type { ProgressReporter } from '../../core/index.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageSample } from '../../data/images/types.ts';
import { sampleIndices } from '../../stats/sampling.ts';
import { QUALITY_METRICS, metricValue, type MetricValue, type QualityMetricName, type QualityMetricSpec } from '../quality/metric.ts';
import { featureRows, type FeatureMatrix, type ImageFeatureMap } from './features.ts';
import { frechetDistance, gaussianMoments, type FrechetDistance } from './frechet.ts';
import { manifoldScores, type ManifoldScores } from './manifold.ts';
import { nearCopySpace, nearestTrainFeatures, nearestTrainPixels, type NearCopySpace } from './near-copy.ts';

export interface ImageSynthesisQualityOptions {
  /** Real images the generator was fitted on (also the reference distribution). */
  readonly train: readonly ImageSample[];
  /** Real images the generator never saw: the baseline for every measure. */
  readonly holdout: readonly ImageSample[];
  readonly generated: readonly ImageSample[];
  readonly seed: number;
  /**
   * The feature space (e.g. trainFeatureMap in src/models/image: a classifier trained on `train`'s
   * real images, PCA-reduced; or pixelRandomProjection).
   */
  readonly featureMap: ImageFeatureMap;
  /** How the feature space was made (e.g. the classifier's validation accuracy), recorded as given. */
  readonly featureInfo?: Readonly<Record<string, number | string | null>>;
  /** k of the k-NN balls. Default 3. */
  readonly k?: number;
  /** Size of the (seeded) equal-size real / generated / holdout samples the k-NN measures use. Default 2000. */
  readonly manifoldSamples?: number;
  /** Holdout quantile below which a generated image counts as a near-copy. Default 0.01. */
  readonly nearCopyPercentile?: number;
  /** How many closest pairs to list per space. Default 16. */
  readonly closestPairs?: number;
  readonly progress?: ProgressReporter;
}

export interface ImageFrechetResult extends FrechetDistance {
  /** The same distance for the real holdout (subsampled to the generated count) against training. */
  readonly baseline: FrechetDistance;
  /** Rows on each side: generated (or holdout) vs training. */
  readonly sizes: { readonly compared: number; readonly train: number };
}

export interface ImageSynthesisQuality {
  readonly featureSpace: {
    readonly name: string;
    readonly dim: number;
    /** How the feature space was made (options.featureInfo), e.g. the feature classifier's validation accuracy. */
    readonly info?: Readonly<Record<string, number | string | null>>;
  };
  readonly sizes: { readonly train: number; readonly holdout: number; readonly generated: number };
  /** Headline numbers for the generated images. */
  readonly metrics: MetricValue[];
  /** The same numbers for the real holdout images scored as if generated. */
  readonly baseline: MetricValue[];
  readonly frechet: ImageFrechetResult;
  readonly manifold: ManifoldScores & { readonly samples: number; readonly baseline: ManifoldScores };
  readonly nearCopy: { readonly percentile: number; readonly pixel: NearCopySpace; readonly feature: NearCopySpace };
  /** Definitions of every metric named above. */
  readonly definitions: QualityMetricSpec[];
}

const IMAGE_METRICS: QualityMetricName[] = ['ImageFrechetDistance', 'ImagePrecision', 'ImageRecall', 'ImageDensity', 'ImageCoverage', 'NearCopySharePixel', 'NearCopyShareFeature', 'NearestTrainDistanceRatio'];

function checkSet(samples: readonly ImageSample[], field: string, min: number, ref: ImageSample | undefined): void {
  if (samples.length < min || !ref) throw new ConfigError(`${field} needs at least ${min} images, got ${samples.length}`, { field });
  const { width, height, channels } = ref.image;
  samples.forEach((s, i) => {
    const im = s.image;
    if (im.width !== width || im.height !== height || im.channels !== channels) {
      throw new ConfigError(`${field} image ${i} (${s.source}) is ${im.width}×${im.height}×${im.channels}; the training images are ${width}×${height}×${channels}`, { field });
    }
  });
}

export async function imageSynthesisQuality(opts: ImageSynthesisQualityOptions): Promise<ImageSynthesisQuality> {
  const { train, holdout, generated, seed } = opts;
  const k = opts.k ?? 3;
  const percentile = opts.nearCopyPercentile ?? 0.01;
  const closest = opts.closestPairs ?? 16;
  const cap = opts.manifoldSamples ?? 2000;
  const ref = train[0];
  checkSet(train, 'train', 2, ref);
  checkSet(holdout, 'holdout', 2, ref);
  checkSet(generated, 'generated', 2, ref);
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`k must be a positive integer, got ${k}`, { field: 'k' });
  const rng = new Rng(seed);
  const say = (s: string): void => opts.progress?.line(`image quality: ${s}`);

  const { featureMap } = opts;
  say(`features (${featureMap.name}) of ${train.length} + ${holdout.length} + ${generated.length} images`);
  const images = (s: readonly ImageSample[]) => s.map((x) => x.image);
  const fTrain = featureMap.extract(images(train));
  const fHoldout = featureMap.extract(images(holdout));
  const fGen = featureMap.extract(images(generated));

  // Fréchet: generated vs training, and the holdout at the same count (the distance's bias depends on the count).
  say('Fréchet distance');
  const trainMoments = gaussianMoments(fTrain);
  const compared = Math.min(generated.length, holdout.length);
  const genForFid = compared < generated.length ? featureRows(fGen, sampleIndices(generated.length, compared, rng.split('frechet generated'))) : fGen;
  const holdForFid = compared < holdout.length ? featureRows(fHoldout, sampleIndices(holdout.length, compared, rng.split('frechet holdout'))) : fHoldout;
  const fid = frechetDistance(gaussianMoments(genForFid), trainMoments);
  const fidBase = frechetDistance(gaussianMoments(holdForFid), trainMoments);

  // k-NN manifolds on equal-size samples of training, generated and holdout features.
  say('precision / recall');
  const m = Math.min(cap, train.length, generated.length, holdout.length);
  if (m <= k) throw new ConfigError(`k = ${k} needs more than ${k} images in each of train, holdout and generated (the smallest has ${m})`, { field: 'k' });
  const sample = (f: FeatureMatrix, key: string): FeatureMatrix => (m < f.n ? featureRows(f, sampleIndices(f.n, m, rng.split(key))) : f);
  const realM = sample(fTrain, 'manifold train');
  const manifold = manifoldScores(realM, sample(fGen, 'manifold generated'), k);
  const manifoldBase = manifoldScores(realM, sample(fHoldout, 'manifold holdout'), k);

  say('nearest training images');
  const trainImages = images(train);
  const pixHold = nearestTrainPixels(images(holdout), trainImages);
  const pixGen = nearestTrainPixels(images(generated), trainImages);
  const featHold = nearestTrainFeatures(fHoldout, fTrain);
  const featGen = nearestTrainFeatures(fGen, fTrain);
  const pixel = nearCopySpace(pixGen, pixHold, percentile, closest);
  const feature = nearCopySpace(featGen, featHold, percentile, closest);
  // The holdout scored against its own threshold: about `percentile` by construction.
  const pixelBase = nearCopySpace(pixHold, pixHold, percentile, 0);
  const featureBase = nearCopySpace(featHold, featHold, percentile, 0);

  const values = (f: FrechetDistance, s: ManifoldScores, px: NearCopySpace, ft: NearCopySpace): MetricValue[] => [
    metricValue('ImageFrechetDistance', f.distance),
    metricValue('ImagePrecision', s.precision),
    metricValue('ImageRecall', s.recall),
    metricValue('ImageDensity', s.density),
    metricValue('ImageCoverage', s.coverage),
    metricValue('NearCopySharePixel', px.share),
    metricValue('NearCopyShareFeature', ft.share),
    ...(px.medianRatio === null ? [] : [metricValue('NearestTrainDistanceRatio', px.medianRatio)]),
  ];
  return {
    featureSpace: opts.featureInfo ? { name: featureMap.name, dim: featureMap.dim, info: opts.featureInfo } : { name: featureMap.name, dim: featureMap.dim },
    sizes: { train: train.length, holdout: holdout.length, generated: generated.length },
    metrics: values(fid, manifold, pixel, feature),
    baseline: values(fidBase, manifoldBase, pixelBase, featureBase),
    frechet: { ...fid, baseline: fidBase, sizes: { compared, train: train.length } },
    manifold: { ...manifold, samples: m, baseline: manifoldBase },
    nearCopy: { percentile, pixel, feature },
    definitions: IMAGE_METRICS.map((n) => QUALITY_METRICS[n]),
  };
}
