import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, basename } from 'node:path';
import { CancelToken, ConfigError, DataValidationError, peakRssMiB, silentProgress, writeJsonAtomic, type ProgressReporter } from '../core/index.ts';
import { leaveOneOutSplit, loadDataset, makeTrainView, type DataFormat, type EvalCase, type LoadOptions, type ReadReport, type SequenceDataset, type SequentialSplit, type TrainView } from '../data/index.ts';
import { combineSeeds, DEFAULT_HISTORY_EXCLUSION, defaultMetrics, meanStdByMetric, drawSampledCandidates, fullRankingRanks, metricsFromRanks, ndcgAtK, hitRateAtK, sampledRanks, type HistoryExclusion, type MetricSpec, type SampledCandidates } from '../eval/index.ts';
import { createRecommender, type ModelSpec, type EpochLog, type Recommender, type TrainingAugmentation, type TrainingWarmup } from '../models/index.ts';
import { backendInfo } from '../nn/index.ts';
import { rejectionCounts, reportRejections } from './read-summary.ts';
import { claimRun, readRunResult, sameFingerprint, writeRunResult } from './run-store.ts';
import { runEnvironment, samplifyPackageVersion, type RunEnvironment } from './config.ts';

export interface EvaluateConfig {
  readonly data: string;
  readonly format: DataFormat;
  /** Reader options: columns of CSV/TSV/JSONL/Parquet, event types, where rejected rows go… */
  readonly load?: LoadOptions;
  readonly model: ModelSpec;
  /** Seeds run one after another; results are mean ± std over them. */
  readonly seeds: readonly number[];
  readonly epochs?: number;
  readonly patience?: number;
  readonly protocol?: 'full' | 'sampled';
  /** Negatives per case for the sampled protocol (S3-Rec: 99). */
  readonly sampledNegatives?: number;
  readonly exclude?: HistoryExclusion;
  /** Where results.json, per-query ranks, fitted models (model-seedN/) and checkpoints go. */
  readonly out: string;
  /** Online augmentation / contrastive views inside the trainer (sequence networks). */
  readonly augmentation?: TrainingAugmentation;
  /**
   * Several processes may work on one output folder: each claims a seed with a lock file before
   * training it and skips seeds another live process holds (they are listed in `pendingSeeds`).
   */
  readonly shareWithWorkers?: boolean;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** After each trained epoch of a seed's fit, with that epoch's weights in `model` (see FitOptions.afterEpoch). */
  readonly afterEpoch?: (seed: number, epoch: number, model: Recommender, logs: readonly EpochLog[]) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly valid: Record<string, number>;
  readonly test: Record<string, number>;
  readonly bestEpoch: number;
  readonly epochs: number;
  readonly fitSeconds: number;
  readonly evalSeconds: number;
  readonly secondsPerEpoch: number | null;
  readonly resumed: boolean;
  /** The process's peak resident memory (MiB) when this seed finished (src/core/memory.ts); absent in older records. */
  readonly peakRssMiB?: number;
}

export interface EvaluateResult {
  readonly samplify: string;
  readonly config: Record<string, unknown>;
  readonly dataset: Record<string, unknown>;
  readonly valid: Record<string, number>;
  readonly test: Record<string, number>;
  readonly validStd: Record<string, number>;
  readonly testStd: Record<string, number>;
  readonly seeds: readonly SeedResult[];
  readonly backend: Record<string, unknown>;
  readonly machine: Record<string, unknown>;
  /** The samplify command line that started the run (null outside the CLI), and the settings (see runEnvironment). */
  readonly command?: RunEnvironment['command'];
  /** Seeds another worker is still training (only with shareWithWorkers); not in the means. */
  readonly pendingSeeds?: readonly number[];
}

const MODEL_SELECTION_METRIC = 'NDCG@20';

/**
 * Trains a model on the training view of a leave-one-out split for each seed, selects epochs on
 * validation NDCG@20 only, then evaluates the chosen weights once on test. Writes results.json and
 * the per-query ranks (every metric is a function of them, so significance tests and segment
 * analyses can be recomputed later).
 */
