/**
 * Every number a quality or privacy report prints carries its metric's name, which direction is
 * better and its range, so a reader of results.json never has to guess whether 0.7 is good.
 */

export type Direction = 'higher' | 'lower';

export interface QualityMetricSpec {
  readonly name: string;
  readonly direction: Direction;
  /** [min, max]; null = unbounded (JSON has no Infinity). */
  readonly range: readonly [number | null, number | null];
  /** Where the best value is not an end of the range (detection and attack AUCs: 0.5). */
  readonly ideal?: number;
  readonly description: string;
}

/** One reported number, self-describing in JSON. */
export interface MetricValue {
  readonly metric: string;
  readonly value: number;
  readonly direction: Direction;
  readonly range: readonly [number | null, number | null];
  readonly ideal?: number;
}

const spec = (name: string, direction: Direction, range: readonly [number | null, number | null], description: string, ideal?: number): QualityMetricSpec =>
  ideal === undefined ? { name, direction, range, description } : { name, direction, range, description, ideal };

const UNIT: readonly [number, number] = [0, 1];

/** The metrics of the fidelity, utility and privacy reports, by name. */
export const QUALITY_METRICS = {
  KSComplement: spec('KSComplement', 'higher', UNIT, '1 − two-sample Kolmogorov–Smirnov statistic of a numerical/datetime column'),
  TVComplement: spec('TVComplement', 'higher', UNIT, '1 − total variation distance between category frequencies'),
  FrequencyProfileSimilarity: spec(
    'FrequencyProfileSimilarity',
    'higher',
    UNIT,
    'id column: 1 − TV between the sorted (descending) shares of rows per distinct id; compares how skewed the ids are, not which ids',
  ),
  ColumnShapes: spec('ColumnShapes', 'higher', UNIT, 'mean of the per-column shape scores'),
  CorrelationSimilarity: spec('CorrelationSimilarity', 'higher', UNIT, '1 − |ρ_real − ρ_synthetic| / 2 (Pearson, pairwise complete rows)'),
  ContingencySimilarity: spec('ContingencySimilarity', 'higher', UNIT, '1 − TV between joint frequency tables (numerical columns binned at quantiles of the real data)'),
  ColumnPairTrends: spec('ColumnPairTrends', 'higher', UNIT, 'mean of the per-pair trend scores'),
  AssociationError: spec(
    'AssociationError',
    'lower',
    UNIT,
    "mean |Cramér's V real − Cramér's V synthetic| over the pairs of categorical/boolean columns: how much categorical–categorical association is lost or invented",
    0,
  ),
  Overall: spec('Overall', 'higher', UNIT, 'mean of ColumnShapes and ColumnPairTrends'),
  RareCategoryCoverage: spec('RareCategoryCoverage', 'higher', UNIT, 'share of the real data\'s rare categories (share < 1 % of rows) that the synthetic rows produce at a rate within 2× of the real one'),
  DetectionAUC: spec(
    'DetectionAUC',
    'lower',
    [0.5, 1],
    'max(AUC, 1 − AUC) of cross-validated gradient-boosted trees telling real from synthetic rows: 0.5 = not separable, 1 = fully separable',
    0.5,
  ),
  LinearDetectionAUC: spec(
    'LinearDetectionAUC',
    'lower',
    [0.5, 1],
    'max(AUC, 1 − AUC) of a cross-validated logistic regression telling real from synthetic rows (sees no column combinations; a floor under DetectionAUC, not a second opinion)',
    0.5,
  ),
  LengthTVComplement: spec('LengthTVComplement', 'higher', UNIT, '1 − TV between sequence-length histograms'),
  LengthKSComplement: spec('LengthKSComplement', 'higher', UNIT, '1 − KS statistic between sequence-length distributions'),
  ItemPopularityTVComplement: spec('ItemPopularityTVComplement', 'higher', UNIT, '1 − TV between item frequency distributions'),
  HeadShareSimilarity: spec('HeadShareSimilarity', 'higher', UNIT, "1 − |head share real − head share synthetic|; head = the real data's most frequent 20 % of items"),
  TransitionTVComplement: spec('TransitionTVComplement', 'higher', UNIT, '1 − TV between first-order transition (a→b) distributions'),
  TransitionPrecision: spec('TransitionPrecision', 'higher', UNIT, 'share of synthetic transitions (by count) that occur in the real data'),
  TransitionRecall: spec('TransitionRecall', 'higher', UNIT, 'share of real transitions (by count) whose pair occurs in the synthetic data'),
  ItemCoverage: spec('ItemCoverage', 'higher', UNIT, 'share of items seen in the real data that occur in the synthetic data'),
  UnknownItemShare: spec('UnknownItemShare', 'lower', UNIT, 'share of synthetic interactions on items never seen in the real data'),
  SequenceFidelity: spec('SequenceFidelity', 'higher', UNIT, 'mean of LengthTVComplement, ItemPopularityTVComplement, TransitionTVComplement and ItemCoverage'),
  TSTRFraction: spec(
    'TSTRFraction',
    'higher',
    [0, null],
    'train-on-synthetic score / train-on-real score, both tested on real held-out data (for a lower-is-better task metric: real / synthetic); 1 = synthetic data is as useful as real',
    1,
  ),
  TSTRFractionAboveChance: spec(
    'TSTRFractionAboveChance',
    'higher',
    [null, null],
    '(synthetic − chance) / (real − chance): the share of the real model\u2019s gain over chance that the synthetic-trained model keeps',
    1,
  ),
  ExactCopyShare: spec('ExactCopyShare', 'lower', UNIT, 'share of synthetic rows (sequences) identical to some training row (sequence)'),
  DCR: spec('DCR', 'higher', UNIT, 'distance to the closest training record (mixed Gower distance in [0, 1]); larger = further from any real person'),
  ShareCloserThanHoldoutP5: spec(
    'ShareCloserThanHoldoutP5',
    'lower',
    UNIT,
    "share of synthetic rows closer to the training data than the real holdout's 5th-percentile DCR; a private generator sits near 0.05, copying pushes it up",
    0.05,
  ),
  DCRMedianRatio: spec('DCRMedianRatio', 'higher', [0, null], 'median DCR synthetic→train / median DCR holdout→train; ≥ 1 = no closer to training rows than unseen real rows', 1),
  NGramOverlap: spec('NGramOverlap', 'lower', UNIT, 'share of synthetic n-grams (by count) that occur in the training sequences; compare with the holdout baseline'),
  MembershipInferenceAUC: spec(
    'MembershipInferenceAUC',
    'lower',
    UNIT,
    'AUC of a distance attack (score = −distance to the nearest synthetic record) separating training members from real holdout non-members: 0.5 = the attack learns nothing',
    0.5,
  ),
  // Generated images (src/eval/images), all in the feature space of a classifier trained on the real training images.
  ImageFrechetDistance: spec('ImageFrechetDistance', 'lower', [0, null], 'Fréchet distance between Gaussians fitted to real-training and generated image features (FID-like, own classifier, not Inception); read it against the real-holdout baseline', 0),
  ImagePrecision: spec('ImagePrecision', 'higher', UNIT, 'share of generated images inside the k-NN ball of some real training image in feature space (fidelity; Kynkäänniemi et al. 2019)'),
  ImageRecall: spec('ImageRecall', 'higher', UNIT, 'share of real training images inside the k-NN ball of some generated image in feature space (diversity; Kynkäänniemi et al. 2019)'),
  ImageDensity: spec('ImageDensity', 'higher', [0, null], 'mean number of real k-NN balls holding a generated image, divided by k (Naeem et al. 2020); about 1 for real images', 1),
  ImageCoverage: spec('ImageCoverage', 'higher', UNIT, 'share of real training images whose k-NN ball holds at least one generated image (Naeem et al. 2020)'),
  NearCopySharePixel: spec('NearCopySharePixel', 'lower', UNIT, "share of generated images closer (RMS pixel distance) to a training image than the real holdout's p-th percentile nearest-training distance; about p for a generator that does not copy"),
  NearCopyShareFeature: spec('NearCopyShareFeature', 'lower', UNIT, "as NearCopySharePixel, in the classifier's feature space"),
  NearestTrainDistanceRatio: spec('NearestTrainDistanceRatio', 'higher', [0, null], 'median nearest-training RMS pixel distance of generated images / that of real holdout images; ≥ 1 = no closer to the training images than unseen real images', 1),
} as const satisfies Record<string, QualityMetricSpec>;

export type QualityMetricName = keyof typeof QUALITY_METRICS;

export function metricValue(name: QualityMetricName, value: number): MetricValue {
  const s: QualityMetricSpec = QUALITY_METRICS[name];
  return s.ideal === undefined
    ? { metric: s.name, value, direction: s.direction, range: s.range }
    : { metric: s.name, value, direction: s.direction, range: s.range, ideal: s.ideal };
}
