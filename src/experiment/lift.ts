import { join, resolve } from 'node:path';
import { CancelToken, ConfigError, peakRssMiB, Rng, silentProgress, writeFileAtomic, writeJsonAtomic, type ProgressReporter } from '../core/index.ts';
import { itemPopularity, leaveOneOutSplit, loadDataset, makeTrainView, sessionSplit, type SequenceDataset, type SequentialSplit, type TrainView } from '../data/index.ts';
import { alignedTrainView, augmentedSamples, discriminatorFilter, distributionReport, lengthMatchingResample, popularityMatchingResample, type DistributionReport } from '../align/index.ts';
import {
  defaultMetrics,
  meanStdByMetric,
  relativeLift,
  pairedTTest,
  pairedBootstrapCI,
  segmentByHistoryLength,
  segmentByTargetPopularity,
  segmentByTargetCount,
  segmentedLift,
  historyLengthLabels,
  seedLevelTest,
  describeSeedLevel,
  type MetricSpec,
  type SeedLevelTest,
} from '../eval/index.ts';
import { expandTrainViewDetailed, loadPipeline, maskToken, type ItemAttributes, type Pipeline } from '../augment/index.ts';
import { createSequenceSynthesizer, isNetworkBacked } from '../synth/index.ts';
import type { ModelSpec, TrainingAugmentation, TrainingWarmup, SequenceTransform } from '../models/index.ts';
import { evaluateOnSplit, perUserTestMetric, seedLockPath, type EvaluateConfig, type EvaluateResult } from './evaluate.ts';
import { reportRejections } from './read-summary.ts';
import { claimRun, inProcessExecutor, pauseForOtherWorkers, readRunResult, runHeldElsewhere, writeRunResult, type SharedFit, type UnitExecutor, type UnitOutcome, type WorkUnit } from './run-store.ts';
import { cacheGeneratorSnapshot, declaredModels, fitPipelineGenerators, fitSequenceGenerator, generatorCacheName, generatorIsCached, generatorIsPrefixOf, type SequenceGeneratorOptions } from './generators.ts';
import { armModelSpec, experimentModelSpec, runEnvironment, type ArmConfig, type ExperimentConfig } from './config.ts';

export interface LiftOptions {
  readonly config: ExperimentConfig;
  /** Folder that relative paths in the config are resolved against. */
  readonly baseDir: string;
  readonly out: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /**
   * Who runs the (arm, seed) units: this process by default (lock files keep processes sharing
   * the folder apart), or a queue's workers (src/distributed).
   */
  readonly executor?: UnitExecutor;
  /**
   * Take a generator that is exactly the baseline's first epochs from the baseline's run instead
   * of training it twice (the baseline seed runs before the generators are fitted). Only where
   * this process runs the units: runLiftExperiment sets it for the in-process executor.
   */
  readonly reuseBaselineRuns?: boolean;
  /** How often a process waiting on a run another process holds asks again (default 15 s). */
  readonly claimPollMs?: number;
}

export interface ArmSummary {
  readonly name: string;
  readonly pipeline: unknown;
  /** Online / contrastive pipelines and their settings, when the arm uses them. */
  readonly training: { online?: { pipeline: unknown; probability: number; keepTargets?: boolean }; contrastive?: { pipeline: unknown; weight: number; temperature: number } } | null;
  readonly views: number;
  /** Synthetic users: the sequence synthesizer and the share of real users it adds. */
  readonly synthesize: ArmConfig['synthesize'] | null;
  readonly trainSequences: number;
  readonly trainInteractions: number;
  readonly test: Record<string, number>;
  readonly testStd: Record<string, number>;
  readonly valid: Record<string, number>;
  /** Relative lift of the seed-mean over the baseline's, per metric (0.05 = +5 %). */
  readonly lift: Record<string, number> | null;
  readonly significance: {
    readonly metric: string;
    readonly tTest: ReturnType<typeof pairedTTest>;
    readonly bootstrap: ReturnType<typeof pairedBootstrapCI>;
    /** The same metric per training seed, arm vs baseline of that seed (the seed spread behind a small per-user p). */
    readonly seeds: SeedLevelTest;
  } | null;
  readonly segments: Record<string, unknown> | null;
  /** Distances to the real training distribution before and after alignment (seed 0's expansion). */
  readonly alignment: AlignmentSummary | null;
}

export interface AlignmentSummary {
  readonly method: string;
  readonly augmentedSamples: number;
  readonly kept: number;
  readonly discriminatorAuc?: number;
  /** importance: (Σw)²/Σw² of the added samples' weights, i.e. how many unweighted samples they are worth. */
  readonly effectiveSampleSize?: number;
  readonly before: Record<string, number>;
  readonly after: Record<string, number>;
  readonly directions: string;
  /** Length distributions (shares per length; the last bin is "≥ cap"): real training sequences, every added sample, the added samples kept (weighted under importance). */
  readonly lengths?: { readonly cap: number; readonly real: readonly number[]; readonly added: readonly number[]; readonly kept: readonly number[] };
  /**
   * Item popularity: items ranked by their real training count, grouped in rank buckets that
   * double in size (ranks 1, 2–3, 4–7, …); the share of real, added and kept interactions that
   * fall on each bucket — a head-heavy expansion shows more mass on the first buckets.
   */
  readonly popularity?: { readonly buckets: readonly string[]; readonly real: readonly number[]; readonly added: readonly number[]; readonly kept: readonly number[] };
}

/** Shares of interactions per doubling rank bucket of the real training popularity. */
function popularityBuckets(realSeqs: readonly Int32Array[], numItems: number, sets: readonly { seqs: readonly Int32Array[]; weights?: ArrayLike<number> }[]): { buckets: string[]; shares: number[][] } {
  const counts = new Float64Array(numItems + 1);
  for (const s of realSeqs) for (const it of s) counts[it]! += 1;
  const order = Array.from({ length: numItems }, (_, i) => i + 1).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const bucketOf = new Int32Array(numItems + 1);
  const buckets: string[] = [];
  for (let lo = 1, b = 0; lo <= numItems; lo *= 2, b++) {
    const hi = Math.min(numItems, lo * 2 - 1);
    buckets.push(lo === hi ? `${lo}` : `${lo}–${hi}`);
    for (let r = lo; r <= hi; r++) bucketOf[order[r - 1]!] = b;
  }
  const shares = sets.map(({ seqs, weights }) => {
    const h = new Array<number>(buckets.length).fill(0);
    let total = 0;
    seqs.forEach((s, k) => {
      const w = weights ? weights[k]! : 1;
      for (const it of s) {
        if (it < 1 || it > numItems) continue;
        h[bucketOf[it]!]! += w;
        total += w;
      }
    });
    return h.map((c) => (total > 0 ? Math.round((c / total) * 1e6) / 1e6 : 0));
  });
  return { buckets, shares };
}

