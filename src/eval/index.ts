export { hitRateAtK, ndcgAtK, meanReciprocalRank, mrrAtK, defaultMetrics, metricsFromRanks, DEFAULT_KS } from './metrics.ts';
export type { MetricSpec } from './metrics.ts';
export { fullRankingRanks, drawSampledCandidates, sampledRanks } from './ranking.ts';
export type { Scorer, HistoryExclusion, FullRankingOptions, SampledCandidates } from './ranking.ts';
export { meanStd } from './stats.ts';
