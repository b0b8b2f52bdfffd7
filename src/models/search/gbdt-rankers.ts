/**
 * The two tree rankers over the search features (features.ts), both on the one GBDT of
 * src/stats/gbdt.ts:
 *
 * - `lambdamart`: LambdaRank objective over query groups (NDCG-weighted pairwise lambdas);
 *   boosting stops when validation NDCG@10 has not improved for `patience` rounds and the model
 *   keeps the best round's trees. Scores are only comparable within a query.
 * - `gbdt-regression`: squared error on the labels (pointwise); stops on validation RMSE. Its
 *   scores are label predictions, so RMSE is meaningful (`predictsLabels`).
 *
 * Without validation groups every round is kept. Same seed + data ⇒ the same trees and scores.
 * The fit takes seconds, so it writes no checkpoints (`checkpointDir` is not used); a cancel is
 * honoured between trees.
 */
import { z } from 'zod';
import { InterruptedError, ModelStateError, parseWithSchema } from '../../core/index.ts';
import type { Product, QueryGroup } from '../../data/search/types.ts';
import { evaluateSearch, searchNdcgAtK, searchRmse } from '../../eval/search.ts';
import { type GbdtModel, type GbdtObjective, type GbdtTree, fitGbdt, gbdtFeatureGain, lambdaRank, loadGbdt, predictGbdt, predictGbdtTree, saveGbdt, squaredError } from '../../stats/gbdt.ts';
import { SEARCH_FEATURE_DEFAULTS, SearchFeatureExtractor, type SearchFeatureState, searchFeatureConfigSchema } from './features.ts';
import { notFitted, saveRankerJson } from './saved.ts';
import type { RankerFitInput, RankerQuery, SearchRanker } from './types.ts';

const treeFields = {
  numTrees: z.number().int().min(1).default(600),
  learningRate: z.number().positive().max(1).default(0.03),
  maxDepth: z.number().int().min(0).default(6),
  maxLeaves: z.number().int().min(2).default(31),
  minSamplesLeaf: z.number().int().min(1).default(100),
  lambda: z.number().min(0).default(10),
  subsample: z.number().gt(0).max(1).default(0.7),
  colsample: z.number().gt(0).max(1).default(0.5),
  maxBins: z.number().int().min(2).max(255).default(255),
  /** Rounds without a better validation score before boosting stops. */
  patience: z.number().int().min(1).default(40),
  features: searchFeatureConfigSchema.default(SEARCH_FEATURE_DEFAULTS),
};

export const lambdaMartConfigSchema = z
  .object({
    ...treeFields,
    /** NDCG truncation of the LambdaRank pairs. */
    truncation: z.number().int().min(0).default(10),
    sigma: z.number().positive().default(1),
  })
  .strict();
export const gbdtRegressionConfigSchema = z.object(treeFields).strict();
export type LambdaMartConfig = z.infer<typeof lambdaMartConfigSchema>;
export type GbdtRegressionConfig = z.infer<typeof gbdtRegressionConfigSchema>;
export const LAMBDAMART_DEFAULTS: LambdaMartConfig = lambdaMartConfigSchema.parse({});
export const GBDT_REGRESSION_DEFAULTS: GbdtRegressionConfig = gbdtRegressionConfigSchema.parse({});

export type GbdtRankerKind = 'lambdamart' | 'gbdt-regression';

interface GbdtRankerState {
  readonly features: SearchFeatureState;
  readonly model: string;
  readonly bestRounds: number;
  readonly validScore: number | null;
}

/** What a fit reports besides the model: the kept rounds, the validation score and the feature gains. */
export interface GbdtRankerReport {
  readonly rounds: number;
  readonly bestRounds: number;
  readonly validScore: number | null;
  readonly validMetric: string;
  readonly seconds: number;
  /** Of `seconds`: fitting the feature extractor and computing the training + validation features. */
  readonly featureSeconds: number;
  readonly featureGain: Readonly<Record<string, number>>;
}

export class GbdtRanker implements SearchRanker {
  readonly predictsLabels: boolean;
  readonly config: LambdaMartConfig | GbdtRegressionConfig;
  private features: SearchFeatureExtractor | null = null;
  private model: GbdtModel | null = null;
  private meta: { bestRounds: number; validScore: number | null } = { bestRounds: 0, validScore: null };
  /** Set by fit(). */
  report: GbdtRankerReport | null = null;

  constructor(
    readonly name: GbdtRankerKind,
    config: Readonly<Record<string, unknown>> = {},
  ) {
    this.config = parseWithSchema(name === 'lambdamart' ? lambdaMartConfigSchema : gbdtRegressionConfigSchema, config, { label: `${name} config` });
    this.predictsLabels = name === 'gbdt-regression';
  }

