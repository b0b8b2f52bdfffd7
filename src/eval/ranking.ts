import { ConfigError, Rng, type ProgressReporter } from '../core/index.ts';
import type { EvalCase } from '../data/index.ts';
import { rankAmong } from '../nn/index.ts';

/** Anything that scores all items for a batch of histories (every Recommender does). */
export interface Scorer {
  scoreAll(histories: readonly Int32Array[]): Float32Array;
}

/**
 * How already-seen items are treated before ranking.
 * - 'neg-inf' (default): history items can never be recommended (RecBole's full-sort behaviour).
 * - 'zero': history scores are set to 0, the CoSeRec/ICLRec quirk; with models whose scores can
 *   be negative this lets seen items outrank unseen ones, so numbers differ slightly from 'neg-inf'.
 * - 'none': no exclusion (for repeat-consumption data where re-buying is the target).
 * The target itself is masked like any other history item when it is in the history: the
 * evaluator never looks at the target to decide what to mask, which would leak it.
 */
export type HistoryExclusion = 'neg-inf' | 'zero' | 'none';
/** The one default of history exclusion (configs and the CLI take it from here). */
export const DEFAULT_HISTORY_EXCLUSION = 'neg-inf' satisfies HistoryExclusion;

export interface FullRankingOptions {
  readonly exclude?: HistoryExclusion;
  /** Histories scored per scoreAll call; bounds memory at batch × (numItems + 1) floats. */
  readonly batchSize?: number;
  /** Cases ranked so far, as a `step` (a bar with ETA on a terminal). */
  readonly progress?: ProgressReporter;
  /** The step's label (default 'ranking'). */
  readonly label?: string;
}

/**
 * 0-based rank of each target among all items 1..numItems. Ties are broken by item id (lower id
 * ranks first), i.e. the order a stable sort by descending score gives, so equal scores (for
 * example Popularity's equal counts) produce a reproducible rank rather than an optimistic one.
 */
export function fullRankingRanks(model: Scorer, cases: readonly EvalCase[], numItems: number, options: FullRankingOptions = {}): Int32Array {
  const exclude = options.exclude ?? DEFAULT_HISTORY_EXCLUSION;
  const batchSize = options.batchSize ?? 256;
  const width = numItems + 1;
  const ranks = new Int32Array(cases.length);
  options.progress?.step?.(options.label ?? 'ranking', 0, cases.length); // the bar's clock starts before the first batch
  for (let start = 0; start < cases.length; start += batchSize) {
    const batch = cases.slice(start, start + batchSize);
    const scores = model.scoreAll(batch.map((c) => c.history));
    if (scores.length !== batch.length * width) {
      throw new ConfigError(`scoreAll returned ${scores.length} scores for ${batch.length} histories; expected ${batch.length * width} (numItems + 1 per history)`);
    }
    if (exclude !== 'none') {
      const fill = exclude === 'zero' ? 0 : Number.NEGATIVE_INFINITY;
      for (let b = 0; b < batch.length; b++) {
        const h = batch[b]!.history;
        for (let i = 0; i < h.length; i++) scores[b * width + h[i]!] = fill;
      }
    }
    // Counting past every item is most of an evaluation on a large catalogue (Taobao: 53k items ×
    // 47k users each epoch), so it runs as one kernel call per batch (native when built).
    ranks.set(rankAmong(scores, width, Int32Array.from(batch, (c) => c.target), 1), start);
    options.progress?.step?.(options.label ?? 'ranking', Math.min(start + batchSize, cases.length), cases.length);
  }
  return ranks;
}

/**
 * The sampled protocol: each case is ranked against `negatives` items the user never interacted
 * with. Candidates are drawn once per seed and then reused by every model, so models are compared
 * on the same candidate sets (a redraw per model adds noise that looks like a difference).
 */
export interface SampledCandidates {
  readonly seed: number;
  readonly negativesPerCase: number;
  /** negatives[i] are the candidates of cases[i] besides its target. */
  readonly negatives: readonly Int32Array[];
}

export function drawSampledCandidates(
  cases: readonly EvalCase[],
  numItems: number,
  negativesPerCase: number,
  seed: number,
  /** Items each case's user interacted with anywhere (they are never negatives). */
  userItems: (c: EvalCase) => Iterable<number>,
): SampledCandidates {
  const rng = new Rng(seed).split('sampled-candidates');
  const negatives = cases.map((c) => {
    const seen = new Set<number>(userItems(c));
    seen.add(c.target);
    for (const h of c.history) seen.add(h);
    if (numItems - seen.size < negativesPerCase) {
      throw new ConfigError(`user ${c.user} has only ${numItems - seen.size} unseen items, fewer than the ${negativesPerCase} negatives asked for`, { field: 'negatives' });
    }
    const out = new Int32Array(negativesPerCase);
    const chosen = new Set<number>();
    let n = 0;
    while (n < negativesPerCase) {
      const item = 1 + rng.int(numItems);
      if (seen.has(item) || chosen.has(item)) continue;
      chosen.add(item);
      out[n++] = item;
    }
    return out;
  });
  return { seed, negativesPerCase, negatives };
}

/** 0-based rank of each target among itself and its sampled negatives (ties: target ranks below). */
export function sampledRanks(model: Scorer, cases: readonly EvalCase[], numItems: number, candidates: SampledCandidates, batchSize = 256): Int32Array {
  if (candidates.negatives.length !== cases.length) throw new ConfigError('sampled candidates were drawn for a different set of cases');
  const width = numItems + 1;
  const ranks = new Int32Array(cases.length);
  for (let start = 0; start < cases.length; start += batchSize) {
    const batch = cases.slice(start, start + batchSize);
    const scores = model.scoreAll(batch.map((c) => c.history));
    for (let b = 0; b < batch.length; b++) {
      const row = scores.subarray(b * width, (b + 1) * width);
      const t = row[batch[b]!.target]!;
      let rank = 0;
      for (const neg of candidates.negatives[start + b]!) if (!(row[neg]! < t)) rank++;
      ranks[start + b] = rank;
    }
  }
  return ranks;
}
