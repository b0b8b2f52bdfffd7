/**
 * Alignment: measure how far augmented/synthetic training sequences are from the real training
 * distribution, and choose/weight augmented samples so that they match it better.
 */
export type { AlignResult } from './common.ts';
export { distributionReport, transitionDivergences, METRIC_DIRECTIONS } from './distances.ts';
export type { DistributionReport, DistributionReportOptions, Divergences, TransitionDivergences, MetricName } from './distances.ts';
export { popularityMatchingResample, lengthMatchingResample, alignedTrainView, augmentedSamples } from './resample.ts';
export type { PopularityResampleOptions, PopularityResampleResult, LengthResampleOptions, LengthResampleResult } from './resample.ts';
export { discriminatorFilter, DISCRIMINATOR_FEATURES } from './discriminator.ts';
export type { DiscriminatorOptions, DiscriminatorResult } from './discriminator.ts';
