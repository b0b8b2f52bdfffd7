/**
 * Query → product relevance rankers on the one registry form: `bm25` (lexical baseline),
 * `lambdamart` (GBDT with the LambdaRank objective over the search features), `gbdt-regression`
 * (pointwise GBDT predicting the label, for RMSE) and `neural` (MLP over the same features, RankNet
 * loss) and `knrm` (kernel-pooling interaction model over token embeddings, + the features). Every entry fits, scores, saves to one JSON text, and `loadRanker` restores any of them.
 */
import { ComponentRegistry, type ComponentEntry, ConfigError } from '../../core/index.ts';
import { Bm25Ranker, bm25RankerConfigSchema, BM25_RANKER_DEFAULTS } from './bm25-ranker.ts';
import { GbdtRanker, gbdtRegressionConfigSchema, GBDT_REGRESSION_DEFAULTS, lambdaMartConfigSchema, LAMBDAMART_DEFAULTS } from './gbdt-rankers.ts';
import { KnrmRanker, knrmRankerConfigSchema, KNRM_RANKER_DEFAULTS } from './knrm.ts';
import { NeuralRanker, neuralRankerConfigSchema, NEURAL_RANKER_DEFAULTS } from './neural.ts';
import { parseSavedRanker } from './saved.ts';
import type { SearchRanker } from './types.ts';

export type { RankerFitInput, RankerQuery, SearchRanker } from './types.ts';
export { Bm25Ranker, bm25RankerConfigSchema, BM25_RANKER_DEFAULTS } from './bm25-ranker.ts';
export type { Bm25RankerConfig } from './bm25-ranker.ts';
export { GbdtRanker, lambdaMartConfigSchema, gbdtRegressionConfigSchema, LAMBDAMART_DEFAULTS, GBDT_REGRESSION_DEFAULTS, concatLabels, groupSlices } from './gbdt-rankers.ts';
export type { LambdaMartConfig, GbdtRegressionConfig, GbdtRankerKind, GbdtRankerReport } from './gbdt-rankers.ts';
export { NeuralRanker, neuralRankerConfigSchema, NEURAL_RANKER_DEFAULTS } from './neural.ts';
export type { NeuralRankerConfig } from './neural.ts';
export { KnrmRanker, knrmRankerConfigSchema, KNRM_RANKER_DEFAULTS, kernelCentres, subwordRows } from './knrm.ts';
export type { KnrmRankerConfig } from './knrm.ts';
export { SearchFeatureExtractor, SEARCH_FEATURE_NAMES, SEARCH_FEATURE_DEFAULTS, searchFeatureConfigSchema, referencedProducts } from './features.ts';
export type { SearchFeatureConfig, SearchFeatureState, SearchFeatureName } from './features.ts';
export { Bm25Field, BM25_DEFAULTS } from './bm25.ts';
export type { Bm25Params, Bm25FieldState } from './bm25.ts';
export { WordEmbeddings, WORD_EMBEDDING_DEFAULTS } from './embeddings.ts';
export type { WordEmbeddingParams, WordEmbeddingState, EmbeddingCorpus } from './embeddings.ts';
export { tokenize, stem, stemmedTokens, charNgrams, numberUnits } from './text.ts';
export { SAVED_RANKER_FORMAT, parseSavedRanker } from './saved.ts';
export type { SavedRanker } from './saved.ts';

/** A ranker entry: how to build it from a config, and how to restore it from its saved state. */
export interface SearchRankerEntry extends ComponentEntry<Record<string, unknown>, SearchRanker> {
  restore(config: Readonly<Record<string, unknown>>, state: unknown): SearchRanker;
}

/** Search rankers by name (`ranker` in a search config), on the one registry form. */
export const searchRankers = new ComponentRegistry<SearchRanker, SearchRankerEntry>('search ranker');
searchRankers.add({
  name: 'bm25', description: 'Okapi BM25 of the query against titles (and descriptions), fitted on the training catalogue',
  schema: bm25RankerConfigSchema, defaults: BM25_RANKER_DEFAULTS, create: (c) => new Bm25Ranker(c), restore: (c, s) => Bm25Ranker.restore(c, s),
});
searchRankers.add({
  name: 'lambdamart', description: 'LambdaMART: gradient-boosted trees with the LambdaRank objective over query–product features',
  schema: lambdaMartConfigSchema, defaults: LAMBDAMART_DEFAULTS, create: (c) => new GbdtRanker('lambdamart', c), restore: (c, s) => GbdtRanker.restore('lambdamart', c, s),
});
searchRankers.add({
  name: 'gbdt-regression', description: 'pointwise gradient-boosted trees predicting the relevance label (squared error); RMSE-comparable',
  schema: gbdtRegressionConfigSchema, defaults: GBDT_REGRESSION_DEFAULTS, create: (c) => new GbdtRanker('gbdt-regression', c), restore: (c, s) => GbdtRanker.restore('gbdt-regression', c, s),
});
searchRankers.add({
  name: 'neural', description: 'MLP over the query–product features, trained with the pairwise RankNet loss',
  schema: neuralRankerConfigSchema, defaults: NEURAL_RANKER_DEFAULTS, create: (c) => new NeuralRanker(c), restore: (c, s) => NeuralRanker.restore(c, s),
});
searchRankers.add({
  name: 'knrm', description: 'K-NRM: kernel pooling over query–title token cosines (PPMI-initialised word + subword embeddings, fine-tuned), optionally with the search features; RankNet loss',
  schema: knrmRankerConfigSchema, defaults: KNRM_RANKER_DEFAULTS, create: (c) => new KnrmRanker(c), restore: (c, s) => KnrmRanker.restore(c, s),
});

export const SEARCH_RANKER_NAMES: readonly string[] = searchRankers.names();

/** A search ranker by registry name; config keys override its defaults (an unknown key is a ConfigError naming it). */
export function createRanker(name: string, config: Readonly<Record<string, unknown>> = {}): SearchRanker {
  return searchRankers.create(name, config);
}

/** Restores a ranker from its save() text; an unknown ranker name is a ConfigError, a malformed text a ModelStateError. */
export function loadRanker(json: string): SearchRanker {
  const saved = parseSavedRanker(json);
  if (!searchRankers.has(saved.ranker)) throw new ConfigError(`saved search ranker '${saved.ranker}' is not one of: ${searchRankers.names().join(', ')}`, { field: 'ranker' });
  return searchRankers.entry(saved.ranker).restore(saved.config, saved.state);
}
