/**
 * The search lift experiment: a query → product ranker trained on the real training queries
 * (baseline) and on the training queries expanded by each arm's text pipeline, with identical
 * settings and seeds; every arm is scored on the same unseen test queries (query-disjoint split),
 * compared with a paired test over per-query metrics (averaged over seeds) and a bootstrap CI,
 * overall and per segment (query frequency, query length, misspelled vs clean). Validation picks
 * the arm a user should ship; the test numbers of every arm are reported, not only the winner's.
 *
 * Leakage: the text resources (mined synonyms, brands, typo profile) are fitted on the training
 * groups and their products only; augmented queries that normalise to a validation or test query
 * are dropped before training (a test checks this can catch a leaking pipeline).
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, fingerprintHash, Rng, silentProgress, writeFileAtomic, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import {
  catalogueVocabulary,
  isLikelyMisspelled,
  loadSearchDataset,
  normalizeQuery,
  querySplit,
  inDistributionSplit,
  queryFrequencySegmenter,
  queryLengthSegment,
  searchDataFingerprint,
  SearchDatasetOptionsSchema,
  type SearchDatasetOptions,
  type Product,
  type QueryGroup,
  type SearchSplit,
} from '../data/search/index.ts';
import { augmentQueryGroups, fitTextResources, loadTextPipeline, textRng, type TextPipeline, type TextResources } from '../augment/text/index.ts';
import { searchRankers, type SearchRanker } from '../models/search/index.ts';
import { combineSeeds, defaultSearchMetrics, describeSeedLevel, seedLevelTest, type SeedLevelTest, evaluateSearch, informativeGroups, type SearchMetricSpec, meanStdByMetric, pairedBootstrapCI, pairedTTest, relativeLift, segmentedLift } from '../eval/index.ts';
import { fitTeacherCalibration, generateSyntheticPairs, scoreCalibrationKindSchema, syntheticPairsConfigSchema, type SyntheticPairsReport, type TextGenerator } from '../llm/index.ts';
import { parseWithSchema, runEnvironment } from './config.ts';
import { claimRun, inProcessExecutor, readRunResult, writeRunResult, type SharedFit, type UnitExecutor, type UnitOutcome, type WorkUnit } from './run-store.ts';
import { reportRejections } from './read-summary.ts';
import { defaultTextGenerators, refineTextGeneratorSpec } from './text-generators.ts';

// ------------------------------------------------------------------ config

const pipelineRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

const rankerSpec = (defaultName: string) =>
  z
    .object({ name: z.string().min(1).default(defaultName), config: z.record(z.string(), z.unknown()).default({}) })
    .strict()
    .superRefine((r, ctx) => searchRankers.refine(r.name, r.config, ctx, ['name'], ['config']))
    .default({ name: defaultName, config: {} });

/**
 * The ranker that filters and grades synthetic pairs. Without `calibration` its scores are the labels
 * (it must predict labels, e.g. gbdt-regression); with one, any ranker can teach — K-NRM grading its
 * own pairs — through a monotone score → label map fitted on its scores of the real training pairs.
 * `sees: train` fits it on the training pairs only (no early stopping on validation), so nothing it
 * contributes depends on a held-out label; absent, it early-stops on validation as the arm's ranker does.
 */
const teacherSpec = z
  .object({
    name: z.string().min(1).default('gbdt-regression'),
    config: z.record(z.string(), z.unknown()).default({}),
    calibration: scoreCalibrationKindSchema.optional(),
    sees: z.enum(['train', 'train+validation']).optional(),
  })
  .strict()
  .superRefine((r, ctx) => searchRankers.refine(r.name, r.config, ctx, ['name'], ['config']))
  .default({ name: 'gbdt-regression', config: {} });

/**
 * Synthetic pairs (doc2query / InPars style): a text generator writes queries for training products,
 * filtered by BM25 round trip and a teacher ranker fitted on the real training pairs, which also grades them.
 */
