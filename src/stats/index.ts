/**
 * samplify/stats: the statistics every layer shares — special functions, the normal and Student-t
 * distributions, descriptive statistics, paired tests, distances between distributions, ROC AUC
 * seeded index sampling, a small logistic regression and gradient-boosted trees. Depends on core only.
 */
export { lnGamma, digamma, gammaP, regularizedIncompleteBeta } from './special.ts';
export { normPdf, normCdf, normPpf } from './normal.ts';
export { studentTCdf, studentTTwoSidedP, studentTQuantile } from './student-t.ts';
export { binCounts, meanStd, quantileSorted, pearson, summarize } from './descriptive.ts';
export { pairedTTest, pairedBootstrapCI } from './paired.ts';
export type { PairedTTestResult, BootstrapOptions, BootstrapResult } from './paired.ts';
export { ksStatistic, ksStatisticAgainstCdf, totalVariation, totalVariationMaps, tvDistance, klDivergence, jsDivergence, checkKlEpsilon, DEFAULT_KL_EPSILON } from './distances.ts';
export { rocAuc } from './auc.ts';
export { sampleIndices } from './sampling.ts';
export { symmetricEigenDecomposition, symmetricMatrixFunction } from './eigen.ts';
export type { SymmetricEigenDecomposition } from './eigen.ts';
export { discreteHermiteCoefficients, continuousCoefficients, scoreCorrelation, scoreCorrelationSlope, latentCorrelation, intervalMeans, nearestCorrelation, symmetricEigen, LATENT_SERIES_TERMS } from './latent-correlation.ts';
export { fitLogistic, predictLogistic } from './logistic.ts';
export type { LogisticModel, LogisticOptions } from './logistic.ts';
export { fitGbdt, predictGbdt, predictGbdtRow, predictGbdtTree, gbdtFeatureGain, gbdtPairGain, saveGbdt, loadGbdt, binaryLogistic, squaredError, lambdaRank, lambdaRankPairs, GBDT_DEFAULTS, LAMBDARANK_DEFAULTS } from './gbdt.ts';
export type { GbdtModel, GbdtParams, GbdtTree, GbdtObjective, GbdtTarget, GbdtAfterTree, LambdaRankOptions } from './gbdt.ts';
