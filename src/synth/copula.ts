/**
 * Gaussian copula synthesizer.
 *
 * Each column is mapped to a standard-normal score through its marginal, the correlation of the
 * scores is estimated, and sampling draws correlated normals (Cholesky) and maps them back.
 * - numerical / datetime: the marginal is chosen per column by the Kolmogorov–Smirnov statistic
 *   among normal, log-normal, gamma, uniform (two fitted parameters) and truncated normal, beta
 *   (which also take the observed range): the simplest class with a candidate under the KS critical
 *   value 1.36/√n wins (lowest KS inside it); if none passes, an empirical marginal (up to
 *   `empiricalKnots` quantiles, linearly interpolated) is used. Integer columns are modelled as a
 *   continuous variable rounded to integers (KS compares F at v ± 0.5). Values are kept inside the
 *   observed [min, max]. Datetimes are modelled as numbers; every numeric value is written back at
 *   the resolution and in the text format learned from the training cells (resolution.ts).
 * - categorical / boolean / non-unique id columns: frequency ranges — each value owns an interval
 *   of [0, 1] as wide as its frequency (most frequent first); a value maps to a uniform draw inside
 *   its interval, then to its normal score. Ids are never one-hot encoded: one latent per column
 *   whatever the number of distinct values, so memory grows with distinct values, not their square.
 *   An unconditioned sample maps the latents to values by rank (`categorySampling: 'stratified'`),
 *   so every value's count is within one row of its training share, the rarest included.
 * - unique id columns (keys): not modelled; fresh keys are generated (max + 1, … for integer keys,
 *   'syn-0', … for text keys), unique within one sample() call.
 * - missing values: a column with nulls gets an extra binary latent (null or not) that takes part in
 *   the correlation, so missingness can depend on other columns; null rows of a numeric column get a
 *   random normal score for its value latent.
 * - constant columns (one value, or all null) are reproduced as they are.
 * Conditions are native: conditioned latents are fixed (or drawn inside the category's interval)
 * and the rest are drawn from the conditional normal (mean Σ_FC Σ_CC⁻¹ z_C, covariance Σ_FF −
 * Σ_FC Σ_CC⁻¹ Σ_CF); constraints and exact-copy removal go through finalizeSample (conditions.ts).
 */
import { z } from 'zod';
import { ConfigError, DataValidationError, InterruptedError, ModelStateError, Rng, silentProgress, writeFileAtomic } from '../core/index.ts';
import { cellKey, cellToNumber, checkMetadataCovers, isUniqueColumn, numberToDatetime, type Cell, type ColumnMeta, type Table, type TableMetadata } from '../data/index.ts';
import { finalizeSample, SampleGuard, type CandidateSource, type GuardState } from './conditions.ts';
import { continuousCoefficients, discreteHermiteCoefficients, intervalMeans, ksStatisticAgainstCdf, latentCorrelation, nearestCorrelation, normCdf, normPpf, scoreCorrelationSlope, symmetricEigen } from '../stats/index.ts';
import { formatValue, learnValueFormat, type ValueFormat } from './resolution.ts';
import { FAMILY_PARAMS, PARAMETRIC_FAMILIES, fitFamily, lowerBound, makeDist, upperBound, type Dist, type ParametricFamily } from './distributions.ts';
import type { Conditions, SampleOptions, SampleResult, Synthesizer, SynthFitOptions, SynthFitReport } from './types.ts';
import { readSynthesizerFileOf, SYNTHESIZER_FILE_FORMAT } from './saved-file.ts';

export const COPULA_KIND = 'gaussian-copula';
const FORMAT = SYNTHESIZER_FILE_FORMAT;
const VERSION = 1;

const familySchema = z.enum(['auto', 'empirical', 'normal', 'truncnorm', 'beta', 'lognormal', 'gamma', 'uniform']);
export const copulaParamsSchema = z
  .object({
    /** Marginal for every numerical/datetime column: 'auto' (KS choice) or a fixed family. */
    distribution: familySchema.default('auto'),
    /** Per-column marginal, overriding `distribution`. */
    distributions: z.record(z.string(), familySchema).default({}),
    /** Quantile knots of the empirical marginal. */
    empiricalKnots: z.number().int().min(3).max(100000).default(1001),
    /** Remove sampled rows identical to a training row (the privacy default). */
    removeExactCopies: z.boolean().default(true),
    /**
     * How a correlation involving a categorical (or null-indicator) latent is estimated: 'latent'
     * undoes the attenuation of the distributional transform (stats/latent-correlation.ts), so
     * sampled categories keep the real association; 'scores' is the plain Pearson correlation of
     * the jittered scores (the classic Gaussian copula, which weakens every such dependence).
     */
    discreteCorrelation: z.enum(['latent', 'scores']).default('latent'),
    /**
     * Order of a categorical column's values on its latent axis. A Gaussian dependence is monotone,
     * so the order decides which associations it can carry: 'association' orders the values by
     * their optimal scores against the other columns (the direction that carries the most of their
     * squared correlation with this column); 'frequency' keeps the most frequent value first.
     */
    categoryOrder: z.enum(['association', 'frequency']).default('association'),
    /**
     * How an unconditioned sample turns a categorical column's latent into values. 'stratified'
     * keeps each row's latent rank and replaces its uniform by the stratum at that rank,
     * (rank + U) / rows with one random offset U per column and batch (systematic sampling): every
     * value then appears within ±1 row of rows × its training frequency, so a category seen once
     * in 80,000 training rows appears once in 80,000 sampled rows instead of Poisson(1) times
     * (37 % never), and the dependence on the other columns, which the ranks carry, is unchanged.
     * 'independent' maps each row's own uniform (the classic copula). Conditioned samples are
     * always 'independent': their categories follow the conditional distribution, not these counts.
     */
    categorySampling: z.enum(['stratified', 'independent']).default('stratified'),
    /**
     * How categorical columns depend on each other. 'latent': only through the Gaussian
     * correlation of their latents, which carries one monotone direction per pair (gender ×
     * occupation, Cramér's V 0.41 in ml-100k, comes out near 0.05). 'tree': the categorical
     * columns also form a Chow–Liu tree (the maximum-mutual-information spanning tree) and each
     * child column is decoded from its parent's sampled value through the training table of
     * child given parent, at its latent's rank among the rows with that parent value — so every
     * tree edge keeps its contingency table (within ±1 row per parent value) and the latent ranks
     * still carry the dependence on the numerical columns. Used by unconditioned stratified
     * samples; conditioned and 'independent' samples decode each column from its own marginal.
     * Columns with more than treeMaxCategories values stay out of the tree.
     */
    categoryDependence: z.enum(['latent', 'tree']).default('tree'),
    treeMaxCategories: z.number().int().min(2).default(100),
  })
  .strict();
