/**
 * Prefix / sliding-window expansion — a multi-output operator. From one sequence s of length n it
 * makes one sample per end position e (minLength ≤ e ≤ n): s[max(0, e−window) : e] (window 0 = the
 * whole prefix). At most maxOutputs samples, the longest first chosen (ends n, n−1, …), emitted in
 * increasing order of end. A sequence shorter than minLength yields itself, once.
 *
 * How it fits the contract: `sampleMany` returns one params object {start, end} per output, and each
 * output is `apply(s, params)` — the same pure apply as any operator — so every output has its own
 * replayable chain. It is deterministic (draws nothing). In a pipeline it may only be the last
 * top-level step (and with p = 1); expandSequences then emits several records per (user, view),
 * numbered by `part`.
 */
import { z } from 'zod';
import type { OperatorDef } from '../types.ts';
import { natInt, posInt } from '../params.ts';

const PrefixConfig = z
  .object({
    minLength: posInt(2),
    maxOutputs: natInt(50, 'must be an integer ≥ 0 (0 = no cap)'),
    window: natInt(0, 'must be an integer ≥ 0 (0 = whole prefix)'),
  })
  .strict();

export interface PrefixParams {
  start: number;
  end: number;
}

export const prefixes: OperatorDef<Int32Array, z.infer<typeof PrefixConfig>, PrefixParams> = {
  name: 'prefixes',
  family: 'sequence',
  summary: 'every prefix (or sliding window) of length ≥ minLength as its own sample, at most maxOutputs (multi-output)',
  config: PrefixConfig,
  sample(seq) {
    return { start: 0, end: seq.length };
  },
  sampleMany(seq, c) {
    const n = seq.length;
    if (n < c.minLength) return [{ start: 0, end: n }];
    let first = c.minLength;
    if (c.maxOutputs > 0) first = Math.max(first, n - c.maxOutputs + 1);
    const out: PrefixParams[] = [];
    for (let e = first; e <= n; e++) out.push({ start: c.window > 0 ? Math.max(0, e - c.window) : 0, end: e });
    return out;
  },
  apply(seq, p) {
    if (!(p.start >= 0 && p.start <= p.end && p.end <= seq.length)) throw new RangeError(`prefixes: ${p.start}..${p.end} does not fit a sequence of length ${seq.length}`);
    return seq.slice(p.start, p.end);
  },
};
