export { QUALITY_METRICS, metricValue } from './metric.ts';
export type { Direction, QualityMetricSpec, MetricValue, QualityMetricName } from './metric.ts';
export { frequencyProfileSimilarity } from './shapes.ts';
export { rareCategoryCoverage } from './rare.ts';
export type { RareCategory, RareCategoryReport } from './rare.ts';
export type { ColumnShape, IdColumnMode } from './shapes.ts';
export type { ColumnPairTrend, SkippedPair } from './pairs.ts';
export { detectionAuc, columnImportances, columnPairImportances } from './detection.ts';
export type { DetectionResult, DetectionOptions, DetectionImportance, DetectionTreeSettings, TreeFeatures } from './detection.ts';
export { logSpacedRanks, SEQUENCE_DETECTION_FEATURES } from './sequences.ts';
export type { SequenceFidelity, SequenceStats } from './sequences.ts';
export { trainOnSyntheticTestOnReal, logisticTask } from './utility.ts';
export type { UtilityTask, TaskMetric, TstrResult, LogisticTaskOptions } from './utility.ts';
export { qualityReport, sequenceQualityReport, utilityReport } from './report.ts';
export type {
  TableQualityReport,
  TableDetection,
  QualityReportOptions,
  SequenceQualityReport,
  SequenceQualityOptions,
  UtilityReport,
  UtilityReportOptions,
} from './report.ts';