export async function runEvaluation(config: EvaluateConfig): Promise<EvaluateResult> {
  const progress = config.progress ?? silentProgress;
  if (config.seeds.length === 0) throw new ConfigError('at least one seed is needed', { field: 'seeds' });
  // An unknown model or a bad parameter fails here, before the data file is read.
  createRecommender(config.model);
  const { dataset, report } = await loadDataset(config.data, config.format, config.load ?? {});
  progress.line(`read ${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`);
  reportRejections(report, progress);
  const split = leaveOneOutSplit(dataset);
  progress.line(`${dataset.name}: ${dataset.userIds.length} users, ${dataset.numItems} items; leave-one-out: ${split.train.interactionCount} train interactions, ${split.valid.length} valid, ${split.test.length} test`);
  return evaluateOnSplit({ dataset, report, split }, config);
}

/** A dataset already read and split; `train` may replace split.train (e.g. an expanded training set). */
export interface PreparedData {
  readonly dataset: SequenceDataset;
  readonly report: ReadReport;
  readonly split: SequentialSplit;
  readonly train?: TrainView;
  /** Identifies `train` when it is not split.train (pipeline, views, seed), for resuming. */
  readonly trainKey?: string;
  /** Loss weight per user of `train` (importance-weighted alignment); `trainKey` must identify them too. */
  readonly trainWeights?: Float32Array;
  /** A warm-up phase over `train`'s users (pre-training on synthetic users); `trainKey` must identify it too. */
  readonly trainWarmup?: TrainingWarmup;
}

/**
 * The seed loop of runEvaluation on prepared data. A seed whose result file (seeds/seedN.json)
 * exists with the same fingerprint is not redone, so an interrupted experiment resumes.
 */
/** The lock file a process holds while it trains seed `seed` of the run in `out` (workers sharing the folder skip a held seed). */
export function seedLockPath(out: string, seed: number): string {
  return join(out, 'seeds', `seed${seed}.lock`);
}