/** Seconds and the process's peak resident memory (MiB) at the end of one step of a run. */
export interface RunStage {
  readonly stage: string;
  readonly seconds: number;
  readonly peakRssMiB: number;
}

/** Lengths above this share the last bin of the recorded length distributions. */
const LENGTH_CAP = 50;

function lengthShares(seqs: readonly Int32Array[], weights?: ArrayLike<number>): number[] {
  const h = new Array<number>(LENGTH_CAP + 1).fill(0);
  let total = 0;
  seqs.forEach((s, k) => {
    const w = weights ? weights[k]! : 1;
    h[Math.min(s.length, LENGTH_CAP)]! += w;
    total += w;
  });
  return h.map((c) => (total > 0 ? Math.round((c / total) * 1e6) / 1e6 : 0));
}

const DIRECTIONS = 'lower is closer to the real data for TV/KL/JS; coverage: higher is better; discriminator AUC: 0.5 = indistinguishable; effective sample size (importance): higher keeps more of the added data';

function compactReport(r: DistributionReport): Record<string, number> {
  return {
    itemPopularityTV: r.itemPopularity.tv,
    itemPopularityKL: r.itemPopularity.kl,
    lengthTV: r.length.tv,
    transitionsJS: r.transitions.js,
    coverage: r.coverage,
  };
}

/** Samples an arm adds to the real training view: augmented views (with their source users) or synthetic users. */
export interface AddedSamples {
  readonly augmented: Int32Array[];
  /** Real user each augmented sample was made from; absent for synthetic users (they have none). */
  readonly sourceUser?: Int32Array;
}

/**
 * The training view an arm trains on: the real view plus the arm's added samples, aligned as the
 * arm asks, with the distances to the real training data before and after alignment.
 */
export function armTrainView(train: TrainView, added: AddedSamples, arm: ArmConfig, seed: number): { view: TrainView; weights?: Float32Array; alignment: AlignmentSummary; keep: Int32Array } {
  const { augmented, sourceUser } = added;
  const before = distributionReport(train, augmented);
  let keep: Int32Array = Int32Array.from(augmented.keys());
  let auc: number | undefined;
  /** importance: one loss weight per kept (= every) added sample, aligned with keep. */
  let addedWeights: Float32Array | undefined;
  const alignSeed = seed + 7919;
  if (arm.align === 'popularity') keep = popularityMatchingResample(train, augmented, { seed: alignSeed }).keep;
  else if (arm.align === 'length') keep = lengthMatchingResample(train, augmented, { seed: alignSeed }).keep;
  else if (arm.align === 'discriminator' || arm.align === 'importance') {
    if (arm.align === 'importance' && !arm.keepOriginal) throw new ConfigError('align: importance weights the added samples next to the real ones; it needs keepOriginal: true', { field: 'align' });
    const d = discriminatorFilter(train, augmented, { seed: alignSeed, keepShare: arm.align === 'importance' ? 1 : arm.keepShare, ...(sourceUser ? { sourceUser } : {}) });
    auc = d.auc;
    if (arm.align === 'discriminator') keep = d.keep;
    else addedWeights = d.importanceWeights;
  }
  const kept = Array.from(keep, (i) => augmented[i]!);
  const after = arm.align === 'none' ? before : distributionReport(train, kept, addedWeights ? { augmentedWeights: addedWeights } : {});
  const view = arm.keepOriginal ? alignedTrainView(train, augmented, keep) : makeTrainView(train.numItems, kept);
  // Real sequences weigh 1, each added one its importance weight, in the view's user order.
  const weights = addedWeights ? Float32Array.from({ length: view.numUsers }, (_, u) => (u < train.numUsers ? 1 : addedWeights[u - train.numUsers]!)) : undefined;
  const realSeqs = train.users().map((u) => train.sequence(u));
  const pop = popularityBuckets(realSeqs, train.numItems, [{ seqs: realSeqs }, { seqs: augmented }, { seqs: kept, ...(addedWeights ? { weights: addedWeights } : {}) }]);
  return {
    view,
    ...(weights ? { weights } : {}),
    alignment: {
      method: arm.align,
      augmentedSamples: augmented.length,
      kept: kept.length,
      ...(auc !== undefined ? { discriminatorAuc: auc } : {}),
      ...(addedWeights ? { effectiveSampleSize: effectiveSampleSize(addedWeights) } : {}),
      before: compactReport(before),
      after: compactReport(after),
      directions: DIRECTIONS,
      lengths: { cap: LENGTH_CAP, real: lengthShares(realSeqs), added: lengthShares(augmented), kept: lengthShares(kept, addedWeights) },
      popularity: { buckets: pop.buckets, real: pop.shares[0]!, added: pop.shares[1]!, kept: pop.shares[2]! },
    },
    keep,
  };
}

/** Augmented samples shown in the report: this many, drawn by the seed. */
const SHOWN_SAMPLES = 12;

/**
 * A few augmented training samples next to the training sequence they were made from, in the
 * dataset's own ids, and whether alignment kept them (arms/<arm>/samples.json; offline arms only —
 * online views change every epoch).
 */
function writeAugmentedSamples(path: string, added: AddedSamples, keep: Int32Array, train: TrainView, dataset: SequenceDataset, seed: number, attributes?: ItemAttributes): void {
  const kept = new Set(keep);
  const n = added.augmented.length;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed).split('report-samples').shuffle(idx);
  const pick = Array.from(idx.subarray(0, Math.min(SHOWN_SAMPLES, n))).sort((a, b) => a - b);
  const ids = (s: Int32Array): string[] => Array.from(s, (i) => dataset.itemIds[i] ?? String(i));
  const samples = pick.map((k) => {
    const u = added.sourceUser![k]!;
    return { user: dataset.userIds[u] ?? String(u), source: train.sequence(u), augmented: added.augmented[k]!, kept: kept.has(k) };
  });
  // With the pipeline's item attributes (attribute-aware operators), each shown item's attribute values.
  let itemAttributes: Record<string, string[]> | undefined;
  if (attributes) {
    itemAttributes = {};
    for (const x of samples)
      for (const it of [...x.source, ...x.augmented])
        if (it >= 1 && it <= attributes.numItems) itemAttributes[dataset.itemIds[it] ?? String(it)] = Array.from(attributes.values.subarray(attributes.offsets[it]!, attributes.offsets[it + 1]!), (a) => attributes.attributeIds[a] ?? String(a));
  }
  writeJsonAtomic(path, {
    seed,
    of: n,
    samples: samples.map((x) => ({ user: x.user, source: ids(x.source), augmented: ids(x.augmented), kept: x.kept })),
    ...(itemAttributes ? { itemAttributes } : {}),
  });
}

