/**
 * Train/validation/test splits. Pure functions of the dataset: no randomness, same input → same split.
 * The TrainView is built from copies of the training prefixes only; the targets are never stored in
 * it, so a model holding only the TrainView cannot see them.
 */
import { ConfigError, DataValidationError } from '../core/errors.ts';
import type { EvalCase, SequenceDataset, SequentialSplit, SplitSummary, TrainView } from './types.ts';

/** A TrainView over one flat copy of the training prefixes. */
class PrefixTrainView implements TrainView {
  readonly #data: Int32Array;
  readonly #offsets: Float64Array;
  readonly #users: number[];
  readonly numItems: number;
  readonly numUsers: number;
  readonly interactionCount: number;

  constructor(numItems: number, prefixes: readonly Int32Array[]) {
    this.numItems = numItems;
    this.numUsers = prefixes.length;
    const offsets = new Float64Array(prefixes.length + 1);
    for (let u = 0; u < prefixes.length; u++) offsets[u + 1] = offsets[u]! + prefixes[u]!.length;
    const data = new Int32Array(offsets[prefixes.length]!);
    const users: number[] = [];
    for (let u = 0; u < prefixes.length; u++) {
      data.set(prefixes[u]!, offsets[u]!);
      if (prefixes[u]!.length > 0) users.push(u);
    }
    this.#data = data;
    this.#offsets = offsets;
    this.#users = users;
    this.interactionCount = data.length;
  }

  sequence(user: number): Int32Array {
    if (!Number.isInteger(user) || user < 0 || user >= this.numUsers) throw new RangeError(`user ${user} is outside 0..${this.numUsers - 1}`);
    return this.#data.slice(this.#offsets[user]!, this.#offsets[user + 1]!);
  }

  users(): number[] {
    return this.#users.slice();
  }
}

/** Builds a TrainView holding copies of the given sequences (for tests and for re-training on train+valid). */
export function makeTrainView(numItems: number, sequences: readonly Int32Array[]): TrainView {
  return new PrefixTrainView(numItems, sequences);
}

export interface LeaveOneOutOptions {
  /**
   * Users with fewer than 3 items cannot give a valid and a test case. 'train' (default) puts all of
   * their items into training (they are not evaluated, so nothing leaks); 'drop' leaves them out.
   * Either way they are counted in `summary.shortUsers`. CoSeRec evaluates only users with ≥ 3 items.
   */
  shortUsers?: 'train' | 'drop';
}

/**
 * Leave-one-out (the CoSeRec / S3-Rec / RecBole `LS: valid_and_test` protocol), per user s with
 * |s| ≥ 3: train = s[:-2]; valid = predict s[-2] from s[:-2]; test = predict s[-1] from s[:-1].
 * The valid target is part of the test history, as in the originating repos.
 */
export function leaveOneOutSplit(dataset: SequenceDataset, opts: LeaveOneOutOptions = {}): SequentialSplit {
  const policy = opts.shortUsers ?? 'train';
  const prefixes: Int32Array[] = [];
  const valid: EvalCase[] = [];
  const test: EvalCase[] = [];
  let shortUsers = 0;
  for (let u = 0; u < dataset.sequences.length; u++) {
    const s = dataset.sequences[u]!;
    const n = s.length;
    if (n < 3) {
      shortUsers++;
      prefixes.push(policy === 'train' ? s.slice() : new Int32Array(0));
      continue;
    }
    prefixes.push(s.slice(0, n - 2));
    valid.push({ user: u, history: s.slice(0, n - 2), target: s[n - 2]! });
    test.push({ user: u, history: s.slice(0, n - 1), target: s[n - 1]! });
  }
  const train = new PrefixTrainView(dataset.numItems, prefixes);
  const summary: SplitSummary = {
    users: dataset.sequences.length,
    evaluatedUsers: test.length,
    shortUsers,
    trainInteractions: train.interactionCount,
    validCases: valid.length,
    testCases: test.length,
  };
  return { kind: 'leave-one-out', train, valid, test, summary };
}

export interface TemporalOptions {
  validFraction: number;
  testFraction: number;
  /** 'all' (default): every interaction after a cut is a target; 'first': only each user's first one per period. */
  targets?: 'all' | 'first';
  /** Keep targets with an empty history (the user's first interaction is after the valid cut). Default false. */
  keepColdStart?: boolean;
}

