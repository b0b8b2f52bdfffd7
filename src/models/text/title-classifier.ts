/**
 * A product-title classifier for few-label category tasks (PriceRunner: 10 categories from k titles
 * each): hashed word, word-bigram and character-trigram features with sublinear tf and idf from the
 * training titles, L2-normalised, fed to an L2-regularised multinomial logistic regression fitted by
 * full-batch gradient descent with Nesterov momentum. No randomness at all: same titles and labels ⇒
 * the same weights, bit for bit (sums run in a fixed order), so the `seed` of a few-label run only
 * decides which titles are labelled.
 *
 * Why this model: with 5–50 labelled titles per class a linear model over sparse n-grams is the
 * standard strong baseline, it trains in well under a second, and it reacts to added (augmented)
 * titles the way a shipped classifier would — so the lift measured on it means something.
 */
import { z } from 'zod';
import { ConfigError, ModelStateError } from '../../core/index.ts';

export const titleClassifierConfigSchema = z
  .object({
    /** Hashed feature space size (a power of two keeps the modulo cheap; collisions are rare at 2^18). */
    dimensions: z.number().int().min(1024).max(1 << 24).default(1 << 18),
    /** L2 penalty on the weights (mean loss + l2/2·|W|²). */
    l2: z.number().min(0).default(1e-4),
    /** Gradient steps (full batch). */
    iterations: z.number().int().min(1).max(10000).default(300),
    learningRate: z.number().positive().default(2),
    /** Character n-gram length (0 turns them off). */
    charNgram: z.number().int().min(0).max(6).default(3),
  })
  .strict();
export type TitleClassifierConfig = z.infer<typeof titleClassifierConfigSchema>;
export const TITLE_CLASSIFIER_DEFAULTS: TitleClassifierConfig = titleClassifierConfigSchema.parse({});

