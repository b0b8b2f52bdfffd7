/**
 * The image augmenter family: geometric and photometric operators on decoded 8-bit HWC images
 * (src/data/images), batch-level mixup / cutmix, and offline folder expansion.
 */
import type { ImageTensor } from '../../data/images/types.ts';
import type { OperatorDef } from '../types.ts';
import { hflip, randomCrop, randomResizedCrop, rotate, shear, shift, vflip, zoom } from './geometric.ts';
import { blur, brightness, contrast, cutout, gaussianNoise, hue, saturation } from './photometric.ts';
import type { ImageAugmentContext } from './types.ts';

export type { ImageAugmentContext } from './types.ts';
export { rotate, shift, shear, zoom, randomCrop, randomResizedCrop, hflip, vflip } from './geometric.ts';
export type { RotateParams, ShiftParams, ZoomParams, CropParams, RegionParams } from './geometric.ts';
export { brightness, contrast, saturation, hue, blur, gaussianNoise, cutout, gaussianBlur } from './photometric.ts';
export type { FactorParams, HueParams, BlurParams, NoiseParams, CutoutParams, Box } from './photometric.ts';
export { sampleMix, applyMix, betaDraw } from './mix.ts';
export type { MixConfig, MixParams, MixedBatch } from './mix.ts';
export { warpAffine, resizeRegion, fillIndex, FILL_MODES } from './warp.ts';
export type { FillMode } from './warp.ts';

/** An image operator definition. */
// biome-ignore lint/suspicious/noExplicitAny: operators of every config/params type (see OperatorDef)
export type ImageOperatorDef = OperatorDef<ImageTensor, any, any, ImageAugmentContext>;

/** Every image operator, in listing order. */
export const imageOperators: readonly ImageOperatorDef[] = [
  rotate, shift, shear, zoom, randomCrop, randomResizedCrop, hflip, vflip, brightness, contrast, saturation, hue, blur, gaussianNoise, cutout,
];
