/**
 * samplify's root API: the few names a first program needs — read and split data, augment the
 * training part, fit a model, rank and score it, synthesize data, and the named errors. Everything
 * else is exported by its folder's subpath: samplify/core, samplify/data, samplify/augment,
 * samplify/synth, samplify/models, samplify/eval, samplify/align, samplify/nn, samplify/stats,
 * samplify/experiment (package.json "exports"). The CLI is a thin layer over the same library.
 */
export { Rng, SamplifyError, ConfigError, DataValidationError, ModelStateError, InterruptedError, isSamplifyError } from './core/index.ts';
export type { ErrorLocation, ProgressReporter } from './core/index.ts';
export { loadDataset, leaveOneOutSplit, readTable, detectMetadata } from './data/index.ts';
export type { SequenceDataset, SequentialSplit, TrainView, EvalCase, ReadReport, Table, TableMetadata } from './data/index.ts';
export { buildPipeline, loadPipeline, Pipeline, expandTrainView } from './augment/index.ts';
export type { PipelineSpec, ExpandTrainViewOptions } from './augment/index.ts';
export { createRecommender } from './models/index.ts';
export type { Recommender, ModelSpec } from './models/index.ts';
export { fullRankingRanks, metricsFromRanks, defaultMetrics, qualityReport } from './eval/index.ts';
export type { MetricSpec } from './eval/index.ts';
export { createSynthesizer, createSequenceSynthesizer } from './synth/index.ts';
export type { Synthesizer, SequenceSynthesizer } from './synth/index.ts';
