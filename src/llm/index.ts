/** Text generation: one TextGenerator contract for HTTP endpoints, local models and the embedded generator. */
export type {
  BatchOptions,
  FinishReason,
  GenerationOutcome,
  GenerationParams,
  GenerationRejectReason,
  GenerationRequest,
  GenerationResult,
  TextGenerator,
  TokenUsage,
} from './types.ts';
export { DEFAULT_GENERATION_PARAMS } from './types.ts';
export { generateSyntheticPairs, syntheticPairsConfigSchema, SYNTHETIC_PAIRS_DEFAULTS, Bm25Index, cleanGeneratedQuery, requestSeed, queryAlignment, queryStats } from './synthetic-pairs.ts';
export type { SyntheticPairsConfig, SyntheticPairsInput, SyntheticPairsReport, SyntheticPairsResult, SyntheticDropReason, SyntheticExample, QueryAlignment, QueryStats } from './synthetic-pairs.ts';
export { fitScoreCalibration, fitTeacherCalibration, scoreCalibrationKindSchema } from './teacher-calibration.ts';
export type { ScoreCalibration, ScoreCalibrationKind } from './teacher-calibration.ts';
export { BpeTokenizer, EmbeddedGenerator, fitQueryGenerator, fitPartOf, embeddedGeneratorConfigSchema } from './embedded/index.ts';
export type { EmbeddedGeneratorConfig, FitQueryGeneratorInput, QueryGeneratorReport, TextPair } from './embedded/index.ts';
export * from './providers.ts';
export { titleParaphrasePairs, titlePairsConfigSchema, fitTitleParaphraser, paraphraseTitles, paraphraseSeed, TITLE_PARAPHRASE_DEFAULTS } from './title-paraphrase.ts';
export type { ClusteredTitle, ParaphraseOptions, ParaphraseResult } from './title-paraphrase.ts';
