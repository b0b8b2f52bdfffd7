/**
 * The image augmenter family: geometric and photometric operators on decoded 8-bit HWC images
 * (src/data/images), batch-level mixup / cutmix, and offline folder expansion.
 */
export type { ImageAugmentContext } from './types.ts';
export { rotate, shift, shear, zoom, randomCrop, randomResizedCrop, hflip, vflip } from './geometric.ts';
export type { RotateParams, ShiftParams, ZoomParams, CropParams, RegionParams } from './geometric.ts';
export { brightness, contrast, saturation, hue, blur, gaussianNoise, cutout, gaussianBlur } from './photometric.ts';
export type { FactorParams, HueParams, BlurParams, NoiseParams, CutoutParams, Box } from './photometric.ts';
export { sampleMix, applyMix, betaDraw } from './mix.ts';
export type { MixConfig, MixParams, MixedBatch } from './mix.ts';
export { warpAffine, resizeRegion, fillIndex, FILL_MODES } from './warp.ts';
export type { FillMode } from './warp.ts';

export { imageOperators } from './operators.ts';
export type { ImageOperatorDef } from './operators.ts';
export { imageFamily, buildImagePipeline } from './family.ts';
export { expandImageFolder } from './expand.ts';
export type { ExpandImageOptions, ExpandImageReport, ImageManifestRow } from './expand.ts';
