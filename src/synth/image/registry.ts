/**
 * Image synthesizers by name, in the one registry form (src/core/registry.ts): each entry owns its
 * strict zod schema and defaults, so an unknown key is a ConfigError naming its key path.
 * `loadImageSynthesizer(path)` reads the saved file's `kind` and loads it into a fresh instance.
 */
import { z } from 'zod';
import { type ComponentEntry, ComponentRegistry, ModelStateError } from '../../core/index.ts';
import { savedSynthesizerKind } from '../registry.ts';
import { ConvVaeSynthesizer, convVaeConfigSchema } from './conv-vae.ts';
import { DcganSynthesizer, dcganConfigSchema } from './dcgan.ts';
import type { ImageSynthesizer } from './types.ts';

function entry<S extends z.ZodType>(name: string, description: string, schema: S, create: (params: Readonly<Record<string, unknown>>) => ImageSynthesizer): ComponentEntry<z.infer<S>, ImageSynthesizer> {
  return { name, description, schema: schema as z.ZodType<z.infer<S>>, defaults: schema.parse({}) as z.infer<S>, create };
}

export const imageSynthesizers = new ComponentRegistry<ImageSynthesizer>('image synthesizer');
imageSynthesizers.add(entry('dcgan', 'DCGAN: dense → transposed convolutions (batch norm, ReLU, tanh); strided-conv LeakyReLU discriminator; BCE; Adam 2e-4, β1 0.5', dcganConfigSchema, (p) => new DcganSynthesizer(p, false)));
imageSynthesizers.add(entry('conditional-dcgan', 'class-conditional DCGAN: one-hot label beside z; projection discriminator', dcganConfigSchema, (p) => new DcganSynthesizer(p, true)));
imageSynthesizers.add(entry('conv-vae', 'convolutional VAE (Bernoulli pixels + KL), conditional on the label when every training image has one', convVaeConfigSchema, (p) => new ConvVaeSynthesizer(p)));

/** An unfitted image synthesizer; an unknown name or parameter is a ConfigError naming it. */
export function createImageSynthesizer(name: string, params: Readonly<Record<string, unknown>> = {}): ImageSynthesizer {
  return imageSynthesizers.create(name, params);
}

/** Loads a saved image synthesizer of any registered kind. */
export function loadImageSynthesizer(path: string): ImageSynthesizer {
  const kind = savedSynthesizerKind(path);
  if (!imageSynthesizers.has(kind)) throw new ModelStateError(`the file holds a '${kind}' synthesizer, not an image synthesizer (known: ${imageSynthesizers.names().join(', ')})`, { file: path });
  const s = imageSynthesizers.get(kind).create({});
  s.load(path);
  return s;
}
