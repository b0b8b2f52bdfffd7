import { ConfigError, Rng } from '../core/index.ts';

/**
 * The report holdout of `samplify synthesize`: positions 0..count-1 split into a seeded random
 * `share` held out and the rest to fit on, both ascending, at least one on each side. `what` names
 * the units in the error ("input rows", "non-empty histories").
 */
export function reportHoldout(count: number, share: number, seed: number, what: string): { kept: Int32Array; held: Int32Array } {
  if (count < 2) throw new ConfigError(`a report needs at least 2 ${what} (one to fit on, one held out)`, { field: 'report.holdout' });
  const order = Int32Array.from({ length: count }, (_, i) => i);
  new Rng(seed).split('report-holdout').shuffle(order);
  const k = Math.min(count - 1, Math.max(1, Math.round(count * share)));
  return { held: order.slice(0, k).sort(), kept: order.slice(k).sort() };
}
