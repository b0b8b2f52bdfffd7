/**
 * The `image` augmenter family on the shared pipeline mechanism (compose / one_of / some_of / p,
 * YAML and JSON round trips, per-step Rng splitting, replayable chains). Images have no length,
 * so `by_length` is not available; every operator output is checked to be a valid image.
 */
import { ConfigError } from '../../core/errors.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import { checkImage } from '../../data/images/types.ts';
import { defineFamily, type AugmenterFamily, type FamilyPipeline } from '../pipeline.ts';
import { imageOperators } from './operators.ts';
import type { ImageAugmentContext } from './types.ts';
import { cloneImage } from './warp.ts';

export const imageFamily: AugmenterFamily<ImageTensor, ImageAugmentContext> = defineFamily<ImageTensor, ImageAugmentContext>({
  name: 'image',
  copy: cloneImage,
  checkOutput(label, input, out) {
    try {
      checkImage(out, label);
    } catch (e) {
      throw new ConfigError(`${label} produced an invalid image from a ${input.width}×${input.height}×${input.channels} input (${(e as Error).message})`, { field: 'op' });
    }
    if (out.channels !== input.channels) throw new ConfigError(`${label} changed the channel count from ${input.channels} to ${out.channels}`, { field: 'op' });
  },
});
for (const op of imageOperators) imageFamily.register(op);

/** An image pipeline from a spec object (`family: image` may be omitted here). */
export function buildImagePipeline(spec: unknown, opts: { file?: string } = {}): FamilyPipeline<ImageTensor, ImageAugmentContext> {
  const s = spec !== null && typeof spec === 'object' && !Array.isArray(spec) && !('family' in spec) ? { family: 'image', ...spec } : spec;
  return imageFamily.pipeline(s, opts);
}
