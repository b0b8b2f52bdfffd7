/**
 * Local sequence operators: they only move, drop, repeat or mask the user's own items, so their
 * output holds no item the input did not (except the mask token). Every one keeps at least one
 * real item of a non-empty input (the empty-result guard, docs/decisions/augmentation.md).
 */
import { z } from 'zod';
import type { OperatorDef } from '../types.ts';
import { bernoulliPositions, checkPositions, choosePositions, insertBefore } from './util.ts';
import { natInt, ratioClosed, ratioOpen } from '../params.ts';

/** The reserved mask token: one past the last real item (CoSeRec's `mask_id = item_size - 1`). */
export function maskToken(numItems: number): number {
  return numItems + 1;
}

const spanParams = (n: number, ratio: number, start: number) => ({ start, length: Math.max(1, Math.min(n, Math.floor(ratio * n))) });

// ---------------------------------------------------------------- crop
const CropConfig = z.object({ ratio: ratioOpen(0.6) }).strict();
export interface SpanParams {
  start: number;
  length: number;
}
/** Contiguous sub-sequence of max(1, ⌊ratio·n⌋) items at a uniform start (CoSeRec item crop, τ). */
export const crop: OperatorDef<Int32Array, z.infer<typeof CropConfig>, SpanParams> = {
  name: 'crop',
  family: 'sequence',
  summary: 'keep a random contiguous span of max(1, floor(ratio·n)) items',
  config: CropConfig,
  sample(seq, c, _ctx, rng) {
    const n = seq.length;
    if (n === 0) return { start: 0, length: 0 };
    const { length } = spanParams(n, c.ratio, 0);
    return { start: rng.int(n - length + 1), length };
  },
  apply(seq, p) {
    if (p.start < 0 || p.start + p.length > seq.length) throw new RangeError(`crop: span ${p.start}+${p.length} does not fit a sequence of length ${seq.length}`);
    return seq.slice(p.start, p.start + p.length);
  },
};

// ---------------------------------------------------------------- mask
const MaskConfig = z.object({ ratio: ratioClosed(0.3) }).strict();
export interface MaskParams {
  at: number[];
  token: number;
}
/**
 * Replaces min(⌊ratio·n⌋, n−1) uniformly chosen positions by the reserved token numItems+1
 * (CoSeRec item mask, γ). At least one real item stays.
 */
export const mask: OperatorDef<Int32Array, z.infer<typeof MaskConfig>, MaskParams> = {
  name: 'mask',
  family: 'sequence',
  summary: 'replace floor(ratio·n) random positions (at most n−1) by the mask token numItems+1',
  config: MaskConfig,
  emitsMask: () => true,
  sample(seq, c, ctx, rng) {
    const n = seq.length;
    return { at: choosePositions(n, Math.min(Math.floor(c.ratio * n), n - 1), rng), token: maskToken(ctx.numItems) };
  },
  apply(seq, p) {
    checkPositions(p.at, seq.length, 'mask');
    const out = seq.slice();
    for (let k = 0; k < p.at.length; k++) out[p.at[k]!] = p.token;
    return out;
  },
};

// ---------------------------------------------------------------- reorder
const ReorderConfig = z.object({ ratio: ratioOpen(0.2) }).strict();
export interface ReorderParams {
  start: number;
  /** order[i] = which item of the span goes to span position i. */
  order: number[];
}
/** Shuffles a random contiguous span of max(1, ⌊ratio·n⌋) items (CoSeRec item reorder, β). */
export const reorder: OperatorDef<Int32Array, z.infer<typeof ReorderConfig>, ReorderParams> = {
  name: 'reorder',
  family: 'sequence',
  summary: 'shuffle a random contiguous span of max(1, floor(ratio·n)) items',
  config: ReorderConfig,
  sample(seq, c, _ctx, rng) {
    const n = seq.length;
    if (n === 0) return { start: 0, order: [] };
    const { length } = spanParams(n, c.ratio, 0);
    const start = rng.int(n - length + 1);
    const order: number[] = [];
    for (let i = 0; i < length; i++) order.push(i);
    rng.shuffle(order);
    return { start, order };
  },
  apply(seq, p) {
    const len = p.order.length;
    if (p.start < 0 || p.start + len > seq.length) throw new RangeError(`reorder: span does not fit a sequence of length ${seq.length}`);
    const out = seq.slice();
    for (let i = 0; i < len; i++) {
      const j = p.order[i]!;
      if (!(j >= 0 && j < len)) throw new RangeError('reorder: recorded order is not a permutation of the span');
      out[p.start + i] = seq[p.start + j]!;
    }
    return out;
  },
};

