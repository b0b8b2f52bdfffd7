/**
 * Query–product features for the learned rankers (LambdaMART, pointwise GBDT, the neural model),
 * named so importances can say which matter. Everything fitted (BM25 statistics, word embeddings)
 * comes from the training view: products referenced by training groups, training queries and
 * their judged pairs. A feature that does not apply (no description, no number in the query) is
 * NaN: the trees learn a direction for it, the neural model sees 0 after standardising.
 *
 * The "…_vs_max" features are the feature minus its maximum over the products scored together
 * for the query: a product's standing within its query, which is what a ranker orders by.
 */
import { z } from 'zod';
import { ModelStateError, Rng } from '../../core/index.ts';
import type { LabelScale, Product, QueryGroup } from '../../data/search/types.ts';
import { BM25_DEFAULTS, Bm25Field, type Bm25FieldState } from './bm25.ts';
import { WORD_EMBEDDING_DEFAULTS, WordEmbeddings, type WordEmbeddingState } from './embeddings.ts';
import { charNgrams, editDistanceWithin, isNumberToken, numberUnits, stem, tokenize } from './text.ts';

/** The feature extractor's parameters (a `features` block in every learned ranker's config). */
export const searchFeatureConfigSchema = z
  .object({
    k1: z.number().positive().default(BM25_DEFAULTS.k1),
    b: z.number().min(0).max(1).default(BM25_DEFAULTS.b),
    embeddingDim: z.number().int().min(1).max(256).default(WORD_EMBEDDING_DEFAULTS.dim),
    embeddingMinCount: z.number().int().min(1).default(WORD_EMBEDDING_DEFAULTS.minCount),
    embeddingWindow: z.number().int().min(1).default(WORD_EMBEDDING_DEFAULTS.window),
    embeddingIterations: z.number().int().min(1).max(50).default(WORD_EMBEDDING_DEFAULTS.iterations),
  })
  .strict();
export type SearchFeatureConfig = z.infer<typeof searchFeatureConfigSchema>;
export const SEARCH_FEATURE_DEFAULTS: SearchFeatureConfig = searchFeatureConfigSchema.parse({});

/** Feature names, in column order. */
export const SEARCH_FEATURE_NAMES = [
  'bm25_title',
  'bm25_title_norm',
  'bm25_description',
  'cover_exact',
  'cover_stem',
  'cover_idf',
  'cover_fuzzy',
  'bigram_overlap',
  'char3_jaccard',
  'char3_cosine',
  'query_length',
  'title_length',
  'length_ratio',
  'phrase_match',
  'number_match',
  'query_has_number',
  'unit_match',
  'brand_match',
  'head_match',
  'embedding_cosine',
  'embedding_maxsim',
  'query_oov',
  'bm25_title_vs_max',
  'cover_idf_vs_max',
  'char3_cosine_vs_max',
  'embedding_cosine_vs_max',
  'embedding_maxsim_vs_max',
] as const;
export type SearchFeatureName = (typeof SEARCH_FEATURE_NAMES)[number];
const F = Object.fromEntries(SEARCH_FEATURE_NAMES.map((n, i) => [n, i])) as Record<SearchFeatureName, number>;
const VS_MAX: readonly [SearchFeatureName, SearchFeatureName][] = [
  ['bm25_title_vs_max', 'bm25_title'],
  ['cover_idf_vs_max', 'cover_idf'],
  ['char3_cosine_vs_max', 'char3_cosine'],
  ['embedding_cosine_vs_max', 'embedding_cosine'],
  ['embedding_maxsim_vs_max', 'embedding_maxsim'],
];

/** Everything the extractor needs at scoring time (JSON-safe). */
export interface SearchFeatureState {
  readonly config: SearchFeatureConfig;
  readonly title: Bm25FieldState;
  readonly description: Bm25FieldState | null;
  readonly embeddings: WordEmbeddingState;
}

/** A product text cut once: raw and stemmed tokens, bigrams, character trigrams, numbers, units. */
interface TextView {
  readonly raw: readonly string[];
  readonly stems: readonly string[];
  readonly stemSet: ReadonlySet<string>;
  readonly bigrams: ReadonlySet<string>;
  readonly char3: Map<string, number>;
  readonly char3Norm: number;
  readonly numbers: ReadonlySet<number>;
  readonly units: ReadonlySet<string>;
  readonly vector: Float64Array | undefined;
}

/** Text views kept (a product title recurs across queries); the cache is emptied when full, bounding memory to ~100 MB. */
const CACHE_LIMIT = 20_000;

/** The products referenced by `groups`, in first-reference order (each once). */
export function referencedProducts(groups: readonly QueryGroup[], products: ReadonlyMap<string, Product>): Product[] {
  const seen = new Set<string>();
  const out: Product[] = [];
  for (const g of groups) {
    for (const id of g.productIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const p = products.get(id);
      if (!p) throw new ModelStateError(`search ranker: query '${g.key}' references product '${id}', which is not in the catalogue`);
      out.push(p);
    }
  }
  return out;
}