/** A sparse, L2-normalised feature vector: sorted unique indices and their values. */
interface SparseVector {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Lower-cased word tokens (letters and digits; other characters separate). */
export function titleTokens(title: string): string[] {
  return title.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/** Feature hashes of a title with their raw counts. */
function featureCounts(title: string, config: TitleClassifierConfig): Map<number, number> {
  const tokens = titleTokens(title);
  const counts = new Map<number, number>();
  const add = (f: string) => {
    const h = fnv1a(f) % config.dimensions;
    counts.set(h, (counts.get(h) ?? 0) + 1);
  };
  for (let i = 0; i < tokens.length; i++) {
    add(`w:${tokens[i]}`);
    if (i + 1 < tokens.length) add(`b:${tokens[i]} ${tokens[i + 1]}`);
    const n = config.charNgram;
    if (n > 0) {
      const padded = `<${tokens[i]}>`;
      for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`);
    }
  }
  return counts;
}

export interface TitleClassifierState {
  readonly config: TitleClassifierConfig;
  readonly classes: readonly string[];
  /** idf per hashed feature that occurred in training (feature → idf). */
  readonly idf: readonly (readonly [number, number])[];
  /** Weights per class over the features in `idf` order, then the bias. */
  readonly weights: readonly (readonly number[])[];
}

export class TitleClassifier {
  readonly name = 'title-logistic';
  private readonly config: TitleClassifierConfig;
  private state: { classes: string[]; idf: Map<number, number>; column: Map<number, number>; weights: Float64Array[] } | undefined;

  constructor(config: Readonly<Record<string, unknown>> = {}) {
    const r = titleClassifierConfigSchema.safeParse(config);
    if (!r.success) {
      const first = r.error.issues[0]!;
      throw new ConfigError(`title classifier: ${first.path.join('.') || '(config)'}: ${first.message}`, { field: first.path.join('.') });
    }
    this.config = r.data;
  }

  private vector(title: string, idf: ReadonlyMap<number, number>, column: ReadonlyMap<number, number>): SparseVector {
    const counts = featureCounts(title, this.config);
    const entries: [number, number][] = [];
    for (const [h, c] of counts) {
      const col = column.get(h);
      if (col === undefined) continue; // a feature no training title had carries no weight
      entries.push([col, (1 + Math.log(c)) * idf.get(h)!]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    let norm = 0;
    for (const [, v] of entries) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    return { index: Int32Array.from(entries, (e) => e[0]), value: Float64Array.from(entries, (e) => e[1] / norm) };
  }

  /** Fits on titles and their class labels (every class needs at least one title). */
  fit(titles: readonly string[], labels: readonly string[]): void {
    if (titles.length !== labels.length) throw new ConfigError(`title classifier: ${titles.length} titles but ${labels.length} labels`);
    if (titles.length === 0) throw new ConfigError('title classifier: no training titles');
    const classes = [...new Set(labels)].sort();
    if (classes.length < 2) throw new ConfigError(`title classifier: needs at least 2 classes, got ${classes.length}`);
    const classIndex = new Map(classes.map((c, i) => [c, i]));
    // idf over the training titles; columns are the features that occur, in hash order.
    const df = new Map<number, number>();
    for (const t of titles) for (const h of featureCounts(t, this.config).keys()) df.set(h, (df.get(h) ?? 0) + 1);
    const hashes = [...df.keys()].sort((a, b) => a - b);
    const idf = new Map(hashes.map((h) => [h, Math.log((1 + titles.length) / (1 + df.get(h)!)) + 1]));
    const column = new Map(hashes.map((h, i) => [h, i]));
    const d = hashes.length;
    const K = classes.length;
    const n = titles.length;
    const X = titles.map((t) => this.vector(t, idf, column));
    const y = Int32Array.from(labels, (l) => classIndex.get(l)!);
    // W: K × (d + 1), last column the bias; Nesterov momentum on the mean cross-entropy + l2.
    const W = Array.from({ length: K }, () => new Float64Array(d + 1));
    const V = Array.from({ length: K }, () => new Float64Array(d + 1));
    const G = Array.from({ length: K }, () => new Float64Array(d + 1));
    const look = Array.from({ length: K }, () => new Float64Array(d + 1));
    const { iterations, learningRate, l2 } = this.config;
    const mu = 0.9;
    const logits = new Float64Array(K);
    for (let it = 0; it < iterations; it++) {
      for (let k = 0; k < K; k++) {
        const w = W[k]!;
        const v = V[k]!;
        const la = look[k]!;
        for (let j = 0; j <= d; j++) la[j] = w[j]! + mu * v[j]!;
        G[k]!.fill(0);
      }
      for (let i = 0; i < n; i++) {
        const x = X[i]!;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) {
          const la = look[k]!;
          let z = la[d]!;
          for (let t = 0; t < x.index.length; t++) z += la[x.index[t]!]! * x.value[t]!;
          logits[k] = z;
          if (z > max) max = z;
        }
        let sum = 0;
        for (let k = 0; k < K; k++) sum += (logits[k] = Math.exp(logits[k]! - max));
        for (let k = 0; k < K; k++) {
          const r = logits[k]! / sum - (y[i] === k ? 1 : 0);
          if (r === 0) continue;
          const g = G[k]!;
          for (let t = 0; t < x.index.length; t++) g[x.index[t]!]! += (r * x.value[t]!) / n;
          g[d]! += r / n;
        }
      }
      for (let k = 0; k < K; k++) {
        const w = W[k]!;
        const v = V[k]!;
        const g = G[k]!;
        const la = look[k]!;
        for (let j = 0; j <= d; j++) {
          const grad = g[j]! + (j < d ? l2 * la[j]! : 0);
          v[j] = mu * v[j]! - learningRate * grad;
          w[j]! += v[j]!;
        }
      }
    }
    this.state = { classes, idf, column, weights: W };
  }

  private need(): NonNullable<TitleClassifier['state']> {
    if (!this.state) throw new ModelStateError('title classifier is not fitted: call fit() or load() first');
    return this.state;
  }

  /** Class probabilities per title (rows in the order of `classes()`). */
  probabilities(titles: readonly string[]): Float64Array[] {
    const s = this.need();
    const K = s.classes.length;
    const d = s.column.size;
    return titles.map((t) => {
      const x = this.vector(t, s.idf, s.column);
      const p = new Float64Array(K);
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) {
        const w = s.weights[k]!;
        let z = w[d]!;
        for (let j = 0; j < x.index.length; j++) z += w[x.index[j]!]! * x.value[j]!;
        p[k] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += (p[k] = Math.exp(p[k]! - max));
      for (let k = 0; k < K; k++) p[k]! /= sum;
      return p;
    });
  }

  /** The most probable class of each title (ties: the first class in sorted order). */
  predict(titles: readonly string[]): string[] {
    const s = this.need();
    return this.probabilities(titles).map((p) => {
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      return s.classes[best]!;
    });
  }

  classes(): readonly string[] {
    return this.need().classes;
  }

  save(): string {
    const s = this.need();
    const state: TitleClassifierState = {
      config: this.config,
      classes: s.classes,
      idf: [...s.idf.entries()],
      weights: s.weights.map((w) => Array.from(w)),
    };
    return JSON.stringify({ format: 'samplify-title-classifier', version: 1, state });
  }

  static load(text: string): TitleClassifier {
    let parsed: { format?: unknown; version?: unknown; state?: TitleClassifierState };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (e) {
      throw new ModelStateError(`not a saved title classifier: ${(e as Error).message}`);
    }
    if (parsed.format !== 'samplify-title-classifier' || parsed.version !== 1 || !parsed.state) throw new ModelStateError('not a saved title classifier (format/version)');
    const st = parsed.state;
    const model = new TitleClassifier(st.config);
    const hashes = st.idf.map(([h]) => h);
    model.state = { classes: [...st.classes], idf: new Map(st.idf.map(([h, v]) => [h, v])), column: new Map(hashes.map((h, i) => [h, i])), weights: st.weights.map((w) => Float64Array.from(w)) };
    return model;
  }
}