export type CopulaParams = z.infer<typeof copulaParamsSchema>;

export function parseCopulaParams(raw: unknown): CopulaParams {
  const r = copulaParamsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const first = r.error.issues[0]!;
    const path = first.path.map(String).join('.');
    const keys = first.code === 'unrecognized_keys' ? (first as { keys: string[] }).keys.join(', ') : '';
    throw new ConfigError(`${first.message}${keys ? ` (${keys})` : ''}`, { field: `synthesizer.params${path ? '.' + path : ''}${keys ? '.' + keys : ''}` });
  }
  return r.data;
}

type MarginalFamily = ParametricFamily | 'empirical';

export type MarginalState =
  | { readonly kind: 'constant'; readonly column: string; readonly value: Cell }
  | { readonly kind: 'key'; readonly column: string; readonly integer: boolean; readonly start: number }
  | { readonly kind: 'frequency'; readonly column: string; readonly values: readonly Cell[]; readonly cum: readonly number[]; readonly nullIncluded: boolean }
  | {
      readonly kind: 'numeric';
      readonly column: string;
      readonly family: MarginalFamily;
      readonly params: readonly number[];
      readonly knots: readonly number[];
      readonly min: number;
      readonly max: number;
      readonly integer: boolean;
      readonly dateOnly: boolean;
      /** Resolution and text format learned from the training cells (absent in models saved before it existed). */
      readonly format?: ValueFormat;
      readonly nullRate: number;
      /** KS statistic of every candidate family that applied (the record of the choice). */
      readonly ks: Readonly<Record<string, number>>;
      readonly criticalValue: number;
    };

/** One latent Gaussian dimension: the value of a column, or whether it is null. */
interface Latent {
  readonly column: string;
  readonly role: 'value' | 'null';
}

const U_EPS = 1e-12;
const CONTINUOUS = continuousCoefficients();
function clampU(u: number): number {
  return u < U_EPS ? U_EPS : u > 1 - U_EPS ? 1 - U_EPS : u;
}

/** Runtime form of a numeric marginal: cdf for fitting, ppf for sampling (censored at [min, max]). */
class NumericMarginal {
  private readonly dist: Dist | null;
  private readonly gridX: Float64Array;
  private readonly gridF: Float64Array;
  private readonly fLo: number;
  private readonly fHi: number;
  private readonly knots: Float64Array;
  constructor(readonly s: Extract<MarginalState, { kind: 'numeric' }>) {
    this.knots = Float64Array.from(s.knots);
    if (s.family === 'empirical') {
      this.dist = null;
      this.gridX = this.gridF = new Float64Array(0);
      this.fLo = 0;
      this.fHi = 1;
      return;
    }
    this.dist = makeDist({ family: s.family, params: s.params });
    const G = 1024;
    this.gridX = new Float64Array(G + 1);
    this.gridF = new Float64Array(G + 1);
    for (let k = 0; k <= G; k++) {
      const x = s.min + ((s.max - s.min) * k) / G;
      this.gridX[k] = x;
      this.gridF[k] = this.dist.cdf(x);
    }
    // Monotone despite rounding in the special functions.
    for (let k = 1; k <= G; k++) if (this.gridF[k]! < this.gridF[k - 1]!) this.gridF[k] = this.gridF[k - 1]!;
    this.fLo = this.gridF[0]!;
    this.fHi = this.gridF[G]!;
  }

  /** u for an observed value (random inside the value's probability mass where there is one). */
  toUniform(x: number, rng: Rng): number {
    const s = this.s;
    if (this.dist === null) {
      const K = this.knots.length;
      const lo = lowerBound(this.knots, x);
      const hi = upperBound(this.knots, x);
      if (hi > lo) {
        const a = Math.max(0, (lo - 0.5) / (K - 1));
        const b = Math.min(1, (hi - 0.5) / (K - 1));
        return a + (b - a) * rng.next();
      }
      if (lo === 0) return 0;
      if (lo >= K) return 1;
      const q0 = this.knots[lo - 1]!;
      const q1 = this.knots[lo]!;
      return (lo - 1 + (x - q0) / (q1 - q0)) / (K - 1);
    }
    if (s.integer) {
      const a = x <= s.min ? 0 : this.dist.cdf(x - 0.5);
      const b = x >= s.max ? 1 : this.dist.cdf(x + 0.5);
      return a + (b - a) * rng.next();
    }
    return this.dist.cdf(x);
  }

