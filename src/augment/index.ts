/** Sample augmentation: the operator contract, augmenter families (sequence, text, …), their operators, pipelines and offline expansion. */
export type { AugmentContext, AugmentResource, OperatorDef, Augmenter, ChainEntry, AugmentResult, Augmented } from './types.ts';
export { identity, crop, mask, reorder, reverse, del, duplicate, insert, substitute, prefixes, maskToken } from './sequence/index.ts';
export type { SpanParams, MaskParams, ReorderParams, PositionsParams, CorrelatedParams, PrefixParams } from './sequence/index.ts';
export { fitItemSimilarity, similarityFromEmbeddings, neighborsOf } from './similarity.ts';
export type { ItemSimilarity, SimilarityKind, FitSimilarityOptions, EmbeddingSimilarityOptions } from './similarity.ts';
export { loadItemAttributes, itemAttributesFromObject, shareAttribute } from './attributes.ts';
export type { ItemAttributes } from './attributes.ts';
export {
  Pipeline,
  buildPipeline,
  pipelineFromJson,
  pipelineFromYaml,
  pipelineToJson,
  pipelineToYaml,
  loadPipeline,
  replayChain,
  registerOperator,
  getOperator,
  operatorNames,
  createAugmenter,
  operators,
  COMPOSITES,
  AugmenterFamily,
  FamilyPipeline,
  defineFamily,
  getFamily,
  familyNames,
  sequenceFamily,
  buildAnyPipeline,
  loadFamilyPipeline,
  readPipelineFile,
} from './pipeline.ts';
export type {
  OperatorEntry,
  StepSpec,
  PipelineSpec,
  ResourcesSpec,
  PipelineSourceOptions,
  LoadPipelineOptions,
  DownstreamModel,
  GeneratorResourceSpec,
  SimilarityResourceSpec,
  BoundGenerators,
  FamilySpec,
  FamilyOption,
  OperatorStep,
  SpecError,
} from './pipeline.ts';
export { pseudoPrior, continueOp, prefetchGreedy } from './sequence/model-based.ts';
export type { GeneratedParams } from './sequence/model-based.ts';
export { drawFromScores, generateItems, itemsSeenIn, checkDrawOptions, DEFAULT_DRAW } from './generator.ts';
export type { NextItemSampler, GenerationDirection, DrawOptions } from './generator.ts';
export { expandSequences, expandTrainView, expandTrainViewDetailed, writeExpansionJsonl } from './expand.ts';
export type { ExpandOptions, ExpandedSample, ExpandTrainViewOptions, ExpandedTrainView, JsonlOptions, JsonlReport } from './expand.ts';
export * from './text/index.ts';
export { imageFamily, buildImagePipeline, imageOperators, expandImageFolder, sampleMix, applyMix } from './image/index.ts';
export type { ImageAugmentContext, ImageOperatorDef, ExpandImageOptions, ExpandImageReport, ImageManifestRow, MixConfig, MixParams, MixedBatch, FillMode } from './image/index.ts';