const generateSchema = z
  .object({
    /** A text generator by name (embedded | openai-compatible | llama-cpp) with its own config. */
    generator: z
      .object({ name: z.string().min(1).default('embedded'), config: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .superRefine((g, ctx) => refineTextGeneratorSpec(g, ctx))
      .default({ name: 'embedded', config: {} }),
    pairs: syntheticPairsConfigSchema.default(syntheticPairsConfigSchema.parse({})),
    /** The relevance model that filters and grades synthetic pairs: it predicts labels, or is calibrated to. */
    teacher: teacherSpec,
  })
  .strict();

/** How a search table is split into train / validation / test: the `split` block of a search config. */
export const searchSplitSchema = z
  .object({
    /** query: no query (after normalisation) in two parts; in-distribution: rows of a query spread over the parts. */
    kind: z.enum(['query', 'in-distribution']).default('query'),
    seed: z.number().int().min(0).default(0),
    train: z.number().min(0).max(1).default(0.8),
    valid: z.number().min(0).max(1).default(0.1),
    test: z.number().min(0).max(1).default(0.1),
    /**
     * Keep only this many training queries (a seeded sample of the training part; validation
     * and test stay whole): the scarce-label regime, where expansion matters most.
     */
    maxTrainQueries: z.number().int().min(1).optional(),
  })
  .strict();
export type SearchSplitConfig = z.infer<typeof searchSplitSchema>;

const searchArmSchema = z
  .object({
    name: z.string().min(1),
    /** Text pipeline (file relative to the config, or inline) applied to the training queries. */
    pipeline: pipelineRef.optional(),
    /** Synthetic (query, product, label) groups added to the training groups (with or without a pipeline). */
    generate: generateSchema.optional(),
    /** Augmented copies tried per training query (a copy equal to an existing query is dropped). */
    views: z.number().int().min(1).max(20).default(1),
    /**
     * refuse: every step must be meaning-preserving (the copy keeps the query's products and labels);
     * negatives: meaning-changing steps are allowed and such a copy gets the scale's minimum label.
     */
    meaningChanging: z.enum(['refuse', 'negatives']).default('refuse'),
    /**
     * What the pipeline rewrites: the training queries (new query groups), or the titles of the
     * products the training queries judged (each training group is added again over augmented
     * copies of its products, same query and labels).
     */
    target: z.enum(['queries', 'titles']).default('queries'),
  })
  .strict()
  .refine((a) => a.target === 'queries' || a.meaningChanging === 'refuse', {
    message: 'title augmentation keeps the labels of the pairs, so its steps must be meaning-preserving (meaningChanging: refuse)',
    path: ['meaningChanging'],
  })
  .refine((a) => a.pipeline !== undefined || a.generate !== undefined, { message: 'an arm needs a pipeline, a generate block, or both', path: ['pipeline'] });

export const searchExperimentSchema = z
  .object({
    task: z.literal('search'),
    name: z.string().min(1).default('search-experiment'),
    /** The search table: { path, format: homedepot | crowdflower | search-log, … } (see docs/guide/search-data.md). */
    data: z.object({ path: z.string().min(1) }).catchall(z.unknown()),
    split: searchSplitSchema.default({ kind: 'query', seed: 0, train: 0.8, valid: 0.1, test: 0.1 }),
    /** The ranker every arm trains; its config is checked against the ranker's own schema. */
    ranker: rankerSpec('lambdamart'),
    /** Text resources fitted on the training split: mined synonyms and brands, plus user files. */
    resources: z
      .object({
        mineSynonyms: z.boolean().default(true),
        synonymsFile: z.string().min(1).optional(),
        brandsFile: z.string().min(1).optional(),
      })
      .strict()
      .default({ mineSynonyms: true }),
    seeds: z.number().int().min(1).max(100).default(3),
    /** Metric of the significance test, the headline lift and the validation choice. */
    metric: z.enum(['NDCG@10', 'NDCG@5', 'MRR']).default('NDCG@10'),
    bootstrap: z.object({ resamples: z.number().int().min(100).max(100000).default(1000) }).strict().default({ resamples: 1000 }),
    arms: z.array(searchArmSchema).min(1),
    out: z.string().min(1).optional(),
  })
  .strict();

export type SearchExperimentConfig = z.infer<typeof searchExperimentSchema>;
export type SearchArmConfig = z.infer<typeof searchArmSchema>;

/** True when a raw experiment config is a search experiment (`task: search`). */
export function isSearchExperimentConfig(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && (raw as { task?: unknown }).task === 'search';
}

export function parseSearchExperimentConfig(raw: unknown, file?: string): SearchExperimentConfig {
  const config = parseWithSchema(searchExperimentSchema, raw, file);
  searchReaderOptions(config, file);
  const { train, valid, test } = config.split;
  if (Math.abs(train + valid + test - 1) > 1e-9) throw new ConfigError(`split fractions must sum to 1, got ${train} + ${valid} + ${test}`, { field: 'split', ...(file !== undefined ? { file } : {}) });
  return config;
}

/** The reader options of the config's data block (everything but `path`), checked by the readers' schema. */
export function searchReaderOptions(config: SearchExperimentConfig, file?: string): SearchDatasetOptions {
  const { path: _path, ...rest } = config.data;
  return parseWithSchema(SearchDatasetOptionsSchema, rest, { prefix: ['data'], ...(file !== undefined ? { file } : {}) });
}

/** Builds every arm's pipeline without data: a bad step is a ConfigError naming the file and step. */
export function checkSearchPipelines(config: SearchExperimentConfig, baseDir: string): Map<string, TextPipeline> {
  const out = new Map<string, TextPipeline>();
  for (const arm of config.arms) {
    if (arm.pipeline === undefined) continue;
    const { pipeline } = loadTextPipeline(arm.pipeline, { baseDir });
    if (arm.meaningChanging === 'refuse') pipeline.requireLabelPreserving();
    out.set(arm.name, pipeline);
  }
  return out;
}

// ------------------------------------------------------------------ results

export interface SearchArmSummary {
  readonly name: string;
  readonly pipeline: unknown;
  readonly views: number;
  /** Training query groups (real + added) and how many the arm added. */
  readonly trainQueries: number;
  readonly addedQueries: number;
  /** Augmented queries dropped because they normalise to a validation or test query. */
  readonly droppedHeldOut: number;
  /** Synthetic pairs of a generate arm (first seed's accounting). */
  readonly synthetic: SyntheticSummary | null;
  readonly test: Record<string, number>;
  readonly testStd: Record<string, number>;
  readonly valid: Record<string, number>;
  readonly lift: Record<string, number> | null;
  readonly significance: { readonly metric: string; readonly tTest: ReturnType<typeof pairedTTest>; readonly bootstrap: ReturnType<typeof pairedBootstrapCI>; readonly seeds: SeedLevelTest } | null;
  readonly segments: Record<string, unknown> | null;
}

/** What a generate arm's seed produced: the synthetic pairs' accounting (the examples and alignment live in its own file). */
interface SyntheticSummary {
  readonly requested: number;
  readonly kept: number;
  readonly pairs: number;
  readonly dropped: SyntheticPairsReport['dropped'];
  readonly file: string;
}

interface SeedRun {
  readonly valid: Record<string, number>;
  readonly test: Record<string, number>;
  /** Per evaluated test query, per metric (aligned with informativeGroups(split.test)). */
  readonly perQuery: Record<string, number[]>;
  readonly fitSeconds: number;
  readonly trainQueries: number;
  readonly addedQueries: number;
  readonly droppedHeldOut: number;
  readonly synthetic?: SyntheticSummary;
}

/** What a text generator is built from inside an experiment (the embedded one is fitted on the training split). */
export interface TextGeneratorContext {
  readonly split: SearchSplit;
  /** Every product the training part judged (before maxTrainQueries): catalogue text a generator may learn from. */
  readonly catalogueIds: readonly string[];
  /** The experiment's folder: fitted generators and the generation cache live under it. */
  readonly out: string;
  readonly baseDir: string;
  readonly progress: ProgressReporter;
  readonly cancel?: CancelToken;
}

/** Builds (or fits) the text generator an arm names. One per distinct spec, shared by that spec's arms and seeds. */
export type TextGeneratorFactory = (spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, context: TextGeneratorContext) => Promise<TextGenerator>;

export interface SearchExperimentOptions {
  readonly config: SearchExperimentConfig;
  readonly baseDir: string;
  readonly out: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** How arms' generators are made; defaults to the registry of text generators with the on-disk cache. */
  readonly generators?: TextGeneratorFactory;
  /** Where the (arm, seed) units run (default: here, in order). */
  readonly executor?: UnitExecutor;
}

export interface SearchExperimentResult {
  readonly arms: SearchArmSummary[];
  /** The arm with the best validation metric (mean over seeds), baseline included. */
  readonly selected: string;
  readonly table: string;
}

/** The training groups of an arm: the real ones plus augmented queries that do not hit a held-out query. */
export function armTrainingGroups(split: SearchSplit, pipeline: TextPipeline, arm: SearchArmConfig, resources: TextResources, seed: number): ArmTraining {
  if (arm.target === 'titles') return titleViewGroups(split, pipeline, arm, resources, seed);
  const augmented = augmentQueryGroups(split.train, pipeline, {
    seed,
    views: arm.views,
    context: resources,
    meaningChanging: arm.meaningChanging,
    ...(arm.meaningChanging === 'negatives' ? { negativeLabel: split.labelScale.min } : {}),
  });
  const heldOut = new Set([...split.valid, ...split.test].map((g) => g.key));
  const kept = augmented.filter((g) => !heldOut.has(normalizeQuery(g.query)));
  return { groups: [...split.train, ...kept], added: kept.length, droppedHeldOut: augmented.length - kept.length };
}

/** An arm's training data: groups, and the catalogue when the arm adds products (title copies). */
export interface ArmTraining {
  readonly groups: QueryGroup[];
  readonly products?: ReadonlyMap<string, Product>;
  readonly added: number;
  readonly droppedHeldOut: number;
  readonly synthetic?: SyntheticSummary;
}

/**
 * Title augmentation: every product a training query judged gets `views` augmented title copies
 * (seeded per product, so a product's copy is the same in every group), and every training group
 * is added again over the copies, with its query and labels. Held-out groups never see a copy.
 */
function titleViewGroups(split: SearchSplit, pipeline: TextPipeline, arm: SearchArmConfig, resources: TextResources, seed: number): ArmTraining {
  pipeline.requireLabelPreserving('augment the titles of judged products');
  pipeline.validate(resources);
  const products = new Map(split.products);
  const copyId = (id: string, v: number): string => {
    const aid = `${id}#title-view-${v}`;
    if (split.products.has(aid)) throw new ConfigError(`product id '${aid}' exists in the data, so title copies cannot be named after it`, { field: 'productId' });
    return aid;
  };
  const groups: QueryGroup[] = [];
  for (let v = 0; v < arm.views; v++) {
    for (const g of split.train) {
      const ids = g.productIds.map((id) => {
        const aid = copyId(id, v);
        if (!products.has(aid)) {
          const p = split.products.get(id)!;
          const title = pipeline.augment(p.title, resources, textRng(seed, `title:${id}`, v))[0]!.output;
          products.set(aid, { ...p, id: aid, title });
        }
        return aid;
      });
      groups.push({ query: g.query, key: g.key, productIds: ids, labels: g.labels.slice() });
    }
  }
  return { groups: [...split.train, ...groups], products, added: groups.length, droppedHeldOut: 0 };
}

/**
 * The split a search config asks for: `full` as split, and `split` with the training part cut to
 * `maxTrainQueries` (the same object as `full` when nothing is cut). The run and its dry run both
 * call this, so they can never plan one split and train on another.
 */
export function searchSplitOf(config: SearchSplitConfig, dataset: Parameters<typeof querySplit>[0]): { full: SearchSplit; split: SearchSplit } {
  const fractions = { train: config.train, valid: config.valid, test: config.test };
  const full = config.kind === 'query' ? querySplit(dataset, { seed: config.seed, fractions }) : inDistributionSplit(dataset, { seed: config.seed, fractions });
  const cut = config.maxTrainQueries !== undefined && config.maxTrainQueries < full.train.length;
  return { full, split: cut ? { ...full, train: sampleGroups(full.train, config.maxTrainQueries!, config.seed) } : full };
}

/** Text resources fitted on the (kept) training groups only, plus the user's files named in the config. */
export function searchResourcesOf(config: SearchExperimentConfig, split: SearchSplit, baseDir: string): TextResources {
  return fitTextResources(split.train, split.products, {
    mineSynonyms: config.resources.mineSynonyms,
    ...(config.resources.synonymsFile ? { synonymsFile: resolve(baseDir, config.resources.synonymsFile) } : {}),
    ...(config.resources.brandsFile ? { brandsFile: resolve(baseDir, config.resources.brandsFile) } : {}),
  });
}

/** `n` groups drawn without replacement (seeded), in their original order: the scarce-label training part. */
function sampleGroups(groups: readonly QueryGroup[], n: number, seed: number): QueryGroup[] {
  const idx = Int32Array.from(groups.keys());
  new Rng(seed).split('max-train-queries').shuffle(idx);
  return Array.from(idx.subarray(0, n))
    .sort((a, b) => a - b)
    .map((i) => groups[i]!);
}

/** Scores every group of `groups` with a fitted ranker. */
function scoreGroups(ranker: SearchRanker, groups: readonly QueryGroup[], products: ReadonlyMap<string, Product>): Float64Array[] {
  return groups.map((g) => ranker.score({ query: g.query, productIds: g.productIds }, products));
}

/** How one unit of a search experiment runs: who keeps workers apart, where its lines go. */
export interface SearchUnitOptions {
  readonly claims: UnitExecutor['claims'];
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/**
 * A search experiment ready to run: its (arm, seed) units, the code that runs one (here, or in a
 * queue worker that prepared the same experiment from the same config), and the aggregation that
 * reads every unit's record from the store into results.json.
 */
export interface PreparedSearchExperiment {
  readonly units: readonly WorkUnit[];
  /** The text generators the generate arms share (one per distinct spec): a queue fits each once, before its units, which then load it. */
  readonly fits: readonly SharedFit[];
  /** Builds (fits, for the embedded generator) one shared generator here; it is saved under the store, where units load it. */
  runFit(key: string, o: { progress?: ProgressReporter; cancel?: CancelToken }): Promise<void>;
  runUnit(unit: WorkUnit, u: SearchUnitOptions): Promise<UnitOutcome>;
  /** results.json, results.csv and the table from the stored unit records; `pending` names units not finished yet. */
  aggregate(): SearchExperimentResult & { readonly pending?: readonly string[] };
  /** Releases the arms' text generators (HTTP clients, model files). */
  close(): Promise<void>;
}

export function searchUnitKey(arm: string, seed: number): string {
  return `${arm}/seed${seed}`;
}

/**
 * The search lift experiment: the baseline ranker trained on the real training queries and each
 * arm's ranker trained on them plus the arm's added queries (augmented or generated), identical
 * seeds, selection on validation only, paired tests over the test queries. Each (arm, seed) is a
 * unit of work in the run store; the executor decides where units run (here by default).
 */
export async function runSearchExperiment(o: SearchExperimentOptions): Promise<SearchExperimentResult & { readonly pending?: readonly string[] }> {
  const prepared = await prepareSearchExperiment(o);
  const executor = o.executor ?? inProcessExecutor;
  try {
    let done = 0;
    await executor.execute(
      prepared.units,
      async (unit) => {
        const outcome = await prepared.runUnit(unit, { claims: executor.claims, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
        o.progress?.step?.('experiment: (arm, seed) runs', ++done, prepared.units.length);
        return outcome;
      },
      prepared.fits,
    );
    return prepared.aggregate();
  } finally {
    await prepared.close();
  }
}

export async function prepareSearchExperiment(o: SearchExperimentOptions): Promise<PreparedSearchExperiment> {
  const { config } = o;
  const progress = o.progress ?? silentProgress;
  const startedAt = performance.now();
  const dataset = await loadSearchDataset(resolve(o.baseDir, config.data.path), searchReaderOptions(config));
  const report = dataset.report;
  progress.line(`read ${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`);
  reportRejections(report, progress);
  const { full, split } = searchSplitOf(config.split, dataset);
  if (split !== full) progress.line(`scarce labels: ${split.train.length} of ${full.train.length} training queries kept (maxTrainQueries, seed ${config.split.seed})`);
  progress.line(`${config.split.kind === 'query' ? 'query-disjoint' : 'in-distribution'} split (seed ${config.split.seed}): ${split.train.length} train / ${split.valid.length} validation / ${split.test.length} test queries`);
  const pipelines = checkSearchPipelines(config, o.baseDir);
  const resources = searchResourcesOf(config, split, o.baseDir);
  const dataKey = searchDataFingerprint([...split.train, ...split.valid, ...split.test], split.products, split.labelScale);
  const seeds = Array.from({ length: config.seeds }, (_, i) => i);
  // Ranking metrics only mean something where a query's products differ in label; a query whose
  // products all share one label scores 1 whatever the order, and would only dilute every difference.
  const validGroups = informativeGroups(split.valid);
  const testGroups = informativeGroups(split.test);
  progress.line(`evaluated on queries with at least two distinct labels: ${validGroups.length} validation, ${testGroups.length} test`);

  const probe = searchRankers.create(config.ranker.name, config.ranker.config);
  const specs: SearchMetricSpec[] = defaultSearchMetrics(probe.predictsLabels);
  const names = specs.map((s) => s.name);
  const spec = specs.find((s) => s.name === config.metric)!;

  // Products the training part judged, before maxTrainQueries: the unlabelled catalogue a generator may write for.
  const catalogueIds = [...new Set(full.train.flatMap((g) => g.productIds))];
  const generatorFactory = o.generators ?? defaultTextGenerators;
  const generators = new Map<string, Promise<TextGenerator>>();
  const generatorFor = (spec: { name: string; config: Record<string, unknown> }, uProgress: ProgressReporter, cancel: CancelToken | undefined): Promise<TextGenerator> => {
    const k = JSON.stringify(spec);
    const known = generators.get(k);
    if (known !== undefined) return known;
    const made = generatorFactory(spec, { split, catalogueIds, out: o.out, baseDir: o.baseDir, progress: uProgress, ...(cancel ? { cancel } : {}) });
    generators.set(k, made);
    return made;
  };

  /** What each arm trains on for a seed, and the key its records are fingerprinted with. */
  interface ArmPlan {
    readonly arm: SearchArmConfig | null;
    readonly key: unknown;
    readonly train: (seed: number, u: SearchUnitOptions) => Promise<ArmTraining>;
  }
  const plans = new Map<string, ArmPlan>();
  plans.set('baseline', { arm: null, key: 'baseline', train: async () => ({ groups: [...split.train], added: 0, droppedHeldOut: 0 }) });
  for (const arm of config.arms) {
    const pipeline = pipelines.get(arm.name);
    const key = {
      ...(pipeline ? { pipeline: pipeline.toJSON(), views: arm.views, meaningChanging: arm.meaningChanging, ...(arm.target !== 'queries' ? { target: arm.target } : {}) } : {}),
      ...(arm.generate ? { generate: arm.generate } : {}),
    };
    const train = async (seed: number, u: SearchUnitOptions): Promise<ArmTraining> => {
      const uProgress = u.progress ?? silentProgress;
      const base: ArmTraining = pipeline ? armTrainingGroups(split, pipeline, arm, resources, seed) : { groups: [...split.train], added: 0, droppedHeldOut: 0 };
      if (!arm.generate) return base;
      const gen = arm.generate;
      const teacher = searchRankers.create(gen.teacher.name, gen.teacher.config);
      const teacherValid = gen.teacher.sees === 'train' ? [] : split.valid;
      await teacher.fit({ train: split.train, valid: teacherValid, products: split.products, labelScale: split.labelScale, seed, progress: silentProgress, ...(u.cancel ? { cancel: u.cancel } : {}) });
      // The calibration is fitted on the training pairs only, whatever the teacher saw.
      const calibration = gen.teacher.calibration ? fitTeacherCalibration(teacher, split.train, split.products, gen.teacher.calibration, split.labelScale) : undefined;
      const generator = await generatorFor(gen.generator, uProgress, u.cancel);
      uProgress.line(`   ${arm.name}, seed ${seed}: generating queries with ${generator.provider} (${generator.model})`);
      const made = await generateSyntheticPairs({
        generator,
        train: split.train,
        heldOut: [...split.valid, ...split.test],
        catalogueIds,
        products: split.products,
        labelScale: split.labelScale,
        teacher,
        ...(calibration ? { calibration } : {}),
        config: gen.pairs,
        seed,
        ...(u.cancel ? { cancel: u.cancel } : {}),
      });
      const file = join('arms', arm.name, `synthetic-seed${seed}.json`);
      writeJsonAtomic(join(o.out, file), made.report);
      const r = made.report;
      uProgress.line(`   ${arm.name}, seed ${seed}: ${r.kept} of ${r.requested} generated queries kept (${Object.entries(r.dropped).map(([k, v]) => `${v} ${k}`).join(', ') || 'none dropped'})`);
      return {
        ...base,
        groups: [...base.groups, ...made.groups],
        added: base.added + made.groups.length,
        droppedHeldOut: base.droppedHeldOut + (r.dropped['equals-held-out-query'] ?? 0),
        synthetic: { requested: r.requested, kept: r.kept, pairs: r.pairs, dropped: r.dropped, file },
      };
    };
    plans.set(arm.name, { arm, key, train });
  }
  const recordPath = (arm: string, seed: number): string => join(o.out, 'arms', arm, `seed${seed}.json`);
  const fingerprintOf = (plan: ArmPlan, seed: number): unknown => ({ data: dataKey, split: config.split, ranker: config.ranker, resources: config.resources, arm: plan.key, seed });
  const units: WorkUnit[] = [...plans.keys()].flatMap((arm) => seeds.map((seed) => ({ key: searchUnitKey(arm, seed), arm, seed })));

  const runUnit = async (unit: WorkUnit, u: SearchUnitOptions): Promise<UnitOutcome> => {
    const plan = plans.get(unit.arm);
    if (!plan) throw new ConfigError(`the experiment has no arm '${unit.arm}' (arms: ${[...plans.keys()].join(', ')})`, { field: 'arm' });
    if (!seeds.includes(unit.seed)) throw new ConfigError(`seed ${unit.seed} is not one of the experiment's seeds 0…${seeds.length - 1}`, { field: 'seed' });
    const uProgress = u.progress ?? silentProgress;
    const { arm: armName, seed } = unit;
    const path = recordPath(armName, seed);
    const fingerprint = fingerprintOf(plan, seed);
    if (readRunResult<SeedRun>(path, fingerprint)) {
      uProgress.line(`── ${armName}, seed ${seed}: finished earlier (${path})`);
      return 'done';
    }
    // Processes sharing the folder claim a unit with a lock file; under a queue the job is the claim.
    const lock = u.claims === 'store-locks' ? claimRun(`${path}.lock`) : undefined;
    if (lock === null) {
      uProgress.line(`── ${armName}, seed ${seed}: another worker is training it; skipped here`);
      return 'pending';
    }
    try {
      if (readRunResult<SeedRun>(path, fingerprint)) return 'done';
      const made = await plan.train(seed, u);
      uProgress.line(`── ${armName}, seed ${seed}: ${made.groups.length} training query groups (${made.added} added${made.products ? ', over augmented title copies' : ''}${made.droppedHeldOut ? `, ${made.droppedHeldOut} dropped: equal to a held-out query` : ''})`);
      const ranker = searchRankers.create(config.ranker.name, config.ranker.config);
      const t0 = performance.now();
      await ranker.fit({
        train: made.groups,
        valid: split.valid,
        products: made.products ?? split.products,
        labelScale: split.labelScale,
        seed,
        checkpointDir: join(o.out, 'arms', armName, `checkpoints-seed${seed}`),
        progress: uProgress,
        ...(u.cancel ? { cancel: u.cancel } : {}),
      });
      const fitSeconds = (performance.now() - t0) / 1000;
      const valid = evaluateSearch(validGroups, scoreGroups(ranker, validGroups, split.products), split.labelScale, specs);
      const test = evaluateSearch(testGroups, scoreGroups(ranker, testGroups, split.products), split.labelScale, specs);
      const run: SeedRun = {
        valid: valid.means,
        test: test.means,
        perQuery: Object.fromEntries(Object.entries(test.perQuery).map(([k, v]) => [k, Array.from(v)])),
        fitSeconds,
        trainQueries: made.groups.length,
        addedQueries: made.added,
        droppedHeldOut: made.droppedHeldOut,
        ...(made.synthetic ? { synthetic: made.synthetic } : {}),
      };
      writeRunResult(path, fingerprint, run);
      uProgress.line(`   ${armName}, seed ${seed}: valid ${config.metric} ${valid.means[config.metric]!.toFixed(4)}, test ${test.means[config.metric]!.toFixed(4)} (fit ${fitSeconds.toFixed(1)} s)`);
      return 'done';
    } finally {
      lock?.release();
    }
  };

  const aggregate = (): SearchExperimentResult & { readonly pending?: readonly string[] } => {
    const armRuns: { name: string; arm: SearchArmConfig | null; runs: SeedRun[] }[] = [];
    const pending: string[] = [];
    for (const [name, plan] of plans) {
      const runs: SeedRun[] = [];
      for (const seed of seeds) {
        const saved = readRunResult<SeedRun>(recordPath(name, seed), fingerprintOf(plan, seed));
        if (saved) runs.push(saved.result);
        else pending.push(searchUnitKey(name, seed));
      }
      armRuns.push({ name, arm: plan.arm, runs });
    }
    if (pending.length > 0) {
      const note = `${pending.length} run(s) are not finished (${pending.join(', ')}); run the same command again when they are to aggregate`;
      progress.line(note);
      return { arms: [], selected: 'baseline', table: note, pending };
    }
    return aggregateSearch(armRuns);
  };

  const aggregateSearch = (armRuns: readonly { name: string; arm: SearchArmConfig | null; runs: SeedRun[] }[]): SearchExperimentResult => {
    const baselineRuns = armRuns[0]!.runs;
    // Segments of the test queries, from training statistics only.
    const frequency = queryFrequencySegmenter(split.train);
    const vocabulary = catalogueVocabulary([...new Set(split.train.flatMap((g) => g.productIds))].map((id) => split.products.get(id)!));
    const segmentLabels = {
      queryFrequency: testGroups.map((g) => frequency.segment(g)),
      queryLength: testGroups.map((g) => queryLengthSegment(g.query)),
      spelling: testGroups.map((g) => (isLikelyMisspelled(g.query, vocabulary) ? 'misspelled' : 'clean')),
    };
    const perQuery = (runs: readonly SeedRun[]): Float64Array => combineSeeds(runs.map((r) => Float64Array.from(r.perQuery[spec.name]!)));
    const baseVec = perQuery(baselineRuns);
    const baseMean = meanStdByMetric(baselineRuns.map((r) => r.test), names).mean;
    const arms: SearchArmSummary[] = armRuns.map(({ name, arm, runs }) => {
      const t = meanStdByMetric(runs.map((r) => r.test), names);
      const v = meanStdByMetric(runs.map((r) => r.valid), names);
      let lift: SearchArmSummary['lift'] = null;
      let significance: SearchArmSummary['significance'] = null;
      let segments: SearchArmSummary['segments'] = null;
      if (arm) {
        lift = Object.fromEntries(specs.map((m) => [m.name, relativeLift(baseMean[m.name]!, t.mean[m.name]!, m.direction)]));
        const vec = perQuery(runs);
        significance = {
          metric: spec.name,
          tTest: pairedTTest(baseVec, vec),
          bootstrap: pairedBootstrapCI(baseVec, vec, { resamples: config.bootstrap.resamples, seed: 0, confidence: 0.95 }),
          // runs[i] is seed seeds[i] in every arm (aggregation waits for every run).
          seeds: seedLevelTest(baselineRuns.map((r) => r.test[spec.name]!), runs.map((r) => r.test[spec.name]!), spec.direction),
        };
        segments = {
          queryFrequency: segmentedLift(baseVec, vec, segmentLabels.queryFrequency, spec, { order: ['head', 'torso', 'tail'] }),
          queryLength: segmentedLift(baseVec, vec, segmentLabels.queryLength, spec, { order: [...new Set(segmentLabels.queryLength)].sort() }),
          spelling: segmentedLift(baseVec, vec, segmentLabels.spelling, spec, { order: ['clean', 'misspelled'] }),
        };
      }
      return {
        name,
        pipeline: arm && pipelines.has(arm.name) ? pipelines.get(arm.name)!.toJSON() : null,
        views: arm?.views ?? 0,
        trainQueries: runs[0]!.trainQueries,
        addedQueries: runs[0]!.addedQueries,
        droppedHeldOut: runs[0]!.droppedHeldOut,
        synthetic: runs[0]!.synthetic ?? null,
        test: t.mean,
        testStd: t.std,
        valid: v.mean,
        lift,
        significance,
        segments,
      };
    });
    // Wall-clock fit times go to stages.json, so results.json is byte-identical across reruns and queue runs.
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const fitTimes = armRuns.map(({ name, runs }) => ({ arm: name, fitSeconds: mean(runs.map((r) => r.fitSeconds)), perSeed: runs.map((r, i) => ({ seed: seeds[i]!, fitSeconds: r.fitSeconds })) }));
    const selected = arms.reduce((best, a) => (a.valid[spec.name]! > best.valid[spec.name]! ? a : best), arms[0]!).name;
    const table = searchLiftTable(arms, spec.name, names, selected);
    writeJsonAtomic(join(o.out, 'results.json'), {
      kind: 'search-lift',
      name: config.name,
      config,
      dataset: { name: dataset.name, file: config.data.path, rowsIn: report.rowsIn, rowsKept: report.rowsKept, rowsRejected: report.rowsRejected, fingerprint: dataKey },
      split: { kind: config.split.kind, seed: config.split.seed, train: split.train.length, valid: split.valid.length, test: split.test.length, evaluatedValid: validGroups.length, evaluatedTest: testGroups.length },
      segments: { queryFrequency: { by: frequency.by, thresholds: frequency.thresholds } },
      metric: spec.name,
      seeds,
      selected,
      arms,
    });
    writeFileAtomic(join(o.out, 'results.csv'), searchLiftCsv(arms, names));
    writeJsonAtomic(join(o.out, 'stages.json'), { arms: fitTimes, wallSeconds: Math.round(performance.now() - startedAt) / 1000, environment: runEnvironment() });
    return { arms, selected, table };
  };

  const fitSpecs = new Map<string, { spec: { name: string; config: Record<string, unknown> }; arms: Set<string> }>();
  for (const arm of config.arms) {
    if (!arm.generate) continue;
    const key = `text-${fingerprintHash(arm.generate.generator)}`;
    const known = fitSpecs.get(key) ?? { spec: arm.generate.generator, arms: new Set<string>() };
    fitSpecs.set(key, { ...known, arms: known.arms.add(arm.name) });
  }
  const fits: SharedFit[] = [...fitSpecs.entries()].map(([key, f]) => ({ key, label: `text generator ${f.spec.name} ${key}`, units: units.filter((u) => f.arms.has(u.arm)).map((u) => u.key) }));
  const runFit = async (key: string, f: { progress?: ProgressReporter; cancel?: CancelToken }): Promise<void> => {
    const fit = fitSpecs.get(key);
    if (!fit) throw new ConfigError(`the experiment shares no text generator fit '${key}' (fits: ${[...fitSpecs.keys()].join(', ') || 'none'})`, { field: 'fit' });
    await generatorFor(fit.spec, f.progress ?? silentProgress, f.cancel);
  };

  return {
    units,
    fits,
    runFit,
    runUnit,
    aggregate,
    async close() {
      for (const g of generators.values()) await g.then((x) => x.close(), () => undefined);
    },
  };
}

export function searchLiftTable(arms: readonly SearchArmSummary[], metric: string, names: readonly string[], selected: string): string {
  const shown = names.filter((n) => n !== 'RMSE' || arms[0]!.test[n] !== undefined);
  const width = Math.max(20, ...arms.map((a) => a.name.length + 2));
  const lines = [`${'arm'.padEnd(width)} ${shown.map((n) => n.padStart(16)).join(' ')}  lift(${metric})   p (t-test)  95% CI of Δ         seeds better (p)`];
  for (const a of arms) {
    const sig = a.significance;
    lines.push(
      `${(a.name + (a.name === selected ? ' *' : '')).padEnd(width)} ${shown.map((n) => `${a.test[n]!.toFixed(4)}±${a.testStd[n]!.toFixed(4)}`.padStart(16)).join(' ')}  ` +
        (a.lift ? `${a.lift[metric]! >= 0 ? '+' : ''}${(a.lift[metric]! * 100).toFixed(2)}%`.padStart(9) : '(baseline)'.padStart(9)) +
        (sig ? `   ${sig.tTest.pValue.toExponential(2).padStart(9)}  [${sig.bootstrap.lo.toFixed(4)}, ${sig.bootstrap.hi.toFixed(4)}]  ${describeSeedLevel(sig.seeds)}` : ''),
    );
  }
  lines.push(`* selected on validation ${metric}`);
  return lines.join('\n');
}

function searchLiftCsv(arms: readonly SearchArmSummary[], metrics: readonly string[]): string {
  const header = ['arm', 'views', 'train_queries', 'added_queries', ...metrics.flatMap((m) => [m, `${m}_std`, `${m}_lift`, `${m}_valid`]), 'p_ttest', 'ci_lo', 'ci_hi', 'seeds_better', 'p_seeds'];
  const rows = arms.map((a) => [
    a.name,
    a.views,
    a.trainQueries,
    a.addedQueries,
    ...metrics.flatMap((m) => [a.test[m], a.testStd[m], a.lift ? a.lift[m] : '', a.valid[m]]),
    a.significance?.tTest.pValue ?? '',
    a.significance?.bootstrap.lo ?? '',
    a.significance?.bootstrap.hi ?? '',
    a.significance?.seeds.better ?? '',
    a.significance?.seeds.pValue ?? '',
  ]);
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