  fromUniform(u: number): number {
    const s = this.s;
    let x: number;
    if (this.dist === null) {
      const K = this.knots.length;
      const pos = u * (K - 1);
      const k = Math.min(K - 2, Math.max(0, Math.floor(pos)));
      const f = Math.min(1, Math.max(0, pos - k));
      x = this.knots[k]! + (this.knots[k + 1]! - this.knots[k]!) * f;
    } else if (u <= this.fLo) x = s.min;
    else if (u >= this.fHi) x = s.max;
    else {
      const k = Math.max(0, upperBound(this.gridF, u) - 1);
      const x0 = this.gridX[k]!;
      const x1 = this.gridX[Math.min(k + 1, this.gridX.length - 1)]!;
      const f0 = this.gridF[k]!;
      const f1 = this.gridF[Math.min(k + 1, this.gridF.length - 1)]!;
      x = f1 > f0 ? x0 + ((u - f0) / (f1 - f0)) * (x1 - x0) : x0;
      for (let it = 0; it < 3; it++) {
        const p = this.dist.pdf(x);
        if (!(p > 0)) break;
        const nx = x - (this.dist.cdf(x) - u) / p;
        if (!(nx >= x0 && nx <= x1)) break;
        x = nx;
      }
    }
    if (x < s.min) x = s.min;
    if (x > s.max) x = s.max;
    return s.integer ? Math.round(x) : x;
  }
}

function frequencyIndex(cum: readonly number[], u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Systematic-sampling uniforms for n latent scores: the row with the r-th smallest score (ties by
 * row order) gets (r + offset) / n, offset in [0, 1). Each row's uniform is still uniform over the
 * draw (random rank, random offset), but the n values are evenly spread, so the number of rows
 * falling in an interval of width w is within ±1 of n·w.
 */
export function stratifiedUniforms(z: ArrayLike<number>, offset: number): Float64Array {
  const n = z.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => z[a]! - z[b]! || a - b);
  const u = new Float64Array(n);
  // (n − 1 + offset) / n can round up to 1 for an offset just below 1: keep it below.
  for (let r = 0; r < n; r++) u[order[r]!] = Math.min((r + offset) / n, 1 - Number.EPSILON / 2);
  return u;
}

/**
 * The Chow–Liu tree of categorical columns: the spanning tree with the largest total mutual
 * information (Prim's algorithm from the first column; ties to the earlier column), as edges with
 * the training table of child given parent, listed parents first.
 */
export function categoryTree(columns: readonly { column: string; categories: number; category: Int32Array }[], n: number): CategoryTreeEdge[] {
  if (columns.length < 2) return [];
  const counts = columns.map((c) => {
    const f = new Float64Array(c.categories);
    for (let i = 0; i < n; i++) f[c.category[i]!]!++;
    return f;
  });
  const joint = (a: number, b: number): Float64Array => {
    const kb = columns[b]!.categories;
    const t = new Float64Array(columns[a]!.categories * kb);
    const ca = columns[a]!.category;
    const cb = columns[b]!.category;
    for (let i = 0; i < n; i++) t[ca[i]! * kb + cb[i]!]!++;
    return t;
  };
  const mutualInformation = (a: number, b: number): number => {
    const t = joint(a, b);
    const kb = columns[b]!.categories;
    let mi = 0;
    for (let x = 0; x < t.length; x++) {
      const c = t[x]!;
      if (c > 0) mi += (c / n) * Math.log((c * n) / (counts[a]![Math.floor(x / kb)]! * counts[b]![x % kb]!));
    }
    return mi;
  };
  const inTree = [0];
  const out: CategoryTreeEdge[] = [];
  const best = columns.map((_, j) => ({ mi: j === 0 ? Number.NaN : mutualInformation(0, j), parent: 0 }));
  while (inTree.length < columns.length) {
    let next = -1;
    for (let j = 0; j < columns.length; j++) if (!inTree.includes(j) && (next < 0 || best[j]!.mi > best[next]!.mi)) next = j;
    const parent = best[next]!.parent;
    const t = joint(parent, next);
    const kc = columns[next]!.categories;
    const cum = Array.from({ length: columns[parent]!.categories }, (_, kp) => {
      const row: number[] = [];
      let acc = 0;
      for (let kcat = 0; kcat < kc; kcat++) {
        acc += t[kp * kc + kcat]!;
        row.push(acc / counts[parent]![kp]!);
      }
      row[kc - 1] = 1;
      return row;
    });
    out.push({ parent: columns[parent]!.column, child: columns[next]!.column, cum });
    inTree.push(next);
    for (let j = 0; j < columns.length; j++) {
      if (inTree.includes(j)) continue;
      const mi = mutualInformation(next, j);
      if (mi > best[j]!.mi) best[j] = { mi, parent: next };
    }
  }
  return out;
}

/**
 * Category indices of the tree's columns for one unconditioned batch: the root by stratified
 * uniforms over the batch (as without a tree), each child by stratified uniforms of its latents
 * among the rows with the same parent value, through that value's row of the child-given-parent table.
 */
function decodeTree(s: CopulaState, zs: readonly Float64Array[], latentIndex: ReadonlyMap<string, number>, rng: Rng): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  const count = zs[0]?.length ?? 0;
  const marginal = (column: string): Extract<MarginalState, { kind: 'frequency' }> => s.marginals.find((m) => m.column === column) as Extract<MarginalState, { kind: 'frequency' }>;
  const zOf = (column: string): Float64Array => zs[latentIndex.get(`${column}\u0000value`)!]!;
  for (const edge of s.tree!) {
    if (!out.has(edge.parent)) {
      const u = stratifiedUniforms(zOf(edge.parent), rng.split(`strata:${edge.parent}`).next());
      const cum = marginal(edge.parent).cum;
      out.set(edge.parent, Int32Array.from(u, (v) => frequencyIndex(cum, v)));
    }
    const parent = out.get(edge.parent)!;
    const z = zOf(edge.child);
    const child = new Int32Array(count);
    const groups = edge.cum.map(() => [] as number[]);
    for (let i = 0; i < count; i++) groups[parent[i]!]!.push(i);
    const crng = rng.split(`strata:${edge.child}`);
    groups.forEach((rows, kp) => {
      if (rows.length === 0) return;
      const u = stratifiedUniforms(rows.map((i) => z[i]!), crng.split(kp).next());
      rows.forEach((i, r) => (child[i] = frequencyIndex(edge.cum[kp]!, u[r]!)));
    });
    out.set(edge.child, child);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Linear algebra on small dense matrices (number[][]).

function cholesky(a: number[][]): number[][] | null {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > 1e-12)) return null;
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  }
  return l;
}

