/** Synthesizers for feature tables: the contract, the Gaussian copula, conditions/constraints, the registry. */
export type { Synthesizer, SynthFitOptions, SynthFitReport, SampleOptions, SampleResult, SampleReport, Conditions, Constraint, LossPoint } from './types.ts';
export { finalizeSample, SampleGuard, hash53, DEFAULT_MAX_TRIES_PER_ROW, CONTINUOUS_CONDITION_TOLERANCE } from './conditions.ts';
export { DEFAULT_RARE_CATEGORY_SHARE, MAX_HELD_CATEGORIES, type RareQuotaReport } from './rare-quota.ts';
export type { CandidateSource, GuardOptions, GuardState } from './conditions.ts';
export { GaussianCopulaSynthesizer, copulaParamsSchema, parseCopulaParams, COPULA_KIND } from './copula.ts';
export type { CopulaParams, MarginalState, MarginalChoice } from './copula.ts';
export { PARAMETRIC_FAMILIES } from './distributions.ts';
export type { ParametricFamily } from './distributions.ts';
export { EntityBlockSynthesizer, entityBlocksParamsSchema, detectEntities, ENTITY_BLOCKS_KIND } from './entities.ts';
export type { EntityBlock, EntityDetection, EntityDeclaration, EntityBlocksParams, RejectedDependency } from './entities.ts';
export { entityTimeSchema, fitEntityTime, assignEntityTimes } from './entity-time.ts';
export type { EntityTimeParams, EntityTimeState, EntitySessions } from './entity-time.ts';
export { synthesizers, sequenceSynthesizers, synthesizerSpecSchema, autoregressiveConfigSchema, createSynthesizer, loadSynthesizer, savedSynthesizerKind, synthesizerNames } from './registry.ts';
export { markovConfigSchema } from './sequence/markov.ts';
export type { SynthesizerFactory } from './registry.ts';
// Sequence synthesis (whole user histories): src/synth/sequence.
export { MarkovSequenceSynthesizer, AutoregressiveSequenceSynthesizer, SequenceVaeSynthesizer, eventSequencesFromTable, createSequenceSynthesizer, SEQUENCE_SYNTHESIZERS, learnsEventTypes, isNetworkBacked } from './sequence/index.ts';
export type { SequenceSynthesizer, SequenceSynthFitOptions, SequenceSampleOptions, EventSequence, EventSequenceData, EventSequenceSynthesizer, NetworkBackedSequenceSynthesizer } from './sequence/index.ts';
// CTGAN / TVAE / data transformer exports go below (owned by the GAN/VAE work).
export { CtganSynthesizer, ctganConfigSchema } from './ctgan.ts';
export type { CtganConfig } from './ctgan.ts';
export { TvaeSynthesizer, tvaeConfigSchema } from './tvae.ts';
export type { TvaeConfig } from './tvae.ts';
export { DataTransformer } from './transformer.ts';
export type { TransformerOptions, TransformerState, ColumnCodec, DiscreteColumnInfo } from './transformer.ts';
export { fitGaussianMixture1D } from './gmm.ts';
export type { GaussianMixture1D, GmmOptions } from './gmm.ts';
export { dpSgdEpsilon, sampledGaussianRdp } from './dp.ts';
export type { DpAccount } from './dp.ts';
// Cold-start items: attribute-neighbour interaction synthesis (src/synth/cold-start.ts).
export { synthesizeColdStartInteractions, withSyntheticSequences, coldItemNeighbors, attributeIdf, weightedJaccard, DEFAULT_COLD_START_SYNTH } from './cold-start.ts';
export type { ColdStartSynthConfig, ColdStartSynthesis, SyntheticInteraction, ColdPlacement, AttributeNeighbor } from './cold-start.ts';
// Image synthesizers (DCGAN, conditional DCGAN, conv VAE, PNG grids): src/synth/image.
export { imageSynthesizers, createImageSynthesizer, loadImageSynthesizer, DcganSynthesizer, dcganConfigSchema, ConvVaeSynthesizer, convVaeConfigSchema, writeImageGrid, imageGridOf } from './image/index.ts';
export type { ImageSynthesizer, ImageSynthFitOptions, ImageSynthFitReport, ImageSampleOptions, ImageConditions, DcganConfig, ConvVaeConfig, ImageGridOptions } from './image/index.ts';
