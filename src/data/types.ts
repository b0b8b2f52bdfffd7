/**
 * The shapes every other module sees. Item ids are dense integers 1..numItems; 0 is padding.
 * External ids (the strings in the input file) are kept in `userIds` / `itemIds` so every id can be
 * mapped back.
 */

/** Chronologically ordered behaviour sequences, one per user. */
export interface SequenceDataset {
  /** Human name, e.g. the file's base name. */
  readonly name: string;
  /** External user id for each dense user index. */
  readonly userIds: readonly string[];
  /** External item id for each dense item id; index 0 is the padding slot ('<pad>'). */
  readonly itemIds: readonly string[];
  /** numItems = itemIds.length - 1. */
  readonly numItems: number;
  /** sequences[u] = dense item ids of user u in time order (ties keep file order). */
  readonly sequences: readonly Int32Array[];
  /** Optional timestamps aligned with `sequences` (seconds or ms, as read). */
  readonly timestamps?: readonly Float64Array[];
  /** sha256 of the source bytes (hex), so results can name exactly what they ran on. */
  readonly checksum: string;
}

/** One evaluation query: predict `target` from `history`. */
export interface EvalCase {
  readonly user: number;
  readonly history: Int32Array;
  readonly target: number;
}

/**
 * What a model is allowed to train on. Only training interactions are reachable from it: the
 * validation and test targets are not stored in it at all (leakage is impossible by construction).
 */
export interface TrainView {
  readonly numItems: number;
  readonly numUsers: number;
  /** The training part of user u's sequence (a copy: mutating it changes nothing). */
  sequence(user: number): Int32Array;
  /** Users whose training part is non-empty. */
  users(): number[];
  /** Total number of training interactions. */
  readonly interactionCount: number;
}

export type SplitKind = 'leave-one-out' | 'temporal' | 'session';

export interface SequentialSplit {
  readonly kind: SplitKind;
  readonly train: TrainView;
  readonly valid: readonly EvalCase[];
  readonly test: readonly EvalCase[];
  /** Counts that explain the split (who was left out of evaluation and why). */
  readonly summary?: SplitSummary;
  /**
   * What a model refitted just before test (Popularity, ItemKNN) may count, when it is not the
   * test histories (leave-one-out's default): for the session split, training + validation sessions.
   */
  readonly testTimeTrain?: TrainView;
}

export interface SplitSummary {
  readonly users: number;
  /** Users with at least one valid or test case. */
  readonly evaluatedUsers: number;
  /** Leave-one-out: users with fewer than 3 items (all of their items go to train, no eval case). */
  readonly shortUsers: number;
  readonly trainInteractions: number;
  readonly validCases: number;
  readonly testCases: number;
  /** Temporal: targets whose history would be empty (the user's first interaction is after the cut), skipped. */
  readonly coldStartSkipped?: number;
  /** Temporal: interactions with timestamp >= validCut are valid or test targets. */
  readonly validCut?: number;
  /** Temporal: interactions with timestamp >= testCut are test targets. */
  readonly testCut?: number;
}

/**
 * Interactions as read, one entry per kept row, in file order (before any grouping or sorting).
 * Ids are the external strings; `lines[i]` is the physical line (Parquet: 1-based row number) of row i.
 */
export interface InteractionTable {
  readonly file: string;
  /** sha256 (hex) of the source bytes. */
  readonly checksum: string;
  readonly users: readonly string[];
  readonly items: readonly string[];
  /** Present when a timestamp column was read (Unix seconds for ISO dates; numbers as written otherwise). */
  readonly timestamps?: Float64Array;
  /** Present when an event-type column was read. */
  readonly eventTypes?: readonly string[];
  readonly lines: Float64Array;
}

/** Why a row was rejected; a stable code plus a human sentence. */
export interface Rejection {
  readonly file: string;
  /** 1-based physical line number in the file (header is line 1 when present). */
  readonly line: number;
  readonly field: string;
  readonly reason: string;
  readonly code: string;
  /** The start of the offending row (at most ~200 characters), when there is one. */
  readonly raw?: string;
}

/** Row accounting for one read: rowsIn === rowsKept + rowsRejected always holds. */
export interface ReadReport {
  readonly file: string;
  readonly rowsIn: number;
  readonly rowsKept: number;
  readonly rowsRejected: number;
  /** Count of rejections per reason code. */
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** Where the rejected rows were written (JSONL), when a path was given. */
  readonly rejectedFile?: string;
  /** The first few rejections, for messages and tests. */
  readonly sample: readonly Rejection[];
}
