export type { Product, SearchJudgement, LabelScale, SearchDataset, QueryGroup, SearchSplit } from './types.ts';
export { cleanText, normalizeQuery, tokenize, DEFAULT_MAX_TEXT_LENGTH, DEFAULT_MAX_DESCRIPTION_LENGTH } from './text.ts';
export { derivedProductId } from './judgements.ts';
export type { DuplicatePolicy } from './judgements.ts';
export {
  readHomeDepot,
  readCrowdFlower,
  readSearchLog,
  readProductTitles,
  loadSearchDataset,
  SearchDatasetOptionsSchema,
  SearchLogOptionsSchema,
  SEARCH_LOG_FILE_FORMATS,
  HOMEDEPOT_LABEL_SCALE,
  CROWDFLOWER_LABEL_SCALE,
  PRICERUNNER_COLUMNS,
} from './readers.ts';
export type { SearchDatasetOptions, SearchLogOptions, SearchReadOptions, SearchLogFileFormat, LabelledTitle, ProductTitleSet, ProductTitleOptions } from './readers.ts';
export { groupQueries, querySplit, inDistributionSplit, splitCatalogue, saveSearchSplit, loadSearchSplit, searchDataFingerprint, DEFAULT_SPLIT_FRACTIONS } from './split.ts';
export type { SplitFractions, QuerySplitOptions, SplitCatalogue } from './split.ts';
export {
  queryTokenCounts,
  queryFrequencySegmenter,
  queryLength,
  queryLengthSegment,
  CatalogueVocabulary,
  catalogueVocabulary,
  editDistance,
  misspelledTokens,
  isLikelyMisspelled,
} from './stats.ts';
export type { QuerySegment, FrequencySegmenter, FrequencySegmenterOptions, MisspellingOptions, Misspelling } from './stats.ts';