export async function evaluateOnSplit(prepared: PreparedData, config: Omit<EvaluateConfig, 'data' | 'format' | 'load'> & { data?: string; format?: DataFormat }): Promise<EvaluateResult> {
  const progress = config.progress ?? silentProgress;
  const { dataset, report, split } = prepared;
  const train = prepared.train ?? split.train;
  const numItems = dataset.numItems;
  const protocol = config.protocol ?? 'full';
  const exclude = config.exclude ?? DEFAULT_HISTORY_EXCLUSION;
  const specs = defaultMetrics();
  const refitForTest = createRecommender(config.model).refitBeforeTest;

  assertEvaluable(prepared);

  const seedResults: SeedResult[] = [];
  const pendingSeeds: number[] = [];
  for (const seed of config.seeds) {
    const seedFile = join(config.out, 'seeds', `seed${seed}.json`);
    const fingerprint = { model: config.model, epochs: config.epochs ?? null, patience: config.patience ?? null, protocol, exclude, checksum: dataset.checksum, train: prepared.trainKey ?? 'split.train', ...(config.augmentation ? { augmentation: config.augmentation.key } : {}), seed };
    const done = readRunResult<SeedResult>(seedFile, fingerprint, { reuse: sameRunUnderEpochCap });
    if (done) {
      progress.line(`seed ${seed}: already done (${seedFile}${!done.exact ? `: it stopped early at epoch ${done.result.epochs}, so an epoch cap of ${config.epochs} trains exactly the same` : ''}); not rerun`);
      seedResults.push(done.result);
      continue;
    }
    const lock = config.shareWithWorkers ? claimRun(seedLockPath(config.out, seed)) : undefined;
    if (lock === null) {
      progress.line(`seed ${seed}: another worker is training it; skipped here`);
      pendingSeeds.push(seed);
      continue;
    }
    try {
      const candidates = protocol === 'sampled' ? drawCandidates(split, dataset.sequences, numItems, config.sampledNegatives ?? 99, seed) : null;
      if (candidates) {
        writeJsonAtomic(join(config.out, `candidates-seed${seed}.json`), {
          seed,
          negativesPerCase: candidates.test.negativesPerCase,
          valid: candidates.valid.negatives.map((a) => Array.from(a)),
          test: candidates.test.negatives.map((a) => Array.from(a)),
        });
      }
      const rank = (m: Recommender, cases: readonly EvalCase[]): Int32Array =>
        candidates && cases === split.test ? sampledRanks(m, cases, numItems, candidates.test) : candidates ? sampledRanks(m, cases, numItems, candidates.valid) : fullRankingRanks(m, cases, numItems, { exclude, progress, label: cases === split.test ? 'ranking the test cases' : 'ranking the validation cases' });
      const model = createRecommender(config.model);
      progress.line(`seed ${seed}: fitting ${model.name}`);
      const fit = await model.fit(train, {
        seed,
        ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
        ...(config.patience !== undefined ? { patience: config.patience } : {}),
        checkpointDir: join(config.out, `checkpoints`, `seed${seed}`),
        progress,
        ...(config.augmentation ? { augmentation: config.augmentation } : {}),
        ...(prepared.trainWeights ? { sampleWeights: prepared.trainWeights } : {}),
        ...(prepared.trainWarmup ? { warmup: prepared.trainWarmup } : {}),
        ...(config.cancel ? { cancel: config.cancel } : {}),
        ...(config.afterEpoch ? { afterEpoch: (epoch: number, logs: readonly EpochLog[]) => config.afterEpoch!(seed, epoch, model, logs) } : {}),
        validate: (m) => {
          const r = metricsFromRanks(rank(m, split.valid), [ndcgAtK(20), hitRateAtK(20)]).means;
          return { score: r[MODEL_SELECTION_METRIC]!, metrics: r };
        },
      });
      let te = performance.now();
      const validRanks = rank(model, split.valid);
      let evalSeconds = (performance.now() - te) / 1000;
      if (refitForTest) {
        // Nothing of these models is selected on validation, so for test they count the validation
        // interactions too: exactly the test histories s[:-1], never a test target.
        await model.fit(historiesView(split, numItems), { seed });
      }
      model.save(join(config.out, `model-seed${seed}`));
      te = performance.now();
      const testRanks = rank(model, split.test);
      evalSeconds += (performance.now() - te) / 1000;
      const valid = metricsFromRanks(validRanks, specs).means;
      const test = metricsFromRanks(testRanks, specs).means;
      writeJsonAtomic(join(config.out, 'ranks', `seed${seed}.json`), { seed, users: split.test.map((c) => c.user), valid: Array.from(validRanks), test: Array.from(testRanks) });
      const trainSeconds = fit.epochs.map((e) => e.seconds);
      seedResults.push({
        seed,
        valid: round(valid),
        test: round(test),
        bestEpoch: fit.bestEpoch,
        epochs: fit.epochs.length,
        fitSeconds: fit.seconds,
        evalSeconds,
        secondsPerEpoch: trainSeconds.length ? median(trainSeconds) : null,
        resumed: fit.resumed,
        peakRssMiB: peakRssMiB(),
      });
      writeRunResult(seedFile, fingerprint, seedResults.at(-1));
      progress.line(`seed ${seed}: test ${fmtMetrics(test)} (best epoch ${fit.bestEpoch}, fit ${fit.seconds.toFixed(1)}s, eval ${evalSeconds.toFixed(1)}s)`);
    } finally {
      lock?.release();
    }
  }

  const names = specs.map((x) => x.name);
  const v = meanStdByMetric(seedResults.map((r) => r.valid), names);
  const t = meanStdByMetric(seedResults.map((r) => r.test), names);
  const result: EvaluateResult = {
    samplify: samplifyPackageVersion(),
    config: {
      data: config.data ? basename(config.data) : dataset.name,
      format: config.format ?? null,
      train: prepared.trainKey ?? 'split.train',
      model: config.model,
      seeds: config.seeds,
      epochs: config.epochs ?? null,
      patience: config.patience ?? null,
      protocol,
      ...(protocol === 'sampled' ? { sampledNegatives: config.sampledNegatives ?? 99 } : { exclude }),
      split: 'leave-one-out',
      testFitOn: refitForTest ? 'train + validation interactions (the test histories)' : 'train interactions; validation items are test-time history only',
      modelSelection: `${MODEL_SELECTION_METRIC} on validation`,
      metrics: specs.map((s) => ({ name: s.name, direction: s.direction, range: s.range })),
    },
    dataset: {
      name: dataset.name,
      checksum: dataset.checksum,
      users: dataset.userIds.length,
      items: numItems,
      // Interactions, not rows: a sequence-text row is a whole user history.
      interactions: dataset.sequences.reduce((n, s) => n + s.length, 0),
      rowsIn: report.rowsIn,
      rowsRejected: report.rowsRejected,
      trainInteractions: train.interactionCount,
      validCases: split.valid.length,
      testCases: split.test.length,
    },
    valid: round(v.mean),
    test: round(t.mean),
    validStd: round(v.std),
    testStd: round(t.std),
    seeds: seedResults,
    ...(pendingSeeds.length > 0 ? { pendingSeeds } : {}),
    backend: { ...backendInfo() },
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    command: runEnvironment().command,
  };
  writeJsonAtomic(join(config.out, 'results.json'), result);
  return result;
}

