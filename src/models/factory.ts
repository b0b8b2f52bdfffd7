import { ConfigError } from '../core/index.ts';
import { ItemKnnRecommender, type ItemKnnConfig } from './itemknn.ts';
import { NeuralRecommender, networks } from './neural.ts';
import { PopularityRecommender } from './popularity.ts';
import { createSasrec } from './sasrec.ts';
import { createGru4rec } from './gru4rec.ts';
import type { TrainerConfig } from './trainer.ts';
import type { Recommender } from './types.ts';

networks.register('sasrec', (numItems, config, rng) => createSasrec(numItems, config, rng));
networks.register('gru4rec', (numItems, config, rng) => createGru4rec(numItems, config, rng));

export const MODEL_NAMES = ['pop', 'itemknn', 'gru4rec', 'sasrec'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelSpec {
  readonly model: ModelName;
  /** Network hyper-parameters (hidden, blocks, heads, dropout, maxLen, loss…) or ItemKNN's config. */
  readonly config?: Record<string, unknown>;
  readonly trainer?: Partial<TrainerConfig>;
}

export function createRecommender(spec: ModelSpec): Recommender {
  switch (spec.model) {
    case 'pop':
      return new PopularityRecommender();
    case 'itemknn':
      return new ItemKnnRecommender((spec.config ?? {}) as Partial<ItemKnnConfig>);
    case 'gru4rec':
    case 'sasrec':
      return new NeuralRecommender(spec.model, spec.config ?? {}, spec.trainer ?? {});
    default:
      throw new ConfigError(`unknown model '${String(spec.model)}'; expected one of: ${MODEL_NAMES.join(', ')}`, { field: 'model' });
  }
}