/**
 * Global temporal split. Let t(0) ≤ … ≤ t(N-1) be all N interaction timestamps, nTest =
 * round(N·testFraction), nValid = round(N·validFraction), testCut = t(N-nTest) (or +∞ when nTest = 0)
 * and validCut = t(N-nTest-nValid) (or testCut when nValid = 0). An interaction with timestamp t is
 *   train  when t < validCut,   valid when validCut ≤ t < testCut,   test when t ≥ testCut.
 * Ties at a cut all fall on the later side, so the realised fractions can exceed the requested
 * ones; that keeps "everything in train happened strictly before every target".
 * Each user's training part is the prefix of their sequence before validCut. Each valid/test
 * target at position p gets history s[:p] — everything the user did before it, including earlier
 * valid/test interactions (they happened before the target, so they are not leakage).
 * Targets with an empty history are skipped unless keepColdStart (counted in coldStartSkipped).
 */
export function temporalSplit(dataset: SequenceDataset, opts: TemporalOptions): SequentialSplit {
  const { validFraction: vf, testFraction: tf } = opts;
  if (!(vf >= 0 && tf >= 0 && vf + tf < 1) || !Number.isFinite(vf) || !Number.isFinite(tf))
    throw new ConfigError(`temporal split needs validFraction ≥ 0, testFraction ≥ 0 and their sum < 1 (got ${vf}, ${tf})`, { field: 'validFraction' });
  const T = dataset.timestamps;
  if (!T) throw new DataValidationError('dataset has no timestamps; a temporal split needs them (use leave-one-out instead)', { file: dataset.name });
  let N = 0;
  for (let u = 0; u < dataset.sequences.length; u++) {
    const ts = T[u]!;
    if (ts.length !== dataset.sequences[u]!.length) throw new DataValidationError(`timestamps of user ${u} do not align with the sequence`, { file: dataset.name });
    for (let j = 1; j < ts.length; j++)
      if (ts[j]! < ts[j - 1]!) throw new DataValidationError(`timestamps of user ${dataset.userIds[u]} are not in time order (position ${j})`, { file: dataset.name });
    N += ts.length;
  }
  const all = new Float64Array(N);
  let o = 0;
  for (const ts of T) all.set(ts, o), (o += ts.length);
  all.sort();
  const nTest = Math.round(N * tf);
  const nValid = Math.round(N * vf);
  const testCut = nTest > 0 ? all[N - nTest]! : Infinity;
  const validCut = nValid > 0 ? all[Math.max(0, N - nTest - nValid)]! : testCut;

  const first = opts.targets === 'first';
  const prefixes: Int32Array[] = [];
  const valid: EvalCase[] = [];
  const test: EvalCase[] = [];
  const evaluated = new Set<number>();
  let coldStartSkipped = 0;
  for (let u = 0; u < dataset.sequences.length; u++) {
    const s = dataset.sequences[u]!;
    const ts = T[u]!;
    let p = 0;
    while (p < s.length && ts[p]! < validCut) p++;
    prefixes.push(s.slice(0, p));
    let tookValid = false;
    let tookTest = false;
    for (let j = p; j < s.length; j++) {
      const isTest = ts[j]! >= testCut;
      if (first && (isTest ? tookTest : tookValid)) continue;
      if (j === 0 && !opts.keepColdStart) {
        coldStartSkipped++;
        continue;
      }
      const c: EvalCase = { user: u, history: s.slice(0, j), target: s[j]! };
      if (isTest) (test.push(c), (tookTest = true));
      else (valid.push(c), (tookValid = true));
      evaluated.add(u);
    }
  }
  const train = new PrefixTrainView(dataset.numItems, prefixes);
  const summary: SplitSummary = {
    users: dataset.sequences.length,
    evaluatedUsers: evaluated.size,
    shortUsers: 0,
    trainInteractions: train.interactionCount,
    validCases: valid.length,
    testCases: test.length,
    coldStartSkipped,
    validCut,
    testCut,
  };
  return { kind: 'temporal', train, valid, test, summary };
}
