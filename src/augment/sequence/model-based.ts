/**
 * Model-based operators: items come from a next-item generator fitted on the training view
 * (ctx.generators; see fitSequenceGenerator in src/experiment). The generated items are recorded
 * in the params, so `apply` — and replay — needs no model.
 *
 *   pseudo_prior  ASReP (Liu et al., SIGIR 2021, "Augmenting Sequential Recommendation with
 *                 Pseudo-Prior Items via Reversely Pre-training Transformer"): a SASRec trained on
 *                 reversed training sequences generates the items that came *before* a short
 *                 sequence; they are prepended. ASReP's defaults: sequences shorter than M = 18 get
 *                 up to 15 items, never past length M, greedy (argmax) among items the user has not
 *                 interacted with.
 *   continue      forward continuation: k items appended, sampled with temperature / top-k.
 */
import { z } from 'zod';
import type { AugmentContext, AugmentResource, OperatorDef } from '../types.ts';
import { bool, natInt, posInt } from '../params.ts';
import { generateItems, type DrawOptions, type NextItemSampler } from '../generator.ts';
import { Rng } from '../../core/rng.ts';

const temperature = (def: number) =>
  z.number({ error: 'must be a number ≥ 0 (0 = greedy)' }).gte(0, { error: 'must be a number ≥ 0 (0 = greedy)' }).lte(100, { error: 'must be a number ≥ 0 (0 = greedy) and at most 100' }).default(def);

export interface GeneratedParams {
  /** The generated items in their final order in the output (prepended, or appended). */
  items: number[];
}

function reversed(x: Int32Array): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[x.length - 1 - i]!;
  return out;
}

function generatorFor(ctx: AugmentContext, direction: 'forward' | 'reverse', op: string): NextItemSampler {
  const g = ctx.generators?.[direction];
  // Pipelines check this at validation; a direct call without one is a programming error.
  if (!g) throw new RangeError(`${op}: ctx.generators.${direction} is missing (a pipeline validates this before running)`);
  return g;
}

/**
 * Greedy generation (temperature 0 or topK 1) draws no randomness, so its result is a function of
 * the generator and the history: memoised per generator, a second expansion (another seed, another
 * view) costs nothing. Bounded: the memo is dropped when it grows past MEMO_LIMIT histories.
 */
const greedyMemo = new WeakMap<NextItemSampler, Map<string, Int32Array>>();
const MEMO_LIMIT = 500_000;

const isGreedy = (c: DrawOptions): boolean => c.temperature === 0 || c.topK === 1;
const memoKey = (history: Int32Array, k: number, c: DrawOptions): string => `${k}|${c.noRepeat ? 1 : 0}|${c.topK}|${history.join(',')}`;

function memoFor(g: NextItemSampler): Map<string, Int32Array> {
  let memo = greedyMemo.get(g);
  if (!memo || memo.size >= MEMO_LIMIT) greedyMemo.set(g, (memo = new Map()));
  return memo;
}

function generate(g: NextItemSampler, history: Int32Array, k: number, c: DrawOptions, rng: Rng): Int32Array {
  if (!isGreedy(c)) return generateItems(g, [history], [k], c, [rng])[0]!;
  const memo = memoFor(g);
  const key = memoKey(history, k, c);
  let made = memo.get(key);
  if (!made) memo.set(key, (made = generateItems(g, [history], [k], c, [rng])[0]!));
  return made;
}

/** What one application generates from: the history in the generator's direction and how many items (null: nothing). */
interface Plan {
  direction: 'forward' | 'reverse';
  history: Int32Array;
  k: number;
}
type PseudoPriorC = z.infer<typeof PseudoPriorConfig>;
type ContinueC = z.infer<typeof ContinueConfig>;

function planPseudoPrior(seq: Int32Array, c: PseudoPriorC): Plan | null {
  const n = seq.length;
  if (n === 0 || n >= c.threshold) return null;
  // The reverse model reads the sequence back to front; each generated item goes one step further into the past.
  return { direction: 'reverse', history: reversed(seq), k: c.fill ? Math.min(c.k, c.threshold - n) : c.k };
}

function planContinue(seq: Int32Array, c: ContinueC): Plan | null {
  const n = seq.length;
  if (n === 0 || (c.maxLength > 0 && n >= c.maxLength)) return null;
  return { direction: 'forward', history: seq, k: c.maxLength > 0 ? Math.min(c.k, c.maxLength - n) : c.k };
}

function checkItems(items: unknown, numItems: number, op: string): asserts items is number[] {
  if (!Array.isArray(items) || !items.every((i) => Number.isInteger(i) && i >= 1 && i <= numItems)) throw new RangeError(`${op}: recorded items must be item ids in 1..${numItems}`);
}