// ---------------------------------------------------------------- reverse
const ReverseConfig = z.object({ ratio: ratioOpen(1) }).strict();
/** Reverses a random contiguous span of max(1, ⌊ratio·n⌋) items (ratio 1: the whole sequence). */
export const reverse: OperatorDef<Int32Array, z.infer<typeof ReverseConfig>, SpanParams> = {
  name: 'reverse',
  family: 'sequence',
  summary: 'reverse a random contiguous span of max(1, floor(ratio·n)) items (ratio 1 = whole sequence)',
  config: ReverseConfig,
  sample(seq, c, _ctx, rng) {
    const n = seq.length;
    if (n === 0) return { start: 0, length: 0 };
    const { length } = spanParams(n, c.ratio, 0);
    return { start: length === n ? 0 : rng.int(n - length + 1), length };
  },
  apply(seq, p) {
    if (p.start < 0 || p.start + p.length > seq.length) throw new RangeError(`reverse: span does not fit a sequence of length ${seq.length}`);
    const out = seq.slice();
    for (let i = 0; i < p.length; i++) out[p.start + i] = seq[p.start + p.length - 1 - i]!;
    return out;
  },
};

// ---------------------------------------------------------------- delete
const DeleteConfig = z.object({ ratio: ratioClosed(0.1) }).strict();
export interface PositionsParams {
  at: number[];
}
/** Drops each item independently with probability `ratio`; when every item would go, one random item stays. */
export const del: OperatorDef<Int32Array, z.infer<typeof DeleteConfig>, PositionsParams> = {
  name: 'delete',
  family: 'sequence',
  summary: 'drop each item with probability ratio, always keeping at least one',
  config: DeleteConfig,
  sample(seq, c, _ctx, rng) {
    const n = seq.length;
    const at = bernoulliPositions(n, c.ratio, rng);
    if (n > 0 && at.length === n) at.splice(rng.int(n), 1);
    return { at };
  },
  apply(seq, p) {
    const n = seq.length;
    checkPositions(p.at, n, 'delete');
    if (n > 0 && p.at.length >= n) throw new RangeError('delete: recorded params would delete every item');
    const out = new Int32Array(n - p.at.length);
    let o = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (k < p.at.length && p.at[k] === i) k++;
      else out[o++] = seq[i]!;
    }
    return out;
  },
};

// ---------------------------------------------------------------- duplicate
const DuplicateConfig = z.object({ ratio: ratioClosed(0.1), maxLength: natInt(0, 'must be an integer ≥ 0 (0 = no cap)') }).strict();
/**
 * Duplicate-click noise: each item is repeated right after itself with probability `ratio`.
 * With maxLength > 0 no more duplicates are added once the result would exceed max(n, maxLength).
 */
export const duplicate: OperatorDef<Int32Array, z.infer<typeof DuplicateConfig>, PositionsParams> = {
  name: 'duplicate',
  family: 'sequence',
  summary: 'repeat each item right after itself with probability ratio (double clicks), up to maxLength',
  config: DuplicateConfig,
  sample(seq, c, _ctx, rng) {
    const n = seq.length;
    const at = bernoulliPositions(n, c.ratio, rng);
    if (c.maxLength > 0) {
      const room = Math.max(0, c.maxLength - n);
      if (at.length > room) {
        // keep a uniform subset of the drawn positions that fits
        const keep = choosePositions(at.length, room, rng);
        return { at: keep.map((k) => at[k]!) };
      }
    }
    return { at };
  },
  apply(seq, p) {
    checkPositions(p.at, seq.length, 'duplicate');
    const items = p.at.map((i) => seq[i]!);
    return insertBefore(seq, p.at, items);
  },
};

// ---------------------------------------------------------------- identity
const IdentityConfig = z.object({}).strict();
/**
 * The sequence unchanged. As the view of a contrastive objective it leaves dropout as the only
 * difference between two views (DuoRec's unsupervised augmentation, SimCSE's trick).
 */
export const identity: OperatorDef<Int32Array, z.infer<typeof IdentityConfig>, Record<string, never>> = {
  name: 'identity',
  family: 'sequence',
  summary: 'keep the sequence as it is (dropout-only contrastive views)',
  config: IdentityConfig,
  sample() {
    return {};
  },
  apply(seq) {
    return seq.slice();
  },
};
