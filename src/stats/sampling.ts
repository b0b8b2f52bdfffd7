/** Seeded sampling of indices. */
import type { Rng } from '../core/index.ts';

/**
 * k of the indices 0..n−1, uniformly without replacement, in draw order: the first k slots of a
 * partial Fisher–Yates shuffle (exactly k draws of `rng.int`). With k ≥ n: every index in order,
 * and no draw at all.
 */
export function sampleIndices(n: number, k: number, rng: Rng): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (k >= n) return idx;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, k);
}
