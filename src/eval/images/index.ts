/** Quality and privacy measures for generated images (issue 16 §4): Fréchet distance, k-NN precision / recall, near copies. */
export { pixelRandomProjection, fitPca, projectPca, meanAndCovariance, featureRows } from './features.ts';
export type { FeatureMatrix, ImageFeatureMap, PcaBasis } from './features.ts';
export { gaussianMoments, frechetDistance, frechetDistanceOf } from './frechet.ts';
export type { GaussianMoments, FrechetDistance } from './frechet.ts';
export { manifoldScores, kthNeighbourRadii } from './manifold.ts';
export type { ManifoldScores } from './manifold.ts';
export { nearestTrainPixels, nearestTrainFeatures, nearCopySpace } from './near-copy.ts';
export type { NearestTrain, NearCopyPair, NearCopySpace } from './near-copy.ts';
export { imageSynthesisQuality } from './report.ts';
export type { ImageSynthesisQualityOptions, ImageSynthesisQuality, ImageFrechetResult } from './report.ts';
