import { z } from 'zod';
import { ComponentRegistry, type ComponentEntry } from '../core/index.ts';
import { ItemKnnRecommender, itemKnnConfigSchema } from './itemknn.ts';
import { NeuralRecommender, networks } from './neural.ts';
import { PopularityRecommender, popularityConfigSchema } from './popularity.ts';
import { createSasrec, sasrecConfigSchema } from './sasrec.ts';
import { createGru4rec, gru4recConfigSchema } from './gru4rec.ts';
import type { TrainerOverrides } from './trainer.ts';
import type { Recommender } from './types.ts';

networks.register('sasrec', (numItems, config, rng) => createSasrec(numItems, config, rng));
networks.register('gru4rec', (numItems, config, rng) => createGru4rec(numItems, config, rng));

/**
 * Trainer overrides of a sequence network (DEFAULT_TRAINER in trainer.ts fills the rest). Strict:
 * an unknown key is a ConfigError at config parse time. Classic models accept and ignore it.
 */
export const trainerConfigSchema = z
  .object({
    batchSize: z.number().int().min(1),
    lr: z.number().positive(),
    weightDecay: z.number().min(0),
    epochs: z.number().int().min(1),
    patience: z.number().int().min(1),
    evalEvery: z.number().int().min(1),
  })
  .partial()
  .strict();

/** What a model entry is built from: the model's own hyper-parameters and trainer overrides. */
export interface ModelParams<C = Record<string, unknown>> {
  readonly config: C;
  readonly trainer: TrainerOverrides;
}

function modelSchema<C extends z.ZodType>(config: C) {
  return z.object({ config: config.default({} as never), trainer: trainerConfigSchema.default({}) }).strict();
}

/** Models by name: `model.model` in configs, `--model` on the command line. */
export const models = new ComponentRegistry<Recommender, ComponentEntry<ModelParams<unknown>, Recommender>>('model');

function addModel<C extends z.ZodType>(name: string, description: string, config: C, create: (p: ModelParams<z.infer<C>>) => Recommender): void {
  const schema = modelSchema(config);
  models.add({ name, description, schema, defaults: schema.parse({}) as ModelParams<z.infer<C>>, create });
}

addModel('pop', 'most popular training items, the same ranking for everyone', popularityConfigSchema, () => new PopularityRecommender());
addModel('itemknn', 'item-based collaborative filtering from co-occurrence (cosine with shrinkage)', itemKnnConfigSchema, (p) => new ItemKnnRecommender(p.config));
addModel('gru4rec', 'GRU over the history (RecBole-style GRU4Rec)', gru4recConfigSchema, (p) => new NeuralRecommender('gru4rec', p.config, p.trainer));
addModel('sasrec', 'self-attentive sequential recommender (SASRec)', sasrecConfigSchema, (p) => new NeuralRecommender('sasrec', p.config, p.trainer));

export const MODEL_NAMES = ['pop', 'itemknn', 'gru4rec', 'sasrec'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelSpec {
  readonly model: ModelName;
  /** Network hyper-parameters (hidden, blocks, heads, dropout, maxLen, loss…) or ItemKNN's config. */
  readonly config?: Record<string, unknown>;
  readonly trainer?: TrainerOverrides;
}

/**
 * A spec's parameters checked against its model's schema (the ConfigError names e.g.
 * `model.config.hiden` with the allowed keys when `path` is ['model']).
 */
export function parseModelSpec(spec: ModelSpec, path: readonly (string | number)[] = []): ModelParams {
  return models.parse(spec.model, { config: spec.config ?? {}, trainer: spec.trainer ?? {} }, path) as ModelParams;
}

/** A zod schema of `{ model, config, trainer }`: the config is checked against the named model's schema at parse time, and kept as written. */
export const modelSpecSchema = z
  .object({
    model: z.enum(MODEL_NAMES),
    config: z.record(z.string(), z.unknown()).default({}),
    trainer: trainerConfigSchema.default({}),
  })
  .strict()
  .superRefine((spec, ctx) => models.refine(spec.model, { config: spec.config, trainer: spec.trainer }, ctx, ['model'], []));

export function createRecommender(spec: ModelSpec): Recommender {
  const entry = models.entry(String(spec.model), 'model');
  // Validated first (a bad key is a ConfigError naming it); the entry is built from what was written,
  // so saved models and fingerprints record the config as given.
  parseModelSpec(spec);
  return entry.create({ config: spec.config ?? {}, trainer: spec.trainer ?? {} });
}