export class SearchFeatureExtractor {
  readonly names: readonly string[] = SEARCH_FEATURE_NAMES;
  private readonly cache = new Map<string, TextView>();

  private constructor(
    readonly config: SearchFeatureConfig,
    private readonly title: Bm25Field,
    private readonly description: Bm25Field | null,
    readonly embeddings: WordEmbeddings,
  ) {}

  /** Fits BM25 statistics and word embeddings on the training groups' products and queries. */
  static fit(train: readonly QueryGroup[], products: ReadonlyMap<string, Product>, scale: LabelScale, config: SearchFeatureConfig, seed: number): SearchFeatureExtractor {
    const params = { k1: config.k1, b: config.b };
    const catalogue = referencedProducts(train, products);
    const titles = catalogue.map((p) => tokenize(p.title).map(stem));
    const title = Bm25Field.fit(titles, params);
    const withDescription = catalogue.some((p) => p.description !== undefined && p.description.trim() !== '');
    const description = withDescription ? Bm25Field.fit(catalogue.map((p) => tokenize(p.description ?? '').map(stem)), params) : null;
    const titleById = new Map(catalogue.map((p, i) => [p.id, titles[i]!]));
    const queries = train.map((g) => tokenize(g.query).map(stem));
    const span = scale.max - scale.min;
    const pairs = train.flatMap((g, gi) => g.productIds.map((id, k) => ({ query: queries[gi]!, title: titleById.get(id)!, weight: span > 0 ? (g.labels[k]! - scale.min) / span : 1 })));
    const embeddings = WordEmbeddings.fit(
      { titles, queries, pairs },
      { dim: config.embeddingDim, minCount: config.embeddingMinCount, window: config.embeddingWindow, iterations: config.embeddingIterations, maxVocab: WORD_EMBEDDING_DEFAULTS.maxVocab },
      new Rng(seed).split('word-embeddings'),
    );
    return new SearchFeatureExtractor(config, title, description, embeddings);
  }

  get state(): SearchFeatureState {
    return { config: this.config, title: this.title.state, description: this.description?.state ?? null, embeddings: this.embeddings.state };
  }

  static fromState(state: SearchFeatureState): SearchFeatureExtractor {
    if (!state || typeof state !== 'object' || !state.title || !state.embeddings) throw new ModelStateError('search features: malformed saved state');
    const config = searchFeatureConfigSchema.parse(state.config);
    const params = { k1: config.k1, b: config.b };
    return new SearchFeatureExtractor(config, Bm25Field.fromState(state.title, params), state.description ? Bm25Field.fromState(state.description, params) : null, WordEmbeddings.fromState(state.embeddings));
  }

  private view(text: string): TextView {
    const hit = this.cache.get(text);
    if (hit) return hit;
    const raw = tokenize(text);
    const stems = raw.map(stem);
    const bigrams = new Set<string>();
    for (let i = 0; i + 1 < stems.length; i++) bigrams.add(`${stems[i]} ${stems[i + 1]}`);
    const char3 = charNgrams(raw, 3);
    let norm = 0;
    for (const c of char3.values()) norm += c * c;
    const v: TextView = {
      raw, stems, stemSet: new Set(stems), bigrams, char3, char3Norm: Math.sqrt(norm),
      numbers: new Set(stems.filter(isNumberToken).map(Number)), units: new Set(numberUnits(stems)), vector: this.embeddings.textVector(stems),
    };
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(text, v);
    return v;
  }

