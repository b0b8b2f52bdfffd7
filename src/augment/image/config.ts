/** zod pieces shared by the image operators' configs. */
import { z } from 'zod';
import { FILL_MODES } from './warp.ts';

export const fillMode = () => z.enum(FILL_MODES, { error: `must be one of: ${FILL_MODES.join(', ')}` }).default('constant');
export const byte = (def: number) => z.number({ error: 'must be an integer in 0..255' }).int({ error: 'must be an integer in 0..255' }).gte(0, { error: 'must be an integer in 0..255' }).lte(255, { error: 'must be an integer in 0..255' }).default(def);
/** A number in [lo, hi]. */
export const within = (lo: number, hi: number, def: number) => {
  const msg = `must be a number in [${lo}, ${hi}]`;
  return z.number({ error: msg }).gte(lo, { error: msg }).lte(hi, { error: msg }).default(def);
};
/** A [min, max] pair inside [lo, hi] with min ≤ max. */
export const range = (lo: number, hi: number, def: [number, number]) => {
  const msg = `must be [min, max] with ${lo} ≤ min ≤ max ≤ ${hi}`;
  return z
    .tuple([z.number({ error: msg }), z.number({ error: msg })], { error: msg })
    .refine(([a, b]) => a >= lo && b <= hi && a <= b, { error: msg })
    .default(def);
};
/** An output side in pixels; 0 keeps the input's. */
export const side = () => z.number({ error: 'must be an integer ≥ 0 (0: the input size)' }).int({ error: 'must be an integer ≥ 0 (0: the input size)' }).gte(0, { error: 'must be an integer ≥ 0 (0: the input size)' }).lte(65536, { error: 'must be an integer ≥ 0 (0: the input size)' }).default(0);

/** Uniform draw in [a, b]. */
export function uniform(rng: { next(): number }, a: number, b: number): number {
  return a + (b - a) * rng.next();
}
