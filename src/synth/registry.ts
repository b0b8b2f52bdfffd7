/**
 * Synthesizers by name. `createSynthesizer(name, params)` builds an unfitted one;
 * `loadSynthesizer(path)` reads the `kind` of a saved file and loads it into a fresh instance.
 *
 * Saved-file convention every synthesizer follows: a JSON object whose top level has
 * `format: 'samplify-synthesizer'`, `kind: <registry name>` and `version: <number>`; the rest is the
 * synthesizer's own. Loading a file of another kind into a synthesizer is a ModelStateError.
 */
import { z } from 'zod';
import { ComponentRegistry, ModelStateError, type ComponentEntry } from '../core/index.ts';
import { readSynthesizerFile } from './saved-file.ts';
import { GaussianCopulaSynthesizer, copulaParamsSchema } from './copula.ts';
import { CtganSynthesizer, ctganConfigSchema } from './ctgan.ts';
import { TvaeSynthesizer, tvaeConfigSchema } from './tvae.ts';
import { EntityBlockSynthesizer, entityBlocksParamsSchema } from './entities.ts';
import { MarkovSequenceSynthesizer, markovConfigSchema } from './sequence/markov.ts';
import { AutoregressiveSequenceSynthesizer, autoregressiveConfigSchema, type AutoregressiveConfig } from './sequence/autoregressive.ts';
import { SequenceVaeSynthesizer, sequenceVaeConfigSchema } from './sequence/vae.ts';
import type { SequenceSynthesizer } from './sequence/types.ts';
import type { Synthesizer } from './types.ts';

export { autoregressiveConfigSchema };

/** Builds an unfitted synthesizer from its params (validated by the synthesizer: a bad key is a ConfigError). */
export type SynthesizerFactory = (params: Readonly<Record<string, unknown>>) => Synthesizer;

function entry<S extends z.ZodType, T>(name: string, description: string, schema: S, create: (params: Readonly<Record<string, unknown>>) => T): ComponentEntry<z.infer<S>, T> {
  return { name, description, schema: schema as z.ZodType<z.infer<S>>, defaults: schema.parse({}) as z.infer<S>, create };
}

/** Table synthesizers by name (`synthesizer.name` in a synthesize config). */
export const synthesizers = new ComponentRegistry<Synthesizer>('synthesizer');
synthesizers.add(entry('gaussian-copula', 'Gaussian copula over fitted marginals (statistical; fast)', copulaParamsSchema, (p) => new GaussianCopulaSynthesizer(p)));
synthesizers.add(entry('ctgan', 'conditional GAN with mode-specific normalisation (CTGAN); optional DP-SGD', ctganConfigSchema, (p) => new CtganSynthesizer(p)));
synthesizers.add(entry('tvae', 'tabular variational autoencoder (TVAE); optional DP-SGD', tvaeConfigSchema, (p) => new TvaeSynthesizer(p)));
synthesizers.add(entry('entity-blocks', 'any table synthesizer with entity-consistent attribute blocks (user/item attributes a function of their key)', entityBlocksParamsSchema(synthesizers), (p) => new EntityBlockSynthesizer(p, synthesizers)));

/** Sequence synthesizers by name: whole user histories (`synthesizer.name` of a sequence synthesize config). */
export const sequenceSynthesizers = new ComponentRegistry<SequenceSynthesizer>('sequence synthesizer');
sequenceSynthesizers.add(entry('markov', 'first-order Markov chain over (item, event) states with a popularity fallback', markovConfigSchema, (p) => new MarkovSequenceSynthesizer(p)));
sequenceSynthesizers.add(entry('autoregressive', 'a trained next-item model (SASRec / GRU4Rec) sampled step by step', autoregressiveConfigSchema, (p) => new AutoregressiveSequenceSynthesizer(p as AutoregressiveConfig)));
sequenceSynthesizers.add(entry('vae', 'sequence VAE (GRU encoder/decoder) over whole histories', sequenceVaeConfigSchema, (p) => new SequenceVaeSynthesizer({ ...p })));

export const SEQUENCE_SYNTHESIZERS = ['markov', 'autoregressive', 'vae'] as const;

/** A sequence synthesizer by name with its params (checked against its schema first). */
export function createSequenceSynthesizer(name: string, config: Readonly<Record<string, unknown>> = {}): SequenceSynthesizer {
  return sequenceSynthesizers.create(name, config);
}

export function synthesizerNames(): string[] {
  return synthesizers.names();
}

/** An unfitted synthesizer; an unknown name is a ConfigError listing the registered ones. */
export function createSynthesizer(name: string, params: Readonly<Record<string, unknown>> = {}): Synthesizer {
  return synthesizers.create(name, params);
}

/**
 * `{ name, params }` of a synthesize config: `params` is checked against the named synthesizer's
 * schema at parse time (kept as written), so `synthesizer.params.epoch` is a ConfigError naming it.
 */
export function synthesizerSpecSchema<T>(registry: ComponentRegistry<T>) {
  return z
    .object({ name: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) })
    .strict()
    .superRefine((s, ctx) => registry.refine(s.name, s.params, ctx, ['name'], ['params']));
}

/** Reads the `kind` of a saved synthesizer file (ModelStateError when the file is not one). */
export function savedSynthesizerKind(path: string): string {
  return readSynthesizerFile(path).kind;
}

/** Loads a saved synthesizer of any registered kind. */
export function loadSynthesizer(path: string): Synthesizer {
  const kind = savedSynthesizerKind(path);
  if (!synthesizers.names().includes(kind)) throw new ModelStateError(`the file holds a '${kind}' synthesizer, which this build does not have (known: ${synthesizers.names().join(', ')})`, { file: path });
  const s = synthesizers.get(kind).create({});
  s.load(path);
  return s;
}
