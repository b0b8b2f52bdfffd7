export { hitRateAtK, ndcgAtK, meanReciprocalRank, mrrAtK, defaultMetrics, metricsFromRanks, DEFAULT_KS, metrics, metricFromName } from './metrics.ts';
export type { MetricSpec, MetricEntry } from './metrics.ts';
export { DEFAULT_HISTORY_EXCLUSION, fullRankingRanks, drawSampledCandidates, sampledRanks } from './ranking.ts';
export type { Scorer, HistoryExclusion, FullRankingOptions, SampledCandidates } from './ranking.ts';
// Re-exported from src/stats for the evaluation layer's callers (experiments, CTR models, benches).
export { meanStd, pairedTTest, pairedBootstrapCI, rocAuc } from '../stats/index.ts';
export type { PairedTTestResult, BootstrapOptions, BootstrapResult } from '../stats/index.ts';
export { meanStdByMetric } from './stats.ts';
export { combineSeeds, describeSeedLevel, relativeLift, seedLevelTest } from './significance.ts';
export type { SeedLevelTest } from './significance.ts';
export { segmentByHistoryLength, historyLengthLabels, segmentByTargetPopularity, segmentByTargetCount, headItems, segmentedLift } from './segments.ts';
export type { PopularitySegment, SegmentLift, SegmentVerdict, SegmentedLiftOptions } from './segments.ts';
export { logLoss, AUC, LOG_LOSS } from './classification.ts';
export type { ClassificationMetricSpec } from './classification.ts';
export * from './quality/index.ts';
export * from './privacy/index.ts';
export { searchNdcgAtK, searchMrr, searchRmse, defaultSearchMetrics, defaultRelevanceThreshold, evaluateSearch, informativeGroups, rankedOrder, gainOf } from './search.ts';
export type { SearchMetricSpec, SearchEvaluation } from './search.ts';
export * from './images/index.ts';
