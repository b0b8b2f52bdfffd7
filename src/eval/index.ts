export { hitRateAtK, ndcgAtK, meanReciprocalRank, mrrAtK, defaultMetrics, metricsFromRanks, DEFAULT_KS } from './metrics.ts';
export type { MetricSpec } from './metrics.ts';
export { fullRankingRanks, drawSampledCandidates, sampledRanks } from './ranking.ts';
export type { Scorer, HistoryExclusion, FullRankingOptions, SampledCandidates } from './ranking.ts';
export { meanStd, meanStdByMetric } from './stats.ts';
export { pairedTTest, pairedBootstrapCI, combineSeeds, relativeLift, studentTCdf, studentTTwoSidedP, studentTQuantile, regularizedIncompleteBeta, lnGamma } from './significance.ts';
export type { PairedTTestResult, BootstrapOptions, BootstrapResult } from './significance.ts';
export { segmentByHistoryLength, historyLengthLabels, segmentByTargetPopularity, headItems, segmentedLift } from './segments.ts';
export type { PopularitySegment, SegmentLift, SegmentVerdict, SegmentedLiftOptions } from './segments.ts';