/** (Σw)² / Σw²: how many unweighted samples a weighted set is worth. */
function effectiveSampleSize(w: Float32Array): number {
  let s1 = 0;
  let s2 = 0;
  for (const v of w) {
    s1 += v;
    s2 += v * v;
  }
  return s2 > 0 ? (s1 * s1) / s2 : 0;
}

/**
 * The lift experiment: the baseline (real training data) and every arm (training data expanded
 * by a pipeline) are trained with identical hyper-parameters and seeds, selected on validation
 * only, and compared on test with a paired test over per-user metrics (averaged over seeds) and a
 * bootstrap confidence interval, overall and per segment (history length, target popularity).
 * Every (arm, seed) run is a unit of work (`LiftUnit`), resumable and not redone once finished;
 * the executor decides where units run: here (several processes can work on one output folder at
 * once, each claiming a run with a lock file, the last one aggregates) or on queue workers.
 */
export async function runLiftExperiment(o: LiftOptions): Promise<{ arms: ArmSummary[]; table: string; pending?: string[] }> {
  const executor = o.executor ?? inProcessExecutor;
  const lift = await prepareLiftExperiment({ ...o, reuseBaselineRuns: o.reuseBaselineRuns ?? executor === inProcessExecutor, sharedFits: executor.sharedFits === 'jobs' ? 'jobs' : 'prepare' });
  const progress = o.progress ?? silentProgress;
  const ran = new Map<string, LiftUnitRecord>();
  const unitOptions = { progress, ...(o.cancel ? { cancel: o.cancel } : {}) };
  progress.step?.('experiment: (arm, seed) runs', 0, lift.units.length); // the bar's clock starts before the first run, so its first finish already gives an ETA
  await executor.execute(
    lift.units,
    async (unit) => {
      const rec = await lift.runUnitRecord(unit, { ...unitOptions, claims: executor.claims });
      ran.set(unit.key, rec);
      // The experiment-level bar: (arm, seed) runs done of all, with an ETA from their pace.
      progress.step?.('experiment: (arm, seed) runs', ran.size, lift.units.length);
      return rec.outcome;
    },
    lift.fits,
  );
  // Units run elsewhere (queue workers): their results are in the store; reading them back runs
  // the same unit code, which finds each result stored and trains nothing. A unit another process
  // held when its turn came (store locks) is asked again: its holder may have finished it
  // meanwhile — typically the baseline whose snapshot this process's last arms waited for.
  const records: LiftUnitRecord[] = [];
  for (const unit of lift.units) {
    const rec = ran.get(unit.key);
    const again = rec?.outcome === 'pending' && executor.claims === 'store-locks';
    records.push(rec && !again ? rec : await lift.runUnitRecord(unit, { ...unitOptions, claims: rec ? executor.claims : 'executor' }));
  }
  return lift.aggregate(records);
}

/**
 * Trains only the baseline's seed runs of a lift experiment, in this process, sharing the folder
 * with other processes as runLiftExperiment does (a run another process holds is skipped), and
 * fits no arm's generator — a generator that is the baseline's first epochs is still cached from
 * the baseline's run, which costs nothing. A baseline run's fingerprint does not depend on the
 * arms, so the experiment later finds these runs done whichever arm it is run with. The recipe
 * uses it to start a confirmation's baseline while other processes finish the screen.
 */
export async function runLiftBaselines(o: Omit<LiftOptions, 'executor' | 'reuseBaselineRuns'>): Promise<void> {
  const lift = await prepareLiftExperiment({ ...o, reuseBaselineRuns: true, sharedFits: 'prepare', bindArms: false });
  const unitOptions = { progress: o.progress ?? silentProgress, claims: inProcessExecutor.claims, ...(o.cancel ? { cancel: o.cancel } : {}) };
  for (const unit of lift.units.filter((u) => u.arm === 'baseline')) await lift.runUnitRecord(unit, unitOptions);
}

/** One (arm, seed) training run of the lift experiment: the unit of work an executor hands out. */
export type LiftUnit = WorkUnit;