  /** Row-major features (productIds.length × names.length) of one query's products. */
  features(query: string, productIds: readonly string[], products: ReadonlyMap<string, Product>): Float64Array {
    const d = SEARCH_FEATURE_NAMES.length;
    const n = productIds.length;
    const out = new Float64Array(n * d);
    const q = this.view(query);
    const qStems = q.stems;
    const qUnique = [...q.stemSet];
    const qRaw = new Set(q.raw);
    const idfs = qUnique.map((t) => this.title.idf(t));
    const idfTotal = idfs.reduce((a, b) => a + b, 0);
    const maxBm25 = this.title.maxScore(qStems);
    const qVectors = qUnique.map((t) => this.embeddings.vector(t));
    const oov = qUnique.length ? qUnique.filter((t) => !this.embeddings.has(t)).length / qUnique.length : 0;
    const qPhrase = ` ${qStems.join(' ')} `;
    const head = qStems[qStems.length - 1];
    for (let r = 0; r < n; r++) {
      const id = productIds[r]!;
      const p = products.get(id);
      if (!p) throw new ModelStateError(`search ranker: product '${id}' of query '${query}' is not in the catalogue`);
      const t = this.view(p.title);
      const row = out.subarray(r * d, (r + 1) * d);
      const bm = this.title.score(qStems, t.stems);
      row[F.bm25_title] = bm;
      row[F.bm25_title_norm] = maxBm25 > 0 ? bm / maxBm25 : 0;
      row[F.bm25_description] = this.description && p.description ? this.description.score(qStems, this.view(p.description).stems) : NaN;
      let exact = 0;
      for (const w of qRaw) if (t.raw.includes(w)) exact++;
      row[F.cover_exact] = qRaw.size ? exact / qRaw.size : 0;
      let stemHits = 0;
      let idfHits = 0;
      let fuzzyHits = 0;
      qUnique.forEach((w, i) => {
        const hit = t.stemSet.has(w);
        if (hit) {
          stemHits++;
          idfHits += idfs[i]!;
        }
        if (hit || fuzzyIn(w, t.stems)) fuzzyHits++;
      });
      row[F.cover_stem] = qUnique.length ? stemHits / qUnique.length : 0;
      row[F.cover_idf] = idfTotal > 0 ? idfHits / idfTotal : 0;
      row[F.cover_fuzzy] = qUnique.length ? fuzzyHits / qUnique.length : 0;
      if (q.bigrams.size) {
        let bi = 0;
        for (const b of q.bigrams) if (t.bigrams.has(b)) bi++;
        row[F.bigram_overlap] = bi / q.bigrams.size;
      } else row[F.bigram_overlap] = NaN;
      let inter = 0;
      let dot = 0;
      for (const [g, c] of q.char3) {
        const tc = t.char3.get(g);
        if (tc !== undefined) {
          inter++;
          dot += c * tc;
        }
      }
      const union = q.char3.size + t.char3.size - inter;
      row[F.char3_jaccard] = union > 0 ? inter / union : 0;
      row[F.char3_cosine] = q.char3Norm > 0 && t.char3Norm > 0 ? dot / (q.char3Norm * t.char3Norm) : 0;
      row[F.query_length] = qStems.length;
      row[F.title_length] = t.stems.length;
      row[F.length_ratio] = t.stems.length > 0 ? qStems.length / t.stems.length : 0;
      row[F.phrase_match] = qStems.length > 0 && ` ${t.stems.join(' ')} `.includes(qPhrase) ? 1 : 0;
      if (q.numbers.size) {
        let hits = 0;
        for (const x of q.numbers) if (t.numbers.has(x)) hits++;
        row[F.number_match] = hits / q.numbers.size;
        row[F.query_has_number] = 1;
      } else {
        row[F.number_match] = NaN;
        row[F.query_has_number] = 0;
      }
      if (q.units.size) {
        let hits = 0;
        for (const u of q.units) if (t.units.has(u)) hits++;
        row[F.unit_match] = hits / q.units.size;
      } else row[F.unit_match] = NaN;
      row[F.brand_match] = t.stems.length > 0 && q.stemSet.has(t.stems[0]!) ? 1 : 0;
      row[F.head_match] = head !== undefined && (t.stemSet.has(head) || fuzzyIn(head, t.stems)) ? 1 : 0;
      row[F.embedding_cosine] = q.vector && t.vector ? cosine(q.vector, t.vector) : NaN;
      let simSum = 0;
      let simCount = 0;
      for (const qv of qVectors) {
        if (!qv) continue;
        let best = -1;
        for (const w of t.stemSet) {
          const tv = this.embeddings.vector(w);
          if (tv) best = Math.max(best, cosine(qv, tv));
        }
        if (best > -1) {
          simSum += best;
          simCount++;
        }
      }
      row[F.embedding_maxsim] = simCount ? simSum / simCount : NaN;
      row[F.query_oov] = oov;
    }
    for (const [target, source] of VS_MAX) {
      let max = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < n; r++) {
        const v = out[r * d + F[source]]!;
        if (v > max) max = v;
      }
      for (let r = 0; r < n; r++) {
        const v = out[r * d + F[source]]!;
        out[r * d + F[target]] = Number.isNaN(v) ? NaN : v - max;
      }
    }
    return out;
  }

  /** Features of every group's products stacked (row-major), with the group boundaries. */
  matrix(groups: readonly { readonly query: string; readonly productIds: readonly string[] }[], products: ReadonlyMap<string, Product>): { X: Float64Array; n: number; d: number; bounds: Int32Array } {
    const d = SEARCH_FEATURE_NAMES.length;
    const bounds = new Int32Array(groups.length + 1);
    groups.forEach((g, i) => {
      bounds[i + 1] = bounds[i]! + g.productIds.length;
    });
    const n = bounds[groups.length]!;
    const X = new Float64Array(n * d);
    groups.forEach((g, i) => X.set(this.features(g.query, g.productIds, products), bounds[i]! * d));
    return { X, n, d, bounds };
  }
}

/** Whether `w` is within a small edit distance of one of `tokens` (a misspelling), or a ≥ 4-letter prefix of one. */
function fuzzyIn(w: string, tokens: readonly string[]): boolean {
  if (w.length < 4 || isNumberToken(w)) return false;
  const max = w.length >= 8 ? 2 : 1;
  for (const t of tokens) {
    if (t.length >= 4 && (t.startsWith(w) || w.startsWith(t))) return true;
    if (editDistanceWithin(w, t, max) <= max) return true;
  }
  return false;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
