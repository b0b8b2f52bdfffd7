/** Small allocation-light helpers shared by the sequence operators. */
import type { Rng } from '../../core/rng.ts';

/** k distinct positions of 0..n-1, uniformly, in increasing order (Knuth's selection sampling). */
export function choosePositions(n: number, k: number, rng: Rng): number[] {
  const out: number[] = [];
  if (k <= 0) return out;
  if (k >= n) {
    for (let i = 0; i < n; i++) out.push(i);
    return out;
  }
  let need = k;
  for (let i = 0; i < n && need > 0; i++) {
    if (rng.next() * (n - i) < need) {
      out.push(i);
      need--;
    }
  }
  return out;
}

/** Each position of 0..n-1 independently with probability `ratio`, in increasing order. */
export function bernoulliPositions(n: number, ratio: number, rng: Rng): number[] {
  const out: number[] = [];
  if (ratio <= 0) return out;
  for (let i = 0; i < n; i++) if (rng.next() < ratio) out.push(i);
  return out;
}

/** Returns a copy of `seq` with `items[k]` inserted before original position `at[k]` (at sorted; n means at the end). */
export function insertBefore(seq: Int32Array, at: readonly number[], items: readonly number[]): Int32Array {
  const n = seq.length;
  const out = new Int32Array(n + at.length);
  let o = 0;
  let k = 0;
  for (let i = 0; i <= n; i++) {
    while (k < at.length && at[k] === i) out[o++] = items[k++]!;
    if (i < n) out[o++] = seq[i]!;
  }
  return out;
}

export function checkPositions(at: readonly number[], n: number, op: string): void {
  for (let k = 0; k < at.length; k++) {
    const p = at[k]!;
    if (!Number.isInteger(p) || p < 0 || p >= n || (k > 0 && p <= at[k - 1]!)) throw new RangeError(`${op}: recorded positions do not fit a sequence of length ${n}`);
  }
}
