/** The list of image operators (registered as the `image` family in family.ts). */
import type { ImageTensor } from '../../data/images/types.ts';
import type { OperatorDef } from '../types.ts';
import { hflip, randomCrop, randomResizedCrop, rotate, shear, shift, vflip, zoom } from './geometric.ts';
import { blur, brightness, contrast, cutout, gaussianNoise, hue, saturation } from './photometric.ts';
import type { ImageAugmentContext } from './types.ts';

/** An image operator definition. */
// biome-ignore lint/suspicious/noExplicitAny: operators of every config/params type (see OperatorDef)
export type ImageOperatorDef = OperatorDef<ImageTensor, any, any, ImageAugmentContext>;

/** Every image operator, in listing order. */
export const imageOperators: readonly ImageOperatorDef[] = [
  rotate, shift, shear, zoom, randomCrop, randomResizedCrop, hflip, vflip, brightness, contrast, saturation, hue, blur, gaussianNoise, cutout,
];
