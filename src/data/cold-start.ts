/**
 * Item cold-start split: some items are held out of training entirely (every interaction with them
 * is removed from the training view) and the question is how well a recommender ranks them when
 * they show up. Nothing of a cold item except its id reaches the training view; what a method may
 * know about it (attributes) is the caller's business.
 *
 * Per user s, let w = s with every cold item removed (the sequence as a model trained on warm
 * items sees it). The warm part is an ordinary leave-one-out split of w: train = w[:-2], warm
 * valid predicts w[-2] from w[:-2], warm test predicts w[-1] from w[:-1] (users with |w| < 3 put
 * all of w into training). Every interaction s[j] with a cold item is one cold evaluation case:
 * target s[j], history = the warm items of s[:j]. Cases whose warm history is empty (the cold item
 * is the user's first interaction) are skipped and counted. Cold items of validation and test are
 * disjoint item sets, so choosing anything on validation-cold says nothing about the test items.
 */
import { ConfigError, Rng } from '../core/index.ts';
import { leaveOneOutSplit } from './split.ts';
import type { EvalCase, SequenceDataset, SequentialSplit, TrainView } from './types.ts';

/**
 * Item attributes as cold-start methods read them: the dense attribute ids of item i are
 * values[offsets[i] .. offsets[i+1]) (sorted, distinct). `loadItemAttributes` in src/augment
 * returns exactly this shape (plus names and counts).
 */
