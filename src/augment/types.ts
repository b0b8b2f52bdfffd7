/**
 * The augmenter contract, shared by every augmenter family (sequences, text, images; see
 * `defineFamily` in pipeline.ts).
 *
 * An operator is a *named* transformation with typed configuration (validated by a zod schema when
 * a pipeline is built) whose randomness is split in two phases:
 *
 *   sample(x, config, ctx, rng) → params     draws every random choice, returns plain JSON data
 *   apply(x, params, ctx)       → x'         pure and deterministic: same x and params, same x'
 *
 * Because `apply` needs nothing but the recorded params, a chain of `{ op, params }` entries
 * replays exactly (`replayChain`), and an expansion file documents what was done to every sample.
 * Operators draw randomness only from the `rng` they are handed, never from a global source.
 * The context carries the catalogue size and optional fitted resources (similarity tables, item
 * attributes) — resources fitted on training data only; test data has no way in.
 */
import type { z } from 'zod';
import type { Rng } from '../core/rng.ts';
import type { ItemSimilarity } from './similarity.ts';
import type { ItemAttributes } from './attributes.ts';
import type { NextItemSampler } from './generator.ts';

/** Fitted resources an operator can depend on; a pipeline checks they are present before any work. */
export type AugmentResource = 'similarity' | 'attributes' | 'forward-generator' | 'reverse-generator';

/** Context of the sequence family. */
export interface AugmentContext {
  /** Catalogue size: real item ids are 1..numItems, 0 is padding, numItems+1 is the mask token. */
  readonly numItems: number;
  /** Item–item neighbours fitted on training data (see fitItemSimilarity). */
  readonly similarity?: ItemSimilarity;
  /** Item attributes mapped to dense item ids (see loadItemAttributes). */
  readonly attributes?: ItemAttributes;
  /** Next-item generators fitted on training data (see fitSequenceGenerator in src/experiment). */
  readonly generators?: Readonly<{ forward?: NextItemSampler; reverse?: NextItemSampler }>;
}

/**
 * One operator definition. `X` is the sample type (Int32Array for sequences), `C` the validated
 * configuration, `P` the sampled params (must survive JSON.stringify/parse unchanged), `Ctx` the
 * family's context.
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds operators of every config/params type (unknown would make their apply/sample parameters contravariant-incompatible)
export interface OperatorDef<X = Int32Array, C = any, P = any, Ctx = AugmentContext> {
  readonly name: string;
  readonly family: string;
  /** One line for listings and docs. */
  readonly summary: string;
  /** Strict object schema of the configuration (the keys a pipeline step may carry besides `op` and `p`). */
  readonly config: z.ZodType<C>;
  /** Resources this configuration needs in the context (checked at pipeline validation); names are the family's (sequence: AugmentResource). */
  requires?(config: C): readonly string[];
  /** Sequence family: true when the result can contain the reserved mask token numItems+1. */
  emitsMask?(config: C): boolean;
  /**
   * True when the output keeps the input's label (meaning-preserving); families that augment
   * labelled samples (text: judged query–product pairs) refuse steps that say false unless told.
   */
  labelPreserving?(config: C): boolean;
  /** Draws the random choices for one application. Pure function of its arguments and rng draws. */
  sample(x: X, config: C, ctx: Ctx, rng: Rng): P;
  /**
   * Multi-output operators (prefix / sliding-window expansion) return one params object per
   * output; each output is `apply(x, params[k])`, so every output replays through the same pure
   * `apply` as single-output operators. Such an operator may only be the last top-level step.
   */
  sampleMany?(x: X, config: C, ctx: Ctx, rng: Rng): P[];
  /** Applies recorded params. Must not modify `x`; must not draw randomness. */
  apply(x: X, params: P, ctx: Ctx): X;
}

/** An operator bound to a validated configuration: the `sample` / `apply` pair of the contract. */
export interface Augmenter<X = Int32Array, P = unknown, Ctx = AugmentContext> {
  readonly name: string;
  readonly config: unknown;
  sample(x: X, ctx: Ctx, rng: Rng): P;
  apply(x: X, params: P, ctx: Ctx): X;
}

/** One applied step as recorded in a chain. */
export interface ChainEntry {
  readonly op: string;
  readonly params: unknown;
}

/** One augmented sample of any family, as `FamilyPipeline.augment` returns it. */
export interface Augmented<X> {
  readonly output: X;
  readonly chain: ChainEntry[];
}

/** One augmented sequence produced by a (sequence) pipeline run. */
export interface AugmentResult {
  readonly items: Int32Array;
  readonly chain: ChainEntry[];
}