export interface LiftUnitOptions {
  /** Who keeps two workers off this unit (see UnitExecutor): 'store-locks' takes lock files in the store. */
  readonly claims: UnitExecutor['claims'];
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/** What one unit left behind: its evaluation (or that another worker holds it), its training view, its alignment. */
export interface LiftUnitRecord {
  readonly unit: LiftUnit;
  readonly outcome: UnitOutcome;
  readonly run: ArmRun;
  readonly view: TrainView;
  readonly alignment: AlignmentSummary | null;
}

/** A lift experiment read, split and with its pipelines (and their generators) ready: its units, how to run one, how to aggregate. */
export interface PreparedLiftExperiment {
  /** baseline seeds first, then each arm's, in config order (the order the embedded runner trains them). */
  readonly units: readonly LiftUnit[];
  /** The generator fits the units share, when prepared with sharedFits 'jobs' (empty otherwise: they were fitted while preparing). */
  readonly fits: readonly SharedFit[];
  /** Runs one shared fit here; its model goes to the store's generator cache, where units load it. */
  runFit(key: string, o: { progress?: ProgressReporter; cancel?: CancelToken }): Promise<void>;
  /** Runs one unit here; its result goes to the run store (a stored result is read back, not retrained). */
  runUnit(unit: LiftUnit, o: LiftUnitOptions): Promise<UnitOutcome>;
  runUnitRecord(unit: LiftUnit, o: LiftUnitOptions): Promise<LiftUnitRecord>;
  /** results.json / results.csv and the table from every unit's record (nothing is written while one is pending). */
  aggregate(records: readonly LiftUnitRecord[]): { arms: ArmSummary[]; table: string; pending?: string[] };
}

/** The unit key of (arm, seed). */
export function liftUnitKey(arm: string, seed: number): string {
  return `${arm}/seed${seed}`;
}

/**
 * Reads the data, splits it, builds every arm's pipelines and fits the generators they declare
 * (cached under <out>/generators), so units can run: in this process, or in a queue worker that
 * prepares the same experiment from the same config.
 */
export async function prepareLiftExperiment(o: Omit<LiftOptions, 'executor'> & { readonly sharedFits?: 'prepare' | 'jobs'; readonly bindArms?: boolean }): Promise<PreparedLiftExperiment> {
  const { config } = o;
  const progress = o.progress ?? silentProgress;
  // Seconds and peak memory of the steps before and after the (arm, seed) runs, for results.json.
  const stages: RunStage[] = [];
  const startedAt = performance.now();
  let stageStart = startedAt;
  const endStage = (stage: string): void => {
    const now = performance.now();
    stages.push({ stage, seconds: Math.round(now - stageStart) / 1000, peakRssMiB: peakRssMiB() });
    stageStart = now;
  };
  const dataPath = resolve(o.baseDir, config.data.path);
  const read = await loadDataset(dataPath, config.data.format);
  const report = read.report;
  progress.line(`read ${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`);
  reportRejections(report, progress);
  const { dataset, split } = config.split === 'session' ? sessionSplit(read.dataset, config.session) : { dataset: read.dataset, split: leaveOneOutSplit(read.dataset) };
  if (config.split === 'session') {
    const sm = split.summary!;
    progress.line(`session split: ${sm.users} sessions kept (${sm.shortUsers} dropped), ${dataset.numItems} items; ${sm.trainInteractions} training interactions, ${sm.validCases} validation and ${sm.testCases} test cases (every prefix)`);
  }
  const seeds = Array.from({ length: config.seeds }, (_, i) => i);
  const model = experimentModelSpec(config);
  endStage('read and split');

  // Build every pipeline before any training, so a bad step fails in seconds, not hours.
  const load = (src: string | object): Pipeline => loadPipeline(src, { baseDir: o.baseDir, train: split.train, dataset, downstream: config.model });
  const pipelines = new Map<string, ArmPipelines>();
  for (const arm of config.arms) {
    pipelines.set(arm.name, {
      ...(arm.pipeline !== undefined ? { offline: load(arm.pipeline) } : {}),
      ...(arm.online ? { online: load(arm.online.pipeline) } : {}),
      ...(arm.contrastive ? { contrastive: load(arm.contrastive.pipeline) } : {}),
    });
  }
  /** How an arm makes its training view for a seed, and what it trains with. */
  interface ArmPlan {
    readonly arm: ArmConfig | null;
    readonly trainFor: (seed: number, u: LiftUnitOptions) => Promise<ArmTrainView | 'pending'>;
    /** Built on first use: an online transform is dry-run, so its pipeline must be bound by then. */
    readonly augmentation: () => TrainingAugmentation | undefined;
    readonly model: ModelSpec;
  }
  const plans = new Map<string, ArmPlan>();
  plans.set('baseline', { arm: null, trainFor: async () => ({ view: split.train, key: 'split.train', alignment: null }), augmentation: () => undefined, model });

  const runUnitRecord = async (unit: LiftUnit, u: LiftUnitOptions, afterEpoch?: EvaluateConfig['afterEpoch']): Promise<LiftUnitRecord> => {
    const plan = plans.get(unit.arm);
    if (!plan) throw new ConfigError(`the experiment has no arm '${unit.arm}' (arms: ${[...plans.keys()].join(', ')})`, { field: 'arm' });
    if (!seeds.includes(unit.seed)) throw new ConfigError(`seed ${unit.seed} is not one of the experiment's seeds 0…${seeds.length - 1}`, { field: 'seed' });
    const uProgress = u.progress ?? silentProgress;
    const { seed } = unit;
    if (plan.arm) await bindArm(plan.arm.name, uProgress, u.cancel);
    const made = await plan.trainFor(seed, u);
    const augmentation = plan.augmentation();
    if (made === 'pending') {
      uProgress.line(`── ${unit.arm}, seed ${seed}: another worker is fitting its synthesizer and will train it; skipped here`);
      return { unit, outcome: 'pending', run: { pendingSeeds: [seed] }, view: split.train, alignment: null };
    }
    const { view, key, weights, warmup } = made;
    uProgress.line(`── ${unit.arm}, seed ${seed}: ${view.users().length} training sequences, ${view.interactionCount} interactions`);
    const run = await evaluateOnSplit(
      { dataset, report, split, train: view, trainKey: key, ...(weights ? { trainWeights: weights } : {}), ...(warmup ? { trainWarmup: warmup } : {}) },
      {
        model: plan.model,
        seeds: [seed],
        shareWithWorkers: u.claims === 'store-locks',
        exclude: config.exclude,
        ...(augmentation ? { augmentation } : {}),
        ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
        ...(config.patience !== undefined ? { patience: config.patience } : {}),
        out: join(o.out, 'arms', unit.arm),
        progress: uProgress,
        ...(u.cancel ? { cancel: u.cancel } : {}),
        ...(afterEpoch ? { afterEpoch } : {}),
      },
    );
    return { unit, outcome: run.pendingSeeds?.length ? 'pending' : 'done', run, view, alignment: made.alignment };
  };

  // Model-based operators (pseudo_prior, continue, embedding neighbours) need their generators
  // trained on the training view; they are cached by content under <out>/generators, so arms and
  // reruns share them. A generator that is exactly the baseline's first epochs is taken from the
  // baseline's run instead of being trained again (see reuseBaselineRuns).
  const generatorCache = join(o.out, 'generators');
  /**
   * Runs, before any generator is fitted, each baseline seed whose run starts with a generator's
   * training (generatorIsPrefixOf: same network, trainer and seed on the same training view), and
   * caches that run's weights right after the generator's epoch count as the generator. The
   * baseline unit's result is stored as usual, so the unit loop later finds it done. A baseline
   * that stops before that epoch leaves no snapshot, and the generator is trained as before.
   * When another process sharing the folder holds that baseline run, this process does not wait
   * here: the arms that need its snapshot are bound (and their runs started) after every other
   * unit, by `awaitBaselineSnapshot`, so the process trains the other arms meanwhile.
   */
  const snapshotGenerators = new Map<number, (SequenceGeneratorOptions & { readonly cacheDir: string })[]>();
  /** Generators (by JSON key) another process's baseline run will give: their arms run last. */
  const awaited = new Set<string>();
  /** The network a synthesizer trains (an autoregressive one's), as the generator that is the same model; null for the others. */
  const synthesizerNetwork = (synth: NonNullable<ArmConfig['synthesize']>, seed: number): (SequenceGeneratorOptions & { readonly cacheDir: string }) | null => {
    const s = createSequenceSynthesizer(synth.model, synth.config);
    if (!isNetworkBacked(s)) return null;
    const n = s.network;
    return { direction: 'forward', model: { model: n.model, config: n.config, trainer: n.trainer }, seed, epochs: n.epochs, cacheDir: generatorCache };
  };
  const baselineRunsAsGenerators = async (): Promise<void> => {
    const wanted = new Map<string, SequenceGeneratorOptions & { readonly cacheDir: string }>();
    const cap = config.epochs ?? Number.POSITIVE_INFINITY;
    for (const p of pipelines.values()) {
      for (const pipeline of [p.offline, p.online, p.contrastive]) {
        if (!pipeline) continue;
        for (const g of declaredModels(pipeline, { cacheDir: generatorCache })) {
          const epochs = g.epochs ?? 20;
          if (seeds.includes(g.seed) && epochs <= cap && generatorIsPrefixOf(g, model) && !generatorIsCached(split.train, g)) wanted.set(JSON.stringify(g), { ...g, cacheDir: generatorCache });
        }
      }
    }
    // An autoregressive synthesizer's network is such a generator too.
    for (const arm of config.arms) {
      for (const seed of arm.synthesize ? seeds : []) {
        const g = synthesizerNetwork(arm.synthesize!, seed);
        if (g && g.epochs! <= cap && generatorIsPrefixOf(g, model) && !generatorIsCached(split.train, g)) wanted.set(JSON.stringify(g), g);
      }
    }
    for (const seed of new Set([...wanted.values()].map((g) => g.seed))) {
      const forSeed = [...wanted.values()].filter((g) => g.seed === seed);
      snapshotGenerators.set(seed, forSeed);
      progress.line(`generators: ${forSeed.length} generator(s) are the first ${forSeed.map((g) => g.epochs ?? 20).join('/')} epochs of the baseline's seed-${seed} run; it runs first and they are taken from it`);
      if (!(await awaitBaselineSnapshot(seed, { wait: false }))) {
        for (const g of forSeed) awaited.add(JSON.stringify(g));
        progress.line(`generators: another process is training the baseline's seed-${seed} run; the arms that need its epoch-${forSeed.map((g) => g.epochs ?? 20).join('/')} snapshot run after the others here, instead of training the same epochs again`);
      }
    }
  };
  /**
   * Runs (or finds done) the baseline's seed-`seed` run that gives the snapshot generators, and
   * returns whether they are cached. With `wait`, a run another process holds is waited for — its
   * snapshot will be the generator — and taken over if that process dies (claimRun); a run that
   * stops before the snapshot epoch leaves the generator to be trained as before.
   */
  const awaitBaselineSnapshot = async (seed: number, o2: { wait: boolean; progress?: ProgressReporter; cancel?: CancelToken }): Promise<boolean> => {
    const forSeed = snapshotGenerators.get(seed) ?? [];
    const p = o2.progress ?? progress;
    const cancel = o2.cancel ?? o.cancel;
    const unit = { key: liftUnitKey('baseline', seed), arm: 'baseline', seed };
    const snapshot: NonNullable<EvaluateConfig['afterEpoch']> = (_seed, epoch, rec, logs) => {
      for (const g of forSeed) if (epoch === (g.epochs ?? 20) && !generatorIsCached(split.train, g)) cacheGeneratorSnapshot(split.train, g, rec, logs, `the baseline's seed-${seed} run after epoch ${epoch}`);
    };
    for (let first = true; ; first = false) {
      // Ask for the run the first time and whenever nobody holds it any more: that trains it,
      // takes it over from a process that died (claimRun), or finds it done.
      if (first || !runHeldElsewhere(seedLockPath(join(o.out, 'arms', 'baseline'), seed))) {
        const rec = await runUnitRecord(unit, { progress: p, claims: inProcessExecutor.claims, ...(cancel ? { cancel } : {}) }, snapshot);
        if (rec.outcome === 'done') return true;
      }
      if (forSeed.every((g) => generatorIsCached(split.train, g))) return true;
      if (!o2.wait) return false;
      // Another process sharing the folder holds this baseline run, and its snapshot will be the
      // generator: wait for it rather than train the same epochs here.
      if (first) p.line(`generators: another process is training the baseline's seed-${seed} run; waiting for its epoch-${forSeed.map((g) => g.epochs ?? 20).join('/')} snapshot instead of training the same epochs here`);
      await pauseForOtherWorkers({ pollMs: o.claimPollMs, cancel }, "another process's baseline run");
    }
  };
  /** Whether an arm's pipelines need a generator another process's baseline run is still to give. */
  const waitsForSnapshot = (name: string): boolean => {
    const synth = config.arms.find((a) => a.name === name)?.synthesize;
    const networks = synth ? seeds.flatMap((seed) => synthesizerNetwork(synth, seed) ?? []) : [];
    const models = [...armPipelines(name).flatMap((pl) => declaredModels(pl, { cacheDir: generatorCache })), ...networks];
    return models.some((g) => awaited.has(JSON.stringify(g)) && !generatorIsCached(split.train, g));
  };
  // Under a queue (sharedFits 'jobs') each distinct model is a fit job of its own that runs before
  // the arms' units, and a unit binds its arm's pipelines by loading them from the store.
  const armPipelines = (name: string): Pipeline[] => {
    const p = pipelines.get(name);
    return p ? [p.offline, p.online, p.contrastive].filter((x): x is Pipeline => x !== undefined) : [];
  };
  const fitsByKey = new Map<string, { options: SequenceGeneratorOptions; arms: Set<string> }>();
  const bound = new Map<string, Promise<void>>();
  const bindArm = (name: string, p: ProgressReporter, cancel?: CancelToken): Promise<void> => {
    let done = bound.get(name);
    if (!done) {
      done = (async () => {
        if (waitsForSnapshot(name)) for (const seed of snapshotGenerators.keys()) await awaitBaselineSnapshot(seed, { wait: true, progress: p, ...(cancel ? { cancel } : {}) });
        for (const pipeline of armPipelines(name)) await fitPipelineGenerators(pipeline, split.train, { cacheDir: generatorCache, progress: p, ...(cancel ? { cancel } : {}) });
      })();
      done.catch(() => bound.delete(name));
      bound.set(name, done);
    }
    return done;
  };
  if (o.reuseBaselineRuns) await baselineRunsAsGenerators();
  if (o.sharedFits === 'jobs') {
    for (const arm of config.arms) {
      for (const pipeline of armPipelines(arm.name)) {
        for (const options of declaredModels(pipeline, { cacheDir: generatorCache })) {
          const key = generatorCacheName(split.train, options);
          const known = fitsByKey.get(key) ?? { options, arms: new Set<string>() };
          known.arms.add(arm.name);
          fitsByKey.set(key, known);
        }
      }
    }
  } else if (o.bindArms !== false) {
    // Arms waiting for another process's baseline snapshot are bound when their units run (last).
    for (const arm of config.arms) if (!waitsForSnapshot(arm.name)) await bindArm(arm.name, progress, o.cancel);
  }
  endStage('pipelines and generators');

  for (const arm of config.arms) {
    const p = pipelines.get(arm.name)!;
    const offline = p.offline;
    const synth = arm.synthesize;
    const added = async (seed: number, u: LiftUnitOptions): Promise<{ samples: AddedSamples; key: unknown } | null | 'pending'> => {
      const uProgress = u.progress ?? silentProgress;
      if (offline) {
        const expanded = expandTrainViewDetailed(split.train, offline, { views: arm.views, seed, keepOriginal: true, maskToken: 'strip' });
        return { samples: augmentedSamples(expanded), key: { pipeline: offline.toJSON(), views: arm.views } };
      }
      if (synth) {
        const n = Math.round(synth.share * split.train.users().length);
        // The sample is a pure function of (synthesizer, settings, training data, seed), so it is
        // kept beside the arm's runs: a rerun (to aggregate, or after an interruption) does not
        // refit a synthesizer that may take minutes.
        // How the users are trained (pretrain) is not part of the sample.
        const { pretrain: _schedule, ...sampled } = synth;
        const cacheKey = { synthesize: sampled, n, seed, data: dataset.checksum, split: config.split, train: split.train.interactionCount };
        const cachePath = join(o.out, 'arms', arm.name, 'synthetic', `seed${seed}.json`);
        const cached = readSyntheticCache(cachePath, cacheKey);
        if (cached) return { samples: { augmented: cached }, key: { synthesize: synth } };
        // Workers sharing the folder fit each seed's synthesizer once: the one holding the lock
        // fits, saves the sample and trains the seed; another leaves the seed to it. Under a queue
        // the unit is this worker's alone, so no lock file is taken.
        const lock = u.claims === 'store-locks' ? claimRun(`${cachePath}.lock`) : undefined;
        if (lock === null) return 'pending';
        try {
          const again = readSyntheticCache(cachePath, cacheKey);
          if (again) return { samples: { augmented: again }, key: { synthesize: synth } };
          // Fitted on the training view only, so no validation/test interaction can be learned.
          const synthesizer = createSequenceSynthesizer(synth.model, synth.config);
          const network = synthesizerNetwork(synth, seed);
          let fit: { readonly seconds: number; readonly sequences: number };
          if (network && isNetworkBacked(synthesizer)) {
            // Its network is a generator like any other: cached under generators/, shared, and
            // taken from the baseline's run when it is that run's first epochs.
            if (awaited.has(JSON.stringify(network)) && !generatorIsCached(split.train, network)) await awaitBaselineSnapshot(seed, { wait: true, progress: uProgress, ...(u.cancel ? { cancel: u.cancel } : {}) });
            const trained = await fitSequenceGenerator(split.train, { ...network, progress: uProgress, ...(u.cancel ? { cancel: u.cancel } : {}) });
            fit = synthesizer.fitWithNetwork(split.train, trained.recommender);
          } else fit = await synthesizer.fit(split.train, { seed, progress: uProgress, ...(u.cancel ? { cancel: u.cancel } : {}) });
          if (seed === seeds[0]) uProgress.line(`${arm.name}: ${synth.model} fitted on ${fit.sequences} training histories in ${fit.seconds.toFixed(1)} s${network ? ' (its network: the generator above)' : ''}; sampling ${n} synthetic users`);
          const augmented = synthesizer.sample(n, { seed: seed + 104729 });
          writeRunResult(cachePath, cacheKey, { histories: augmented.map((h) => Array.from(h)) });
          return { samples: { augmented }, key: { synthesize: synth } };
        } finally {
          lock?.release();
        }
      }
      return null;
    };
    const trainFor = async (seed: number, u: LiftUnitOptions): Promise<ArmTrainView | 'pending'> => {
      const made = await added(seed, u);
      if (made === 'pending') return 'pending';
      if (!made) return { view: split.train, key: 'split.train', alignment: null };
      const aligned = armTrainView(split.train, made.samples, arm, seed);
      if (seed === seeds[0]) {
        if (made.samples.sourceUser) writeAugmentedSamples(join(o.out, 'arms', arm.name, 'samples.json'), made.samples, aligned.keep, split.train, dataset, seed, offline?.contextFor(split.train).attributes);
        const a = aligned.alignment;
        (u.progress ?? silentProgress).line(`${arm.name}: ${a.kept}/${a.augmentedSamples} added samples kept (${arm.align}); item-popularity TV ${a.before.itemPopularityTV!.toFixed(4)} → ${a.after.itemPopularityTV!.toFixed(4)}, length TV ${a.before.lengthTV!.toFixed(4)} → ${a.after.lengthTV!.toFixed(4)}${a.effectiveSampleSize !== undefined ? `; effective sample size ${a.effectiveSampleSize.toFixed(0)}` : ''}`);
      }
      const warmup = synth?.pretrain ? pretrainWarmup(aligned.view, split.train.numUsers, synth.pretrain) : undefined;
      return { view: aligned.view, alignment: aligned.alignment, key: JSON.stringify({ ...(made.key as object), keepOriginal: arm.keepOriginal, align: arm.align, keepShare: arm.keepShare, seed }), ...(aligned.weights ? { weights: aligned.weights } : {}), ...(warmup ? { warmup } : {}) };
    };
    let augmentation: TrainingAugmentation | undefined | null = null;
    const augmentationOnce = (): TrainingAugmentation | undefined => (augmentation === null ? (augmentation = trainingAugmentation(arm, p, split.train)) : augmentation);
    // Checked now (a keepTargets transform that changes lengths fails before anything trains),
    // except for arms whose generator another process's baseline run is still to give.
    if (!waitsForSnapshot(arm.name)) augmentationOnce();
    // Contrastive views and keepTargets inputs with the mask operator need an input embedding for the mask token.
    const masks = (pl: Pipeline | undefined): boolean => pl !== undefined && pl.maskSteps().length > 0;
    const needsMask = model.model === 'sasrec' && (masks(p.contrastive) || (arm.online?.keepTargets === true && masks(p.online)));
    const base = armModelSpec(config, arm);
    const armModel = needsMask ? { ...base, config: { ...base.config, maskToken: true } } : base;
    plans.set(arm.name, { arm, trainFor, augmentation: augmentationOnce, model: armModel });
  }

  // Arms that wait for another process's baseline snapshot go last, so this process trains the
  // others while that baseline runs.
  const armOrder = [...plans.keys()].sort((a, b) => Number(waitsForSnapshot(a)) - Number(waitsForSnapshot(b)));
  const units: LiftUnit[] = armOrder.flatMap((arm) => seeds.map((seed) => ({ key: liftUnitKey(arm, seed), arm, seed })));

  const aggregate = (records: readonly LiftUnitRecord[]): { arms: ArmSummary[]; table: string; pending?: string[] } => {
    const byKey = new Map(records.map((r) => [r.unit.key, r]));
    const armResults = [...plans.entries()].map(([name, plan]) => {
      const recs = seeds.map((seed) => byKey.get(liftUnitKey(name, seed)));
      const done = recs.filter((r): r is LiftUnitRecord => r !== undefined && r.outcome === 'done');
      return {
        arm: plan.arm,
        name,
        results: recs.map((r, i): ArmRun => r?.run ?? { pendingSeeds: [seeds[i]!] }),
        // The summary describes the last seed's training view and the first seed's alignment.
        view: done.at(-1)?.view ?? split.train,
        alignment: recs[0]?.outcome === 'done' ? recs[0].alignment : null,
      };
    });
    return aggregateLift(o, { config, dataset, split, seeds, pipelines, armResults, stages, startedAt });
  };

  const fits: SharedFit[] = [...fitsByKey.entries()].map(([key, f]) => ({
    key,
    label: `generator ${key}`,
    units: units.filter((u) => f.arms.has(u.arm)).map((u) => u.key),
  }));
  const runFit = async (key: string, f: { progress?: ProgressReporter; cancel?: CancelToken }): Promise<void> => {
    const fit = fitsByKey.get(key);
    if (!fit) throw new ConfigError(`the experiment shares no generator fit '${key}' (fits: ${[...fitsByKey.keys()].join(', ') || 'none'})`, { field: 'fit' });
    await fitSequenceGenerator(split.train, { ...fit.options, ...(f.progress ? { progress: f.progress } : {}), ...(f.cancel ? { cancel: f.cancel } : {}) });
  };
  return { units, fits, runFit, runUnit: async (unit, u) => (await runUnitRecord(unit, u)).outcome, runUnitRecord, aggregate };
}

function aggregateLift(
  o: Omit<LiftOptions, 'executor'>,
  ctx: {
    config: ExperimentConfig;
    dataset: SequenceDataset;
    split: SequentialSplit;
    seeds: number[];
    pipelines: Map<string, ArmPipelines>;
    armResults: { arm: ArmConfig | null; name: string; results: ArmRun[]; view: TrainView; alignment: AlignmentSummary | null }[];
    /** The stages before the runs (the aggregation is timed here). */
    stages: readonly RunStage[];
    /** performance.now() when the experiment started reading its data (the wall time in stages.json). */
    startedAt: number;
  },
): { arms: ArmSummary[]; table: string; pending?: string[] } {
  const { config, dataset, split, seeds, pipelines, armResults, stages } = ctx;
  const aggregateStart = performance.now();
  const progress = o.progress ?? silentProgress;
  const baseline = armResults[0]!.results;
  // Runs held by other workers on this folder: aggregate only once every run is finished.
  const pending = armResults.flatMap((a) => a.results.flatMap((r) => (r.pendingSeeds ?? []).map((seed) => `${a.name}/seed${seed}`)));
  if (pending.length > 0) {
    const note = `${pending.length} run(s) are being trained by other workers (${pending.join(', ')}); run the same command again when they finish to aggregate`;
    progress.line(note);
    return { arms: [], table: note, pending };
  }

  const specs = defaultMetrics();
  const spec = specs.find((s) => s.name === config.metric)!;
  const perUser = (name: string, which: MetricSpec): Float64Array => perUserTestMetric(join(o.out, 'arms', name), seeds, which);
  const histLabels = segmentByHistoryLength(Int32Array.from(split.test, (c) => c.history.length));
  const trainCounts = itemPopularity(split.train);
  const testTargets = Int32Array.from(split.test, (c) => c.target);
  const popLabels = segmentByTargetPopularity(testTargets, trainCounts);
  const countLabels = segmentByTargetCount(testTargets, trainCounts);
  const baseVec = perUser('baseline', spec);
  // Every run is finished here (pending ones returned above), so runs[i] is seed seeds[i] in every arm.
  const baselineRuns = baseline.filter(isFinished);

  const arms: ArmSummary[] = armResults.map(({ arm, name, results: runs, view, alignment }, idx) => {
    const results = runs.filter(isFinished);
    const names = specs.map((m) => m.name);
    const t = meanStdByMetric(results.map((r) => r.test), names);
    const v = meanStdByMetric(results.map((r) => r.valid), names);
    let lift: Record<string, number> | null = null;
    let significance: ArmSummary['significance'] = null;
    let segments: ArmSummary['segments'] = null;
    if (idx > 0) {
      const base = meanStdByMetric(baselineRuns.map((r) => r.test), names).mean;
      lift = Object.fromEntries(specs.map((m) => [m.name, relativeLift(base[m.name]!, t.mean[m.name]!, m)]));
      const vec = perUser(name, spec);
      significance = {
        metric: spec.name,
        tTest: pairedTTest(baseVec, vec),
        bootstrap: pairedBootstrapCI(baseVec, vec, { resamples: config.bootstrap.resamples, seed: 0, confidence: 0.95 }),
        seeds: seedLevelTest(baselineRuns.map((r) => r.test[spec.name]!), results.map((r) => r.test[spec.name]!), spec.direction),
      };
      segments = {
        historyLength: segmentedLift(baseVec, vec, histLabels, spec, { order: historyLengthLabels() }),
        targetPopularity: segmentedLift(baseVec, vec, popLabels, spec, { order: ['head', 'tail'] }),
        targetCount: segmentedLift(baseVec, vec, countLabels, spec, { order: historyLengthLabels([5]) }),
      };
    }
    return {
      name,
      pipeline: arm ? (pipelines.get(arm.name)!.offline?.toJSON() ?? null) : null,
      training: arm ? trainingSummary(arm, pipelines.get(arm.name)!) : null,
      views: arm?.views ?? 0,
      synthesize: arm?.synthesize ?? null,
      trainSequences: view.users().length,
      trainInteractions: view.interactionCount,
      test: t.mean,
      testStd: t.std,
      valid: v.mean,
      lift,
      significance,
      segments,
      alignment,
    };
  });

  const table = liftTable(arms, spec.name);
  const aggregated: RunStage = { stage: 'aggregate', seconds: Math.round(performance.now() - aggregateStart) / 1000, peakRssMiB: peakRssMiB() };
  writeJsonAtomic(join(o.out, 'results.json'), {
    name: config.name,
    config,
    dataset: { name: dataset.name, checksum: dataset.checksum, users: dataset.userIds.length, items: dataset.numItems, testCases: split.test.length },
    metric: spec.name,
    seeds,
    arms,
  });
  // Seconds and peak RSS (MiB) of this process's steps around the runs (each run's own are in
  // arms/<arm>/seeds/); beside results.json, not in it, so the results of a rerun or of a run
  // split over workers stay byte-identical.
  writeJsonAtomic(join(o.out, 'stages.json'), { stages: [...stages, aggregated], wallSeconds: Math.round(performance.now() - ctx.startedAt) / 1000, environment: runEnvironment() });
  writeFileAtomic(join(o.out, 'results.csv'), liftCsv(arms, specs.map((s) => s.name)));
  return { arms, table };
}

interface ArmPipelines {
  readonly offline?: Pipeline;
  readonly online?: Pipeline;
  readonly contrastive?: Pipeline;
}

/** An arm's training view for one seed and the key its seed results are fingerprinted with. */
interface ArmTrainView {
  readonly view: TrainView;
  readonly key: string;
  readonly weights?: Float32Array;
  /** synthesize.pretrain: which users train during pre-training and which after (the key names the arm's settings). */
  readonly warmup?: TrainingWarmup;
  readonly alignment: AlignmentSummary | null;
}

/**
 * The phases of synthesize.pretrain over an aligned view that keeps the real users first
 * (users 0…realUsers−1) and the kept synthetic ones after them: pre-training trains the synthetic
 * users (and the real ones with withReal), fine-tuning the real users alone.
 */
function pretrainWarmup(view: TrainView, realUsers: number, pretrain: { readonly epochs: number; readonly withReal: boolean }): TrainingWarmup {
  const during = new Uint8Array(view.numUsers);
  const after = new Uint8Array(view.numUsers);
  for (let u = 0; u < view.numUsers; u++) {
    const real = u < realUsers;
    during[u] = !real || pretrain.withReal ? 1 : 0;
    after[u] = real ? 1 : 0;
  }
  return { epochs: pretrain.epochs, during, after };
}

/** One seed of an arm: its evaluation, or a seed another worker on the folder is producing. */
type ArmRun = EvaluateResult | { readonly pendingSeeds: readonly number[] };

function isFinished(r: ArmRun): r is EvaluateResult {
  return 'test' in r;
}

/** Synthetic histories saved by an earlier run with the same key; null when absent or stale. */
function readSyntheticCache(path: string, key: unknown): Int32Array[] | null {
  const saved = readRunResult<{ histories: number[][] }>(path, key, {
    // Written before the run store as { key, histories }.
    legacy: (raw) => ('key' in raw && 'histories' in raw ? { fingerprint: raw['key'], result: { histories: raw['histories'] as number[][] } } : null),
    valid: (r): r is { histories: number[][] } => r !== null && typeof r === 'object' && Array.isArray((r as { histories?: unknown }).histories),
  });
  return saved ? saved.result.histories.map((h) => Int32Array.from(h)) : null;
}

/** A pipeline as a trainer transform: its first output; mask tokens stripped unless `keepMask`. */
function pipelineTransform(pipeline: Pipeline, train: TrainView, keepMask: boolean): SequenceTransform {
  const ctx = pipeline.contextFor(train);
  pipeline.validate(ctx);
  const mask = maskToken(train.numItems);
  return (seq, rng) => {
    const items = pipeline.run(seq, ctx, rng)[0]!.items;
    return keepMask ? items : items.filter((x) => x !== mask);
  };
}

function trainingAugmentation(arm: ArmConfig, p: ArmPipelines, train: TrainView): TrainingAugmentation | undefined {
  if (!p.online && !p.contrastive) return undefined;
  const online = p.online && arm.online ? { settings: arm.online, transform: pipelineTransform(p.online, train, arm.online.keepTargets) } : null;
  if (online?.settings.keepTargets) checkLengthPreserving(arm.name, online.transform, train);
  return {
    key: JSON.stringify(trainingSummary(arm, p)),
    ...(online
      ? { online: { transform: online.transform, probability: online.settings.probability, ...(online.settings.keepTargets ? { keepTargets: true } : {}) } }
      : {}),
    ...(p.contrastive && arm.contrastive
      ? { contrastive: { transform: pipelineTransform(p.contrastive, train, true), weight: arm.contrastive.weight, temperature: arm.contrastive.temperature } }
      : {}),
  };
}

/**
 * keepTargets pairs each corrupted input with the real next item, so the pipeline must keep every
 * length; a dry run on some training sequences refuses a crop or insert before anything trains.
 */
function checkLengthPreserving(armName: string, transform: SequenceTransform, train: TrainView): void {
  const rng = new Rng(0).split('keep-targets-dry-run');
  for (const u of train.users().slice(0, 200)) {
    const s = train.sequence(u);
    if (s.length < 2) continue;
    const v = transform(s, rng);
    if (v.length !== s.length) {
      throw new ConfigError(`arm '${armName}': online.keepTargets needs length-preserving steps (mask, substitute), but the pipeline turned a ${s.length}-item sequence into ${v.length} items`, { field: `arms.${armName}.online.keepTargets` });
    }
  }
}

function trainingSummary(arm: ArmConfig, p: ArmPipelines): ArmSummary['training'] {
  if (!p.online && !p.contrastive) return null;
  return {
    ...(p.online && arm.online ? { online: { pipeline: p.online.toJSON(), probability: arm.online.probability, ...(arm.online.keepTargets ? { keepTargets: true } : {}) } } : {}),
    ...(p.contrastive && arm.contrastive ? { contrastive: { pipeline: p.contrastive.toJSON(), weight: arm.contrastive.weight, temperature: arm.contrastive.temperature } } : {}),
  };
}

export function liftTable(arms: readonly ArmSummary[], metric: string): string {
  const width = Math.max(18, ...arms.map((a) => a.name.length));
  const lines = [`${'arm'.padEnd(width)} ${'HR@20'.padStart(16)} ${'NDCG@20'.padStart(16)}  lift(${metric})   p (t-test)  95% CI of Δ         seeds better (p)`];
  for (const a of arms) {
    const sig = a.significance;
    lines.push(
      `${a.name.padEnd(width)} ${`${a.test['HR@20']!.toFixed(4)}±${a.testStd['HR@20']!.toFixed(4)}`.padStart(16)} ${`${a.test['NDCG@20']!.toFixed(4)}±${a.testStd['NDCG@20']!.toFixed(4)}`.padStart(16)}  ` +
        (a.lift ? `${(a.lift[metric]! * 100 >= 0 ? '+' : '')}${(a.lift[metric]! * 100).toFixed(1)}%`.padStart(9) : '(baseline)'.padStart(9)) +
        (sig ? `   ${sig.tTest.pValue.toExponential(2).padStart(9)}  [${sig.bootstrap.lo.toFixed(4)}, ${sig.bootstrap.hi.toFixed(4)}]  ${describeSeedLevel(sig.seeds)}` : ''),
    );
  }
  return lines.join('\n');
}

function liftCsv(arms: readonly ArmSummary[], metrics: readonly string[]): string {
  const header = ['arm', 'views', 'train_sequences', ...metrics.flatMap((m) => [m, `${m}_std`, `${m}_lift`]), 'p_ttest', 'ci_lo', 'ci_hi', 'seeds_better', 'p_seeds'];
  const rows = arms.map((a) => [
    a.name,
    a.views,
    a.trainSequences,
    ...metrics.flatMap((m) => [a.test[m], a.testStd[m], a.lift ? a.lift[m] : '']),
    a.significance?.tTest.pValue ?? '',
    a.significance?.bootstrap.lo ?? '',
    a.significance?.bootstrap.hi ?? '',
    a.significance?.seeds.better ?? '',
    a.significance?.seeds.pValue ?? '',
  ]);
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