/**
 * Each test user's `metric` averaged over `seeds`, from the ranks an evaluation stored under
 * `runDir/ranks/` — the per-user vector that paired tests compare (in test-case order).
 */
export function perUserTestMetric(runDir: string, seeds: readonly number[], metric: MetricSpec): Float64Array {
  return combineSeeds(
    seeds.map((seed) => {
      const ranks = JSON.parse(readFileSync(join(runDir, 'ranks', `seed${seed}.json`), 'utf8')) as { test: number[] };
      return Float64Array.from(ranks.test, (r) => metric.fromRank(r));
    }),
  );
}

/**
 * What a model may count before test: every user's training part, with the test history (= the
 * training part + the validation item) where the user has a test case. Users too short for a
 * test case keep their training part. No test target is in it. Splits that define their own
 * test-time view (the session split: training + validation sessions) use it instead.
 */
export function historiesView(split: SequentialSplit, numItems: number): TrainView {
  if (split.testTimeTrain) return split.testTimeTrain;
  const sequences = Array.from({ length: split.train.numUsers }, (_, u) => split.train.sequence(u));
  for (const c of split.test) sequences[c.user] = c.history;
  return makeTrainView(numItems, sequences);
}

/**
 * A split without validation or test cases would "evaluate" to all-zero metrics: refused before any
 * training or output, saying why (how many users were too short, and what the reader rejected).
 */
function assertEvaluable(prepared: PreparedData): void {
  const { dataset, report, split } = prepared;
  if (split.valid.length > 0 && split.test.length > 0) return;
  const users = dataset.userIds.length;
  const why = split.kind === 'leave-one-out' ? `leave-one-out needs users with at least 3 interactions; none of the ${users} users has that many` : `the ${split.kind} split of ${users} users left ${split.valid.length} validation and ${split.test.length} test cases`;
  const rejected = report.rowsRejected > 0 ? `; ${report.rowsRejected} of ${report.rowsIn} rows were rejected (${rejectionCounts(report)})${report.rejectedFile ? `, see ${report.rejectedFile}` : ''}` : '';
  throw new DataValidationError(`no evaluable users: ${why}${rejected}`, { file: report.file });
}

/**
 * The epoch-cap reuse rule: a saved seed whose fingerprint differs only in the epoch cap is reused
 * when it stopped early (patience) at an epoch within the new cap. The trainer's epochs draw from
 * per-epoch RNG streams and nothing in training depends on the cap, so such a run is epoch for
 * epoch the one the new cap would train — raising a cap that did not bind does not retrain
 * converged runs.
 */
function sameRunUnderEpochCap(saved: unknown, now: unknown, r: SeedResult): boolean {
  if (saved === null || typeof saved !== 'object' || now === null || typeof now !== 'object') return false;
  const was = saved as Record<string, unknown>;
  const cur = now as Record<string, unknown>;
  const sameButCap = sameFingerprint({ ...was, epochs: null }, { ...cur, epochs: null });
  const patience = cur['patience'];
  const stoppedEarly = typeof patience === 'number' && Number.isInteger(r.bestEpoch) && r.epochs - r.bestEpoch >= patience;
  return sameButCap && stoppedEarly && typeof cur['epochs'] === 'number' && r.epochs <= cur['epochs'];
}

function drawCandidates(split: SequentialSplit, sequences: readonly Int32Array[], numItems: number, negatives: number, seed: number): { valid: SampledCandidates; test: SampledCandidates } {
  // Negatives exclude everything the user ever interacted with (the S3-Rec sampled protocol);
  // this reads the full sequence, which is fine for evaluation and never reaches training.
  const items = (c: EvalCase) => sequences[c.user]!;
  return {
    valid: drawSampledCandidates(split.valid, numItems, negatives, seed, items),
    test: drawSampledCandidates(split.test, numItems, negatives, seed + 1, items),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function roundNum(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

function round(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, roundNum(x)]));
}

export function fmtMetrics(r: Record<string, number>): string {
  return ['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'].filter((k) => k in r).map((k) => `${k} ${r[k]!.toFixed(4)}`).join(' ');
}