  async fit(input: RankerFitInput): Promise<void> {
    const t0 = performance.now();
    const c = this.config;
    const features = SearchFeatureExtractor.fit(input.train, input.products, input.labelScale, c.features, input.seed);
    const train = features.matrix(input.train, input.products);
    const labels = concatLabels(input.train);
    const valid = input.valid && input.valid.length > 0 ? input.valid : null;
    const validX = valid ? features.matrix(valid, input.products) : null;
    const featureSeconds = (performance.now() - t0) / 1000;
    const objective: GbdtObjective = this.name === 'lambdamart'
      ? lambdaRank({ truncation: (c as LambdaMartConfig).truncation, sigma: (c as LambdaMartConfig).sigma, labelMin: input.labelScale.min })
      : squaredError;
    const metric = this.name === 'lambdamart' ? searchNdcgAtK(10) : searchRmse;
    const sign = metric.direction === 'higher' ? 1 : -1;
    const progress = input.progress;
    progress?.line(`${this.name}: ${train.n} training pairs in ${input.train.length} queries, ${train.d} features${valid ? `, ${validX!.n} validation pairs` : ''}`);
    let validScores: Float64Array | null = null;
    let best = { rounds: 0, score: sign > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY };
    const afterTree = (round: number, tree: GbdtTree): boolean => {
      if (input.cancel?.cancelled) throw new InterruptedError(`${this.name}: interrupted after ${round} trees (the fit takes seconds; run it again)`);
      progress?.step?.(`${this.name}: trees`, round + 1, c.numTrees);
      if (!valid || !validX) return false;
      for (let i = 0; i < validX.n; i++) validScores![i]! += predictGbdtTree(tree, validX.X, i * validX.d);
      const score = evaluateSearch(valid, groupSlices(validScores!, validX.bounds), input.labelScale, [metric], true).means[metric.name]!;
      if (sign * score > sign * best.score) best = { rounds: round + 1, score };
      if ((round + 1) % 50 === 0) progress?.line(`${this.name}: ${round + 1} trees, valid ${metric.name} ${score.toFixed(4)} (best ${best.score.toFixed(4)} at ${best.rounds})`);
      return round + 1 - best.rounds >= c.patience;
    };
    const params = {
      numTrees: c.numTrees, learningRate: c.learningRate, maxDepth: c.maxDepth, maxLeaves: c.maxLeaves, minSamplesLeaf: c.minSamplesLeaf,
      lambda: c.lambda, subsample: c.subsample, colsample: c.colsample, maxBins: c.maxBins, seed: input.seed,
    };
    if (valid && validX) {
      // Validation rows start where the training rows do: the objective's starting score.
      const base = objective.initialScore({ labels, groups: train.bounds });
      validScores = new Float64Array(validX.n).fill(base);
    }
    const full = fitGbdt(train.X, train.n, train.d, { labels, groups: train.bounds }, params, objective, afterTree);
    const keep = valid ? Math.max(1, best.rounds) : full.trees.length;
    const model: GbdtModel = { ...full, trees: full.trees.slice(0, keep) };
    this.features = features;
    this.model = model;
    this.meta = { bestRounds: keep, validScore: valid ? best.score : null };
    const gain = gbdtFeatureGain(model);
    this.report = {
      rounds: full.trees.length, bestRounds: keep, validScore: this.meta.validScore, validMetric: metric.name, seconds: (performance.now() - t0) / 1000, featureSeconds,
      featureGain: Object.fromEntries(features.names.map((n, i) => [n, gain[i]!])),
    };
    progress?.line(`${this.name}: kept ${keep} of ${full.trees.length} trees${valid ? ` (valid ${metric.name} ${best.score.toFixed(4)})` : ''} in ${this.report.seconds.toFixed(1)} s`);
  }

  score(query: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array {
    if (!this.features || !this.model) throw notFitted(this.name);
    const X = this.features.features(query.query, query.productIds, products);
    return predictGbdt(this.model, X, query.productIds.length);
  }

  save(): string {
    if (!this.features || !this.model) throw notFitted(this.name);
    const state: GbdtRankerState = { features: this.features.state, model: saveGbdt(this.model), ...this.meta };
    return saveRankerJson(this.name, this.config, state);
  }

  static restore(name: GbdtRankerKind, config: Readonly<Record<string, unknown>>, state: unknown): GbdtRanker {
    const r = new GbdtRanker(name, config);
    const s = state as Partial<GbdtRankerState>;
    if (!s || typeof s.model !== 'string' || !s.features) throw new ModelStateError(`${name}: malformed saved state`);
    r.features = SearchFeatureExtractor.fromState(s.features);
    r.model = loadGbdt(s.model);
    if (r.model.numFeatures !== r.features.names.length) throw new ModelStateError(`${name}: saved trees use ${r.model.numFeatures} features, the extractor has ${r.features.names.length}`);
    r.meta = { bestRounds: s.bestRounds ?? r.model.trees.length, validScore: s.validScore ?? null };
    return r;
  }
}

/** Labels of every group, concatenated in group order. */
export function concatLabels(groups: readonly QueryGroup[]): Float64Array {
  let n = 0;
  for (const g of groups) n += g.labels.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const g of groups) {
    out.set(g.labels, at);
    at += g.labels.length;
  }
  return out;
}

/** Views of a stacked score vector, one per group (bounds as from SearchFeatureExtractor.matrix). */
export function groupSlices(scores: Float64Array, bounds: Int32Array): Float64Array[] {
  return Array.from({ length: bounds.length - 1 }, (_, g) => scores.subarray(bounds[g]!, bounds[g + 1]!));
}
