export { privacyReport, countExactCopies } from './tables.ts';
export type { TablePrivacyReport, TablePrivacyOptions, ExactCopies, DcrResult, DistanceSummary, MembershipInference } from './tables.ts';
export { sequencePrivacyReport, ItemSetIndex } from './sequences.ts';
export type { SequencePrivacyReport, SequencePrivacyOptions, NGramOverlap } from './sequences.ts';
export { fitDistanceSpace, nearestRecords } from './distance.ts';
export type { DistanceSpace, EncodedRecords, NearestResult } from './distance.ts';