/**
 * Optimal scores of a categorical column against the other latents: with M the K × d matrix of
 * per-category means of the other scores and D the category counts, the quantification q = M v
 * where v is the top eigenvector of MᵀDM maximises Σ_l corr(q[category], z_l)² (homogeneity
 * analysis, one dimension). Returns the categories sorted by q (ties by their current order).
 */
function associationOrder(category: Int32Array, k: number, scores: readonly Float64Array[], self: number): number[] {
  const others = scores.filter((_, l) => l !== self);
  const d = others.length;
  const n = category.length;
  if (d === 0) return Array.from({ length: k }, (_, j) => j);
  const counts = new Float64Array(k);
  const sums = Array.from({ length: k }, () => new Float64Array(d));
  for (let i = 0; i < n; i++) {
    const c = category[i]!;
    counts[c]!++;
    const row = sums[c]!;
    for (let l = 0; l < d; l++) row[l]! += others[l]![i]!;
  }
  // MᵀDM = Σ_c counts_c · mean_c mean_cᵀ = Σ_c sums_c sums_cᵀ / counts_c.
  const a = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let c = 0; c < k; c++) {
    if (counts[c]! === 0) continue;
    const row = sums[c]!;
    for (let x = 0; x < d; x++) for (let y = 0; y <= x; y++) a[x]![y]! += (row[x]! * row[y]!) / counts[c]!;
  }
  for (let x = 0; x < d; x++) for (let y = 0; y < x; y++) a[y]![x] = a[x]![y]!;
  const { values, vectors } = symmetricEigen(a);
  let top = 0;
  for (let j = 1; j < d; j++) if (values[j]! > values[top]!) top = j;
  const v = vectors.map((r) => r[top]!);
  // A fixed sign (largest |component| positive) so the order does not flip with rounding.
  let big = 0;
  for (let j = 1; j < d; j++) if (Math.abs(v[j]!) > Math.abs(v[big]!)) big = j;
  const sign = v[big]! < 0 ? -1 : 1;
  const q = Array.from({ length: k }, (_, c) => {
    if (counts[c]! === 0) return 0;
    let s = 0;
    for (let l = 0; l < d; l++) s += sums[c]![l]! * v[l]!;
    return (sign * s) / counts[c]!;
  });
  return Array.from({ length: k }, (_, j) => j).sort((x, y) => q[x]! - q[y]! || x - y);
}

/** Cholesky, adding λI (λ = 1e-10 … 1e-1) until the matrix is positive definite. */
function choleskyRegularized(a: number[][]): { l: number[][]; jitter: number } {
  let l = cholesky(a);
  if (l) return { l, jitter: 0 };
  for (let lambda = 1e-10; lambda <= 1; lambda *= 10) {
    l = cholesky(a.map((row, i) => row.map((v, j) => (i === j ? v + lambda : v))));
    if (l) return { l, jitter: lambda };
  }
  // Only reachable with NaN entries: an internal error.
  throw new Error('correlation matrix is not positive definite even with 1.0 added to its diagonal');
}