export interface ItemAttributeSets {
  readonly numItems: number;
  readonly numAttributes: number;
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

export interface ItemColdStartOptions {
  /** Fraction of the eligible items held out as cold (valid + test together), in (0, 1). */
  readonly itemFraction: number;
  /** Seed of the item draw (the only random step). */
  readonly seed: number;
  /** Items with fewer interactions (in the whole dataset) are never cold: too few cases to measure. Default 5. */
  readonly minInteractions?: number;
  /** Share of the cold items that are validation-cold; the rest are test-cold. Default 0.5. */
  readonly validShare?: number;
}

export interface ItemColdStartSummary {
  readonly eligibleItems: number;
  readonly validColdItems: number;
  readonly testColdItems: number;
  /** Interactions with cold items (removed from training). */
  readonly coldInteractions: number;
  readonly coldValidCases: number;
  readonly coldTestCases: number;
  /** Cold interactions with no warm item before them (no history to predict from), not evaluated. */
  readonly skippedNoHistory: number;
  readonly trainInteractions: number;
  readonly warmValidCases: number;
  readonly warmTestCases: number;
}

export interface ItemColdStartSplit {
  readonly kind: 'item-cold-start';
  /** Training interactions: warm items only, leave-one-out prefixes. */
  readonly train: TrainView;
  /** The leave-one-out split of the warm sequences (its `train` is `train` above), for warm-item metrics. */
  readonly warm: SequentialSplit;
  /** Sorted dense ids of the validation-cold and test-cold items (disjoint). */
  readonly validColdItems: Int32Array;
  readonly testColdItems: Int32Array;
  /** coldKind[i] = 0 warm, 1 validation-cold, 2 test-cold. */
  readonly coldKind: Uint8Array;
  readonly coldValid: readonly EvalCase[];
  readonly coldTest: readonly EvalCase[];
  readonly summary: ItemColdStartSummary;
}

/** counts[i] = interactions with item i in the whole dataset. */
function itemCounts(dataset: SequenceDataset): Int32Array {
  const counts = new Int32Array(dataset.numItems + 1);
  for (const s of dataset.sequences) for (let j = 0; j < s.length; j++) counts[s[j]!]!++;
  return counts;
}

/**
 * Draws the cold items: a seeded shuffle of the eligible items (≥ minInteractions interactions),
 * the first round(fraction · eligible) of them, split validShare : 1 − validShare.
 */
export function chooseColdItems(dataset: SequenceDataset, opts: ItemColdStartOptions): { validCold: Int32Array; testCold: Int32Array; eligible: number } {
  const { itemFraction, seed } = opts;
  const minInteractions = opts.minInteractions ?? 5;
  const validShare = opts.validShare ?? 0.5;
  if (!(itemFraction > 0 && itemFraction < 1)) throw new ConfigError(`itemFraction must be in (0, 1), got ${itemFraction}`, { field: 'itemFraction' });
  if (!(validShare > 0 && validShare < 1)) throw new ConfigError(`validShare must be in (0, 1), got ${validShare}`, { field: 'validShare' });
  if (!Number.isInteger(minInteractions) || minInteractions < 1) throw new ConfigError(`minInteractions must be an integer >= 1, got ${minInteractions}`, { field: 'minInteractions' });
  if (!Number.isFinite(seed)) throw new ConfigError(`seed must be a finite number, got ${seed}`, { field: 'seed' });
  const counts = itemCounts(dataset);
  const eligible: number[] = [];
  for (let i = 1; i <= dataset.numItems; i++) if (counts[i]! >= minInteractions) eligible.push(i);
  const nCold = Math.round(itemFraction * eligible.length);
  if (nCold < 2) throw new ConfigError(`itemFraction ${itemFraction} of ${eligible.length} eligible items (≥ ${minInteractions} interactions) gives ${nCold} cold items; need at least 2 (one validation, one test)`, { field: 'itemFraction' });
  new Rng(seed).split('cold-items').shuffle(eligible);
  const nValid = Math.min(nCold - 1, Math.max(1, Math.round(validShare * nCold)));
  const validCold = Int32Array.from(eligible.slice(0, nValid)).sort();
  const testCold = Int32Array.from(eligible.slice(nValid, nCold)).sort();
  return { validCold, testCold, eligible: eligible.length };
}

/** The item cold-start split for a random draw of cold items (see the module comment). */
export function itemColdStartSplit(dataset: SequenceDataset, opts: ItemColdStartOptions): ItemColdStartSplit {
  const { validCold, testCold, eligible } = chooseColdItems(dataset, opts);
  return coldStartSplitFor(dataset, validCold, testCold, eligible);
}

/**
 * The item cold-start split for given cold items. Separate from the draw so tests can hold the
 * cold items fixed while changing their interactions (which must change nothing in training).
 */
export function coldStartSplitFor(dataset: SequenceDataset, validCold: Int32Array, testCold: Int32Array, eligibleItems = dataset.numItems): ItemColdStartSplit {
  const coldKind = new Uint8Array(dataset.numItems + 1);
  for (const [items, kind] of [[validCold, 1], [testCold, 2]] as const) {
    for (const i of items) {
      if (!Number.isInteger(i) || i < 1 || i > dataset.numItems) throw new ConfigError(`cold item ${i} is outside 1..${dataset.numItems}`, { field: 'coldItems' });
      if (coldKind[i] !== 0) throw new ConfigError(`item ${i} is listed as cold twice (validation and test cold items must be disjoint)`, { field: 'coldItems' });
      coldKind[i] = kind;
    }
  }
  const warmSequences: Int32Array[] = [];
  const coldValid: EvalCase[] = [];
  const coldTest: EvalCase[] = [];
  let coldInteractions = 0;
  let skippedNoHistory = 0;
  for (let u = 0; u < dataset.sequences.length; u++) {
    const s = dataset.sequences[u]!;
    const warm: number[] = [];
    for (let j = 0; j < s.length; j++) {
      const item = s[j]!;
      const kind = coldKind[item]!;
      if (kind === 0) {
        warm.push(item);
        continue;
      }
      coldInteractions++;
      if (warm.length === 0) {
        skippedNoHistory++;
        continue;
      }
      (kind === 1 ? coldValid : coldTest).push({ user: u, history: Int32Array.from(warm), target: item });
    }
    warmSequences.push(Int32Array.from(warm));
  }
  const warmDataset: SequenceDataset = { name: dataset.name, userIds: dataset.userIds, itemIds: dataset.itemIds, numItems: dataset.numItems, sequences: warmSequences, checksum: dataset.checksum };
  const warm = leaveOneOutSplit(warmDataset);
  return {
    kind: 'item-cold-start',
    train: warm.train,
    warm,
    validColdItems: validCold.slice().sort(),
    testColdItems: testCold.slice().sort(),
    coldKind,
    coldValid,
    coldTest,
    summary: {
      eligibleItems,
      validColdItems: validCold.length,
      testColdItems: testCold.length,
      coldInteractions,
      coldValidCases: coldValid.length,
      coldTestCases: coldTest.length,
      skippedNoHistory,
      trainInteractions: warm.train.interactionCount,
      warmValidCases: warm.valid.length,
      warmTestCases: warm.test.length,
    },
  };
}