const PseudoPriorConfig = z
  .object({
    /** Sequences with fewer items than this get pseudo-prior items (ASReP's M). */
    threshold: posInt(18),
    /** At most this many items are prepended (ASReP's aug_num). */
    k: posInt(15),
    /** Stop at `threshold` items in total (ASReP); false = always k items. */
    fill: bool(true),
    temperature: temperature(0),
    topK: natInt(0, 'must be an integer ≥ 0 (0 = all items)'),
    noRepeat: bool(true),
  })
  .strict();

/** Prepends reverse-generated pseudo-prior items to sequences shorter than `threshold`. */
export const pseudoPrior: OperatorDef<Int32Array, z.infer<typeof PseudoPriorConfig>, GeneratedParams> = {
  name: 'pseudo_prior',
  family: 'sequence',
  summary: 'prepend up to k items a reverse-trained generator (ctx.generators.reverse) predicts before sequences shorter than threshold (ASReP)',
  config: PseudoPriorConfig,
  requires: (): AugmentResource[] => ['reverse-generator'],
  sample(seq, c, ctx, rng: Rng) {
    const plan = planPseudoPrior(seq, c);
    if (!plan) return { items: [] };
    return { items: Array.from(reversed(generate(generatorFor(ctx, 'reverse', 'pseudo_prior'), plan.history, plan.k, c, rng))) };
  },
  apply(seq, p, ctx) {
    checkItems(p.items, ctx.numItems, 'pseudo_prior');
    const out = new Int32Array(p.items.length + seq.length);
    out.set(p.items, 0);
    out.set(seq, p.items.length);
    return out;
  },
};

const ContinueConfig = z
  .object({
    k: posInt(5),
    /** Only sequences shorter than this are extended; 0 = every sequence. */
    maxLength: natInt(0, 'must be an integer ≥ 0 (0 = no limit)'),
    temperature: temperature(1),
    topK: natInt(0, 'must be an integer ≥ 0 (0 = all items)'),
    noRepeat: bool(true),
  })
  .strict();

/** Appends k items sampled from a forward generator (ctx.generators.forward). */
export const continueOp: OperatorDef<Int32Array, z.infer<typeof ContinueConfig>, GeneratedParams> = {
  name: 'continue',
  family: 'sequence',
  summary: 'append k items sampled (temperature, topK) from a forward generator (ctx.generators.forward)',
  config: ContinueConfig,
  requires: (): AugmentResource[] => ['forward-generator'],
  sample(seq, c, ctx, rng: Rng) {
    const plan = planContinue(seq, c);
    if (!plan) return { items: [] };
    return { items: Array.from(generate(generatorFor(ctx, 'forward', 'continue'), plan.history, plan.k, c, rng)) };
  },
  apply(seq, p, ctx) {
    checkItems(p.items, ctx.numItems, 'continue');
    const out = new Int32Array(seq.length + p.items.length);
    out.set(seq, 0);
    out.set(p.items, seq.length);
    return out;
  },
};

/**
 * Fills the greedy memo for a model-based step applied to `sequences` (e.g. the training
 * sequences, when the step is a pipeline's first), one generator call per generated position for
 * a whole batch instead of one per history: the expansion that follows then asks the model
 * nothing. Only greedy steps (temperature 0 or topK 1) are prefetched — sampled ones draw from
 * each run's rng. Returns the number of histories generated for.
 */
export function prefetchGreedy(op: string, config: Record<string, unknown>, sequences: readonly Int32Array[], ctx: AugmentContext, batchSize = 256): number {
  let plans: (Plan | null)[];
  let c: DrawOptions;
  if (op === 'pseudo_prior') {
    const pc = PseudoPriorConfig.parse(config);
    c = pc;
    plans = sequences.map((s) => planPseudoPrior(s, pc));
  } else if (op === 'continue') {
    const cc = ContinueConfig.parse(config);
    c = cc;
    plans = sequences.map((s) => planContinue(s, cc));
  } else return 0;
  if (!isGreedy(c)) return 0;
  const todo = plans.filter((p): p is Plan => p !== null);
  if (todo.length === 0) return 0;
  const g = generatorFor(ctx, todo[0]!.direction, op);
  const memo = memoFor(g);
  const pending = new Map<string, Plan>();
  for (const p of todo) {
    const key = memoKey(p.history, p.k, c);
    if (!memo.has(key)) pending.set(key, p);
  }
  const entries = [...pending];
  const unused = new Rng(0); // greedy draws nothing
  for (let from = 0; from < entries.length; from += batchSize) {
    const chunk = entries.slice(from, from + batchSize);
    const made = generateItems(g, chunk.map(([, p]) => p.history), chunk.map(([, p]) => p.k), c, chunk.map(() => unused));
    chunk.forEach(([key], i) => memo.set(key, made[i]!));
  }
  return entries.length;
}