function choleskySolve(l: number[][], b: number[]): number[] {
  const n = l.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

interface ConditionalPlan {
  readonly free: number[];
  readonly fixed: number[];
  /** A[f][c]: conditional mean weights. */
  readonly weights: number[][];
  readonly chol: number[][];
}

// ---------------------------------------------------------------------------------------------

interface CopulaState {
  readonly format: typeof FORMAT;
  readonly kind: typeof COPULA_KIND;
  readonly version: number;
  readonly params: CopulaParams;
  readonly columns: readonly string[];
  readonly metadata: TableMetadata;
  readonly marginals: readonly MarginalState[];
  readonly latents: readonly Latent[];
  readonly correlation: readonly (readonly number[])[];
  readonly guard: GuardState;
  readonly fitReport: SynthFitReport;
  /** categoryDependence 'tree': its edges, parents before children (absent otherwise and in older models). */
  readonly tree?: readonly CategoryTreeEdge[];
}

/** One edge of the categorical tree: child | parent, as cumulative shares per parent value (both in their marginal's value order). */
export interface CategoryTreeEdge {
  readonly parent: string;
  readonly child: string;
  readonly cum: readonly (readonly number[])[];
}

export interface MarginalChoice {
  readonly column: string;
  readonly kind: MarginalState['kind'];
  readonly family?: MarginalFamily;
  readonly ks?: Readonly<Record<string, number>>;
  readonly criticalValue?: number;
  readonly categories?: number;
}

export class GaussianCopulaSynthesizer implements Synthesizer {
  readonly name = COPULA_KIND;
  private params: CopulaParams;
  private state: CopulaState | undefined;
  private guard: SampleGuard | undefined;
  private numeric = new Map<string, NumericMarginal>();
  private cholFull: number[][] = [];
  private plans = new Map<string, ConditionalPlan>();
  private jitter = 0;

  constructor(params: unknown = {}) {
    this.params = parseCopulaParams(params);
  }

  async fit(table: Table, metadata: TableMetadata, options: SynthFitOptions): Promise<SynthFitReport> {
    const t0 = performance.now();
    const progress = options.progress ?? silentProgress;
    checkMetadataCovers(table, metadata);
    if (table.rowCount === 0) throw new ConfigError('cannot fit a synthesizer on a table with no rows', { field: 'data' });
    for (const c of Object.keys(this.params.distributions)) if (!table.columns.includes(c)) throw new ConfigError(`distribution given for column '${c}', which the table does not have`, { field: `synthesizer.params.distributions.${c}` });
    progress.line(`gaussian-copula: checking constraints and indexing ${table.rowCount} training rows`);
    const guard = SampleGuard.fit(table, metadata, { ...(options.constraints ? { constraints: options.constraints } : {}), removeExactCopies: this.params.removeExactCopies });
    const rng = new Rng(options.seed).split('gaussian-copula-fit');
    const n = table.rowCount;
    const marginals: MarginalState[] = [];
    const latents: Latent[] = [];
    const scores: Float64Array[] = [];
    /**
     * Per latent: Hermite coefficients of its discretisation and each row's category mean
     * E[Z | category] (the jitter-free part of its score); null for continuous latents.
     */
    const discrete: ({ coefficients: Float64Array; rowMeans: Float64Array } | null)[] = [];
    const discreteLatent = (cum: readonly number[], category: (i: number) => number): { coefficients: Float64Array; rowMeans: Float64Array } => {
      const means = intervalMeans(cum);
      return { coefficients: discreteHermiteCoefficients(cum), rowMeans: Float64Array.from({ length: n }, (_, i) => means[category(i)]!) };
    };
    /** Frequency latents, for reordering their categories once every score exists. */
    const categorical: { latent: number; marginal: number; category: Int32Array; rng: Rng }[] = [];
    let lastLine = performance.now();
    for (const [ci, col] of table.columns.entries()) {
      if (options.cancel?.cancelled) throw new InterruptedError('fitting interrupted');
      const meta = metadata.columns[col]!;
      const cells = table.data[col]!;
      const crng = rng.split(col);
      const m = this.fitMarginal(col, meta, cells, n);
      marginals.push(m);
      if (m.kind === 'numeric') {
        const rt = new NumericMarginal(m);
        const z = new Float64Array(n);
        const nullZ = m.nullRate > 0 ? new Float64Array(n) : undefined;
        for (let i = 0; i < n; i++) {
          const v = cellToNumber(cells[i] ?? null, meta);
          if (v === null) {
            z[i] = crng.normal();
            if (nullZ) nullZ[i] = normPpf(clampU(1 - m.nullRate + m.nullRate * crng.next()));
          } else {
            z[i] = normPpf(clampU(rt.toUniform(v, crng)));
            if (nullZ) nullZ[i] = normPpf(clampU((1 - m.nullRate) * crng.next()));
          }
        }
        latents.push({ column: col, role: 'value' });
        scores.push(z);
        discrete.push(null);
        if (nullZ) {
          latents.push({ column: col, role: 'null' });
          scores.push(nullZ);
          discrete.push(discreteLatent([1 - m.nullRate, 1], (i) => (cellToNumber(cells[i] ?? null, meta) === null ? 1 : 0)));
        }
      } else if (m.kind === 'frequency') {
        const index = new Map<string, number>();
        m.values.forEach((v, k) => index.set(cellKey(v), k));
        const z = new Float64Array(n);
        const category = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const k = index.get(cellKey(cells[i] ?? null))!;
          category[i] = k;
          const a = k === 0 ? 0 : m.cum[k - 1]!;
          const b = m.cum[k]!;
          z[i] = normPpf(clampU(a + (b - a) * crng.next()));
        }
        latents.push({ column: col, role: 'value' });
        scores.push(z);
        discrete.push(discreteLatent(m.cum, (i) => category[i]!));
        categorical.push({ latent: latents.length - 1, marginal: marginals.length - 1, category, rng: crng.split('association-order') });
      }
      progress.step?.('gaussian-copula: columns', ci + 1, table.columns.length);
      const now = performance.now();
      if (now - lastLine > 1000 || table.columns.length <= 30) {
        progress.line(`gaussian-copula: column ${ci + 1}/${table.columns.length} ${col} (${meta.type}) → ${describeMarginal(m)}`);
        lastLine = now;
      }
    }
    if (this.params.categoryOrder === 'association') {
      for (const c of categorical) {
        const m = marginals[c.marginal] as Extract<MarginalState, { kind: 'frequency' }>;
        if (m.values.length < 3) continue; // two values: the order only flips the sign
        const order = associationOrder(c.category, m.values.length, scores, c.latent);
        // Relabel: new position p holds old category order[p]; scores are redrawn inside the new intervals.
        const counts = new Float64Array(m.values.length);
        for (let i = 0; i < n; i++) counts[c.category[i]!]!++;
        const position = new Int32Array(m.values.length);
        order.forEach((old, p) => (position[old] = p));
        const cum: number[] = [];
        let acc = 0;
        for (const old of order) {
          acc += counts[old]!;
          cum.push(acc / n);
        }
        cum[cum.length - 1] = 1;
        const reordered = { ...m, values: order.map((old) => m.values[old]!), cum };
        marginals[c.marginal] = reordered;
        const z = scores[c.latent]!;
        for (let i = 0; i < n; i++) {
          const k = position[c.category[i]!]!;
          c.category[i] = k;
          const a = k === 0 ? 0 : cum[k - 1]!;
          z[i] = normPpf(clampU(a + (cum[k]! - a) * c.rng.next()));
        }
        discrete[c.latent] = discreteLatent(cum, (i) => c.category[i]!);
      }
    }
    const tree =
      this.params.categoryDependence === 'tree'
        ? categoryTree(
            categorical.flatMap((c) => {
              const m = marginals[c.marginal] as Extract<MarginalState, { kind: 'frequency' }>;
              return m.values.length <= this.params.treeMaxCategories ? [{ column: m.column, categories: m.values.length, category: c.category }] : [];
            }),
            n,
          )
        : undefined;
    if (tree) progress.line(`gaussian-copula: categorical tree ${tree.map((e) => `${e.parent} → ${e.child}`).join(', ') || '(fewer than two categorical columns)'}`);
    progress.line(`gaussian-copula: correlation of ${latents.length} normal scores over ${n} rows`);
    const d = latents.length;
    const corr: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    const norms = scores.map((z) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += z[i]! * z[i]!;
      return Math.sqrt(s);
    });
    for (let a = 0; a < d; a++) {
      corr[a]![a] = 1;
      for (let b = 0; b < a; b++) {
        const za = scores[a]!;
        const zb = scores[b]!;
        let s = 0;
        for (let i = 0; i < n; i++) s += za[i]! * zb[i]!;
        let r = norms[a]! > 0 && norms[b]! > 0 ? s / (norms[a]! * norms[b]!) : 0;
        const da = discrete[a]!;
        const db = discrete[b]!;
        if (this.params.discreteCorrelation === 'latent' && (da || db)) {
          // E[m_a m_b] without the jitter's noise (a continuous latent is its own mean), then the ρ behind it.
          const ma = da ? da.rowMeans : za;
          const mb = db ? db.rowMeans : zb;
          let e = 0;
          let e2 = 0;
          for (let i = 0; i < n; i++) {
            const p = ma[i]! * mb[i]!;
            e += p;
            e2 += p * p;
          }
          e /= n;
          const ca = da ? da.coefficients : CONTINUOUS;
          const cb = db ? db.coefficients : CONTINUOUS;
          r = latentCorrelation(e, ca, cb);
          // Rare categories pin E[m_a m_b] down poorly in ρ terms (two never-together values give
          // ρ → −1 from a handful of rows): shrink ρ by its delta-method variance, ρ · ρ² / (ρ² + se²).
          const slope = scoreCorrelationSlope(r, ca, cb);
          const se = Math.sqrt(Math.max(0, e2 / n - e * e) / n) / Math.max(slope, 1e-12);
          r = (r * r * r) / (r * r + se * se || 1);
        }
        corr[a]![b] = corr[b]![a] = Math.max(-1, Math.min(1, r));
      }
      if (options.cancel?.cancelled) throw new InterruptedError('fitting interrupted');
    }
    // Pairwise latent estimates need not be jointly positive definite: take the nearest valid matrix.
    let correlation = corr;
    if (this.params.discreteCorrelation === 'latent' && discrete.some((x) => x !== null)) {
      const near = nearestCorrelation(corr);
      if (near.adjusted) progress.line('gaussian-copula: latent correlations projected onto the nearest positive-definite correlation matrix');
      correlation = near.matrix;
    }
    const seconds = (performance.now() - t0) / 1000;
    const fitReport: SynthFitReport = { seconds, losses: [] };
    this.install({
      format: FORMAT,
      kind: COPULA_KIND,
      version: VERSION,
      params: this.params,
      columns: [...table.columns],
      metadata,
      marginals,
      latents,
      correlation,
      guard: guard.toJSON(),
      fitReport,
      ...(tree ? { tree } : {}),
    });
    progress.line(`gaussian-copula: fitted in ${seconds.toFixed(2)} s${this.jitter > 0 ? ` (correlation regularized: +${this.jitter} on the diagonal)` : ''}`);
    return fitReport;
  }

  private fitMarginal(col: string, meta: ColumnMeta, cells: readonly Cell[], n: number): MarginalState {
    const nonNull = cells.filter((c) => c !== null);
    if (meta.type === 'id' && isUniqueColumn(cells)) {
      const ints = cells.every((c) => typeof c === 'number' && Number.isInteger(c));
      let start = 0;
      if (ints) {
        let max = -Infinity;
        for (const c of cells as number[]) if (c > max) max = c;
        start = max + 1;
      }
      return { kind: 'key', column: col, integer: ints, start };
    }
    if (meta.type === 'numerical' || meta.type === 'datetime') {
      const values: number[] = [];
      for (let i = 0; i < cells.length; i++) {
        const v = cellToNumber(cells[i] ?? null, meta);
        if (v === null) continue;
        // NaN/Infinity never reach a fitted model: readers reject them, a table built in code is checked here.
        if (!Number.isFinite(v)) throw new DataValidationError(`column is ${meta.type} but row ${i + 1} holds ${String(cells[i])}`, { line: i + 1, field: col });
        values.push(v);
      }
      const sorted = Float64Array.from(values).sort();
      const distinct = sorted.length === 0 ? 0 : sorted[0] === sorted[sorted.length - 1] ? 1 : 2;
      if (distinct === 0) return { kind: 'constant', column: col, value: null };
      if (distinct === 1 && values.length === n) return { kind: 'constant', column: col, value: nonNull[0]! };
      const integer = meta.type === 'numerical' ? meta.integer === true : true;
      const dateOnly = meta.type === 'datetime' && meta.datetimeFormat === 'iso' && nonNull.every((c) => typeof c === 'string' && c.length === 10);
      const m = sorted.length;
      const K = Math.max(2, Math.min(m, this.params.empiricalKnots));
      const knots: number[] = [];
      for (let k = 0; k < K; k++) knots.push(sorted[Math.round((k * (m - 1)) / Math.max(1, K - 1))]!);
      const criticalValue = 1.36 / Math.sqrt(m);
      const ks: Record<string, number> = {};
      const fitted = new Map<ParametricFamily, readonly number[]>();
      const wanted = this.params.distributions[col] ?? this.params.distribution;
      const families = wanted === 'auto' ? PARAMETRIC_FAMILIES : wanted === 'empirical' ? [] : [wanted];
      if (distinct > 1) {
        for (const fam of families) {
          const f = fitFamily(fam, sorted);
          if (!f || f.params.some((p) => !Number.isFinite(p))) continue;
          fitted.set(fam, f.params);
          ks[fam] = ksStatisticAgainstCdf(sorted, makeDist(f).cdf, integer && meta.type === 'numerical');
        }
      }
      let family: MarginalFamily = 'empirical';
      if (wanted !== 'auto' && wanted !== 'empirical' && fitted.has(wanted)) family = wanted;
      else if (wanted === 'auto') {
        for (const size of [2, 4]) {
          const passing = [...fitted.keys()].filter((f) => FAMILY_PARAMS[f] === size && ks[f]! <= criticalValue).sort((a, b) => ks[a]! - ks[b]! || a.localeCompare(b));
          if (passing.length) {
            family = passing[0]!;
            break;
          }
        }
      }
      return {
        kind: 'numeric',
        column: col,
        family,
        params: family === 'empirical' ? [] : fitted.get(family)!,
        knots: family === 'empirical' ? knots : [],
        min: sorted[0]!,
        max: sorted[m - 1]!,
        integer: integer && meta.type === 'numerical',
        dateOnly,
        format: learnValueFormat(cells, meta),
        nullRate: (n - m) / n,
        ks,
        criticalValue,
      };
    }
    // categorical, boolean, non-unique id: frequency ranges (null is a value of its own).
    const counts = new Map<string, { value: Cell; count: number; first: number }>();
    cells.forEach((c, i) => {
      const k = cellKey(c ?? null);
      const e = counts.get(k);
      if (e) e.count++;
      else counts.set(k, { value: c ?? null, count: 1, first: i });
    });
    if (counts.size === 1) return { kind: 'constant', column: col, value: cells[0] ?? null };
    const entries = [...counts.values()].sort((a, b) => b.count - a.count || a.first - b.first);
    const cum: number[] = [];
    let acc = 0;
    for (const e of entries) {
      acc += e.count;
      cum.push(acc / n);
    }
    cum[cum.length - 1] = 1;
    return { kind: 'frequency', column: col, values: entries.map((e) => e.value), cum, nullIncluded: counts.has('z') };
  }

  private install(state: CopulaState): void {
    this.state = state;
    this.guard = SampleGuard.fromJSON(state.guard);
    this.numeric.clear();
    this.plans.clear();
    for (const m of state.marginals) if (m.kind === 'numeric') this.numeric.set(m.column, new NumericMarginal(m));
    const { l, jitter } = choleskyRegularized(state.correlation.map((r) => [...r]));
    this.cholFull = l;
    this.jitter = jitter;
  }

  private need(): CopulaState {
    if (!this.state) throw new ModelStateError('gaussian-copula is not fitted: call fit() or load() first');
    return this.state;
  }

  /** Which marginal each column got, with the KS statistics behind the choice. */
  marginalChoices(): MarginalChoice[] {
    return this.need().marginals.map((m) => {
      if (m.kind === 'numeric') return { column: m.column, kind: m.kind, family: m.family, ks: m.ks, criticalValue: m.criticalValue };
      if (m.kind === 'frequency') return { column: m.column, kind: m.kind, categories: m.values.length };
      return { column: m.column, kind: m.kind };
    });
  }

  /** The correlation matrix of the normal scores and what each row/column of it is. */
  correlation(): { latents: readonly Latent[]; matrix: readonly (readonly number[])[] } {
    const s = this.need();
    return { latents: s.latents, matrix: s.correlation };
  }

  private plan(fixed: number[]): ConditionalPlan {
    const key = fixed.join(',');
    const hit = this.plans.get(key);
    if (hit) return hit;
    const s = this.need();
    const d = s.latents.length;
    const sigma = s.correlation.map((r, i) => r.map((v, j) => (i === j ? v + this.jitter : v)));
    const fixedSet = new Set(fixed);
    const free = Array.from({ length: d }, (_, i) => i).filter((i) => !fixedSet.has(i));
    let plan: ConditionalPlan;
    if (fixed.length === 0) plan = { free, fixed, weights: [], chol: this.cholFull };
    else {
      const cc = fixed.map((i) => fixed.map((j) => sigma[i]![j]!));
      const lcc = choleskyRegularized(cc).l;
      const weights = free.map((f) => choleskySolve(lcc, fixed.map((c) => sigma[c]![f]!)));
      const cov = free.map((f, a) => free.map((g) => sigma[f]![g]! - fixed.reduce((acc, c, k) => acc + weights[a]![k]! * sigma[c]![g]!, 0)));
      plan = { free, fixed, weights, chol: free.length ? choleskyRegularized(cov).l : [] };
    }
    this.plans.set(key, plan);
    return plan;
  }

  /** Candidate rows: correlated normals → marginals; conditioned latents fixed (native conditioning). */
  private generate(count: number, rng: Rng, conditions: Conditions, keyOffset: { next: number }): Table {
    const s = this.need();
    const md = s.metadata.columns;
    const d = s.latents.length;
    const condRng = rng.split('conditions');
    const noise = rng.split('noise');
    // Fixed latents: for each, a function giving the row's normal score.
    const fixedDraw = new Map<number, () => number>();
    s.latents.forEach((lat, li) => {
      if (!Object.hasOwn(conditions, lat.column)) return;
      const cond = conditions[lat.column]!;
      const m = s.marginals.find((x) => x.column === lat.column)!;
      if (m.kind === 'numeric') {
        if (lat.role === 'null') {
          const [a, b] = cond === null ? [1 - m.nullRate, 1] : [0, 1 - m.nullRate];
          fixedDraw.set(li, () => normPpf(clampU(a + (b - a) * condRng.next())));
        } else if (cond !== null) {
          const v = cellToNumber(cond, md[lat.column])!;
          const rt = this.numeric.get(lat.column)!;
          fixedDraw.set(li, () => normPpf(clampU(rt.toUniform(v, condRng))));
        }
      } else if (m.kind === 'frequency') {
        const k = m.values.findIndex((v) => cellKey(v) === cellKey(cond));
        const a = k === 0 ? 0 : m.cum[k - 1]!;
        const b = m.cum[k]!;
        fixedDraw.set(li, () => normPpf(clampU(a + (b - a) * condRng.next())));
      }
    });
    const fixed = [...fixedDraw.keys()].sort((a, b) => a - b);
    const plan = this.plan(fixed);
    const zs = Array.from({ length: d }, () => new Float64Array(count));
    const eps = new Float64Array(plan.free.length);
    const zc = new Float64Array(fixed.length);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < fixed.length; k++) {
        zc[k] = fixedDraw.get(fixed[k]!)!();
        zs[fixed[k]!]![i] = zc[k]!;
      }
      for (let k = 0; k < eps.length; k++) eps[k] = noise.normal();
      for (let a = 0; a < plan.free.length; a++) {
        let v = 0;
        const w = plan.weights[a];
        if (w) for (let k = 0; k < fixed.length; k++) v += w[k]! * zc[k]!;
        const row = plan.chol[a]!;
        for (let k = 0; k <= a; k++) v += row[k]! * eps[k]!;
        zs[plan.free[a]!]![i] = v;
      }
    }
    const latentIndex = new Map<string, number>();
    s.latents.forEach((l, li) => latentIndex.set(`${l.column}\u0000${l.role}`, li));
    const stratified = this.params.categorySampling === 'stratified' && fixed.length === 0;
    const treeCategories = stratified && s.tree?.length ? decodeTree(s, zs, latentIndex, rng) : undefined;
    const data: Record<string, Cell[]> = {};
    for (const m of s.marginals) {
      const out = new Array<Cell>(count);
      const meta = md[m.column]!;
      if (m.kind === 'constant') out.fill(m.value);
      else if (m.kind === 'key') {
        for (let i = 0; i < count; i++) out[i] = m.integer ? m.start + keyOffset.next + i : `syn-${keyOffset.next + i}`;
        keyOffset.next += count;
      } else if (m.kind === 'frequency') {
        const z = zs[latentIndex.get(`${m.column}\u0000value`)!]!;
        const decoded = treeCategories?.get(m.column);
        if (decoded) for (let i = 0; i < count; i++) out[i] = m.values[decoded[i]!]!;
        else if (stratified) {
          const strata = stratifiedUniforms(z, rng.split(`strata:${m.column}`).next());
          for (let i = 0; i < count; i++) out[i] = m.values[frequencyIndex(m.cum, strata[i]!)]!;
        } else for (let i = 0; i < count; i++) out[i] = m.values[frequencyIndex(m.cum, normCdf(z[i]!))]!;
      } else {
        const z = zs[latentIndex.get(`${m.column}\u0000value`)!]!;
        const nz = m.nullRate > 0 ? zs[latentIndex.get(`${m.column}\u0000null`)!]! : undefined;
        const rt = this.numeric.get(m.column)!;
        for (let i = 0; i < count; i++) {
          if (nz && normCdf(nz[i]!) > 1 - m.nullRate) {
            out[i] = null;
            continue;
          }
          const x = rt.fromUniform(normCdf(z[i]!));
          if (m.format !== undefined) out[i] = formatValue(x, m.format);
          else out[i] = meta.type === 'datetime' ? numberToDatetime(x, meta, m.dateOnly) : x;
        }
      }
      // Native conditioning: the exact requested value, whatever the marginal's rounding.
      if (Object.hasOwn(conditions, m.column)) out.fill(conditions[m.column]!);
      data[m.column] = out;
    }
    return { columns: [...s.columns], rowCount: count, data };
  }

  sample(n: number, options: SampleOptions = {}): SampleResult {
    this.need();
    const keyOffset = { next: 0 };
    const source: CandidateSource = {
      generate: (count, rng, conditions) => this.generate(count, rng, conditions, keyOffset),
      nativeConditions: () => true,
    };
    return finalizeSample(source, n, options, this.guard!);
  }

  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.need()) + '\n');
  }

  load(path: string): void {
    const s = readSynthesizerFileOf(path, COPULA_KIND, VERSION) as Partial<CopulaState>;
    // A model saved before stratified categories existed has no categorySampling: it samples as it
    // did when saved (same seed ⇒ the same rows), i.e. independently.
    // One saved before the categorical tree existed has no tree: it decodes every column from its own marginal.
    this.params = parseCopulaParams({ categorySampling: 'independent', categoryDependence: 'latent', ...(s.params ?? {}) });
    this.install(s as CopulaState);
  }
}

function describeMarginal(m: MarginalState): string {
  switch (m.kind) {
    case 'constant':
      return `constant ${JSON.stringify(m.value)}`;
    case 'key':
      return 'unique key: generated';
    case 'frequency':
      return `frequency ranges over ${m.values.length} values`;
    case 'numeric': {
      const ks = Object.entries(m.ks)
        .sort((a, b) => a[1] - b[1])
        .map(([f, v]) => `${f} ${v.toFixed(3)}`)
        .join(', ');
      return `${m.family}${m.nullRate > 0 ? ` (+${(m.nullRate * 100).toFixed(1)} % null)` : ''}; KS ${ks || '–'} vs critical ${m.criticalValue.toFixed(3)}`;
    }
  }
}
