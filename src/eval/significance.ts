/**
 * Significance helpers of the evaluation layer: per-query values averaged over training seeds, and
 * the relative lift of a treatment. The paired tests themselves (t-test, bootstrap) and the
 * Student-t distribution live in src/stats.
 */
import { ConfigError } from '../core/index.ts';
import { pairedTTest } from '../stats/index.ts';
import type { MetricSpec } from './metrics.ts';

// ---------------------------------------------------------------------------------------------
// Seeds and lifts

/**
 * Per-query mean over seeds: out[i] = mean_s perSeed[s][i].
 *
 * Why: each seed is another training run evaluated on the *same* users, so the S values of one
 * user are not S independent observations. Stacking them into one vector of n × S values and
 * testing that would count every user S times and shrink the p-value by about √S for nothing
 * (pseudo-replication). Averaging per user first keeps one observation per user (the unit the
 * test samples over) and, paired against the baseline's seed-averaged values, compares the two
 * systems with seed-to-seed noise partly averaged out. What it does not do is treat the training
 * seed as a random effect: with few seeds, a p-value says "these seed-averaged models differ on
 * users like these", and the seed spread (mean ± std over seeds) should still be reported.
 * The vectors must be aligned to the same query order (ranks/seedN.json `users` is the same for
 * every seed because the split does not depend on the seed).
 */
export function combineSeeds(perSeed: readonly Float64Array[]): Float64Array {
  if (perSeed.length === 0) throw new ConfigError('combineSeeds needs at least one seed');
  const n = perSeed[0]!.length;
  const out = new Float64Array(n);
  for (const [s, v] of perSeed.entries()) {
    if (v.length !== n) throw new ConfigError(`combineSeeds: seed #${s} has ${v.length} per-query values, seed #0 has ${n}; every seed must cover the same queries in the same order`);
    for (let i = 0; i < n; i++) out[i]! += v[i]!;
  }
  const k = perSeed.length;
  for (let i = 0; i < n; i++) out[i] = out[i]! / k;
  return out;
}

/**
 * Relative change from `base` to `treated`, signed so that positive always means "treated is
 * better": (treated − base) / |base| for 'higher' metrics and (base − treated) / |base| for
 * 'lower' ones (a drop in a lower-is-better metric is a gain). Dividing by |base| keeps the sign
 * right for negative bases. base = 0 gives 0 when treated = 0 too, otherwise ±Infinity.
 */
export function relativeLift(base: number, treated: number, direction: MetricSpec['direction'] | Pick<MetricSpec, 'direction'> = 'higher'): number {
  const dir = typeof direction === 'string' ? direction : direction.direction;
  const gain = dir === 'lower' ? base - treated : treated - base;
  if (gain === 0) return 0;
  if (base === 0) return gain > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return gain / Math.abs(base);
}

/** The training seed as the unit: one difference per seed, and a paired t-test over them. */
export interface SeedLevelTest {
  /** Seeds paired (the same seed number trained both). */
  readonly n: number;
  /** treated − base, per paired seed, in the order given. */
  readonly diffs: readonly number[];
  /** Seeds on which the treatment is better (in the metric's direction). */
  readonly better: number;
  readonly meanDiff: number;
  /** Two-sided paired t-test over the seed differences (df = n − 1); null with one seed. */
  readonly pValue: number | null;
}

/**
 * Seed-level paired test: the experiment's metric of each seed's run, treatment vs baseline of the
 * same seed, tested over seeds.
 *
 * Why next to the per-user test: that one averages each user over seeds and samples users, so it
 * says whether the seed-averaged models differ on users like these, not whether retraining with a
 * fresh seed would reproduce the gain. With 3 seeds this test has 2 degrees of freedom and little
 * power, so it is no verdict on its own; "3/3 seeds better, p 0.2" and "2/3, p 0.5" are the
 * seed spread a reader needs next to a small per-user p. Pairs are matched by position: `base[i]`
 * and `treated[i]` must come from the same seed.
 */
export function seedLevelTest(base: readonly number[], treated: readonly number[], direction: MetricSpec['direction'] = 'higher'): SeedLevelTest {
  if (base.length !== treated.length || base.length === 0) throw new ConfigError(`seedLevelTest: ${base.length} baseline and ${treated.length} treated seeds; both need the same seeds, at least one`);
  const diffs = base.map((b, i) => treated[i]! - b);
  const better = diffs.filter((d) => (direction === 'lower' ? d < 0 : d > 0)).length;
  const meanDiff = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const pValue = diffs.length < 2 ? null : pairedTTest(Float64Array.from(base), Float64Array.from(treated)).pValue;
  return { n: diffs.length, diffs, better, meanDiff, pValue };
}

/** "2/3 (p 0.41)": seeds on which the treatment is better, and the paired t-test over seeds (none with one seed). */
export function describeSeedLevel(s: SeedLevelTest): string {
  return `${s.better}/${s.n}${s.pValue === null ? '' : ` (p ${s.pValue.toFixed(2)})`}`;
}
