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

export interface SessionSplitOptions {
  /** Sessions whose last event is within this many days of the newest event are test (SR-GNN: 7). */
  readonly testDays?: number;
  /** The sessions of the days just before the test period are validation (model selection). */
  readonly validDays?: number;
  /** Items seen fewer times in the whole file are removed (SR-GNN: 5), then sessions left with < 2 items. */
  readonly minItemSupport?: number;
}

/**
 * The session-based protocol of SR-GNN / NARM on DIGINETICA: sessions (the dataset's "users") of
 * length 1 are dropped, items seen fewer than `minItemSupport` times are removed, sessions left
 * shorter than 2 are dropped; sessions ending in the last `testDays` are test, the `validDays`
 * before them validation (SR-GNN has none; we need one to select epochs), the rest training.
 * Validation/test sessions lose items never seen in training; every prefix of such a session
 * predicts its next item (one EvalCase per position). Items are renumbered to those that occur in
 * training, so full ranking runs over the items a model can know.
 */
export function sessionSplit(dataset: SequenceDataset, opts: SessionSplitOptions = {}): { dataset: SequenceDataset; split: SequentialSplit } {
  const testDays = opts.testDays ?? 7;
  const validDays = opts.validDays ?? 7;
  const minSupport = opts.minItemSupport ?? 5;
  if (!(testDays > 0) || !(validDays >= 0)) throw new ConfigError(`session split needs testDays > 0 and validDays >= 0 (got ${testDays}, ${validDays})`, { field: 'testDays' });
  if (!Number.isInteger(minSupport) || minSupport < 1) throw new ConfigError(`minItemSupport must be an integer >= 1, got ${minSupport}`, { field: 'minItemSupport' });
  const T = dataset.timestamps;
  if (!T) throw new DataValidationError('dataset has no timestamps; the session split needs them', { file: dataset.name });
  const long = dataset.sequences.map((s, u) => ({ u, s })).filter((x) => x.s.length > 1);
  const support = new Int32Array(dataset.numItems + 1);
  for (const { s } of long) for (const x of s) support[x]!++;
  const kept = long.map(({ u, s }) => ({ u, s: s.filter((x) => support[x]! >= minSupport), end: T[u]![T[u]!.length - 1]! })).filter((x) => x.s.length > 1);
  let newest = Number.NEGATIVE_INFINITY;
  for (const x of kept) newest = Math.max(newest, x.end);
  const DAY = 86_400;
  const testCut = newest - testDays * DAY;
  const validCut = testCut - validDays * DAY;
  const trainSessions = kept.filter((x) => x.end <= validCut);
  // Renumber to the items of training sessions (1..n, in order of first appearance).
  const newId = new Int32Array(dataset.numItems + 1);
  const itemIds: string[] = [dataset.itemIds[0] ?? '<pad>'];
  for (const { s } of trainSessions) for (const x of s) if (newId[x] === 0) (newId[x] = itemIds.length), itemIds.push(dataset.itemIds[x]!);
  const remap = (s: Int32Array): Int32Array => Int32Array.from(Array.from(s, (x) => newId[x]!).filter((x) => x > 0));
  const sessions: Int32Array[] = [];
  const userIds: string[] = [];
  const trainSeqs: Int32Array[] = [];
  const valid: EvalCase[] = [];
  const test: EvalCase[] = [];
  const refitSeqs: Int32Array[] = [];
  for (const x of kept) {
    const s = remap(x.s);
    if (s.length < 2) continue;
    const user = sessions.length;
    sessions.push(s);
    userIds.push(dataset.userIds[x.u]!);
    const part = x.end <= validCut ? 'train' : x.end <= testCut ? 'valid' : 'test';
    trainSeqs.push(part === 'train' ? s : new Int32Array(0));
    refitSeqs.push(part === 'test' ? new Int32Array(0) : s);
    if (part === 'train') continue;
    const cases = part === 'valid' ? valid : test;
    for (let j = 1; j < s.length; j++) cases.push({ user, history: s.slice(0, j), target: s[j]! });
  }
  const numItems = itemIds.length - 1;
  const out: SequenceDataset = { name: `${dataset.name} (sessions)`, userIds, itemIds, numItems, sequences: sessions, checksum: dataset.checksum };
  const train = makeTrainView(numItems, trainSeqs);
  const summary: SplitSummary = {
    users: sessions.length,
    evaluatedUsers: new Set([...valid, ...test].map((c) => c.user)).size,
    shortUsers: dataset.sequences.length - sessions.length,
    trainInteractions: train.interactionCount,
    validCases: valid.length,
    testCases: test.length,
    validCut,
    testCut,
  };
  return { dataset: out, split: { kind: 'session', train, valid, test, summary, testTimeTrain: makeTrainView(numItems, refitSeqs) } };
}
