/**
 * Synthetic (query, product, label) training pairs, doc2query / InPars style: a text generator
 * writes queries a shopper might type for a product's title; a pair is kept only when it survives
 * two filters — the query finds its own product again with BM25 over the catalogue (round trip),
 * and a relevance model trained on the real training pairs (the teacher) rates it well — and every
 * kept query becomes a training group of its product plus BM25 hard negatives, graded by the teacher.
 *
 * Leakage: the products written for are training products only (those the kept training queries
 * judged, or every product the training part of the split judged when `products: catalogue` — the
 * unlabelled long tail when labels are scarce); products judged only by validation or test queries
 * are never used, since which products a held-out query judged is held-out information. A generated
 * query that normalises to a validation or test query is dropped and counted, like an augmented one.
 */
import { z } from 'zod';
import { ConfigError, InterruptedError, Rng, type CancelToken } from '../core/index.ts';
import { normalizeQuery, type LabelScale, type Product, type QueryGroup } from '../data/search/index.ts';
import { Bm25Field, stemmedTokens, type SearchRanker } from '../models/search/index.ts';
import type { ScoreCalibration, ScoreCalibrationKind } from './teacher-calibration.ts';
import type { GenerationOutcome, GenerationRejectReason, GenerationRequest, TextGenerator } from './types.ts';

export const syntheticPairsConfigSchema = z
  .object({
    /** Queries requested per product (each with its own seed). */
    queriesPerProduct: z.number().int().min(1).max(20).default(2),
    /**
     * judged: the products the (kept) training queries judged; catalogue: every product the training
     * part judged, including those whose queries `maxTrainQueries` left out (unlabelled products).
     */
    products: z.enum(['judged', 'catalogue']).default('catalogue'),
    /** Write for at most this many products (a seeded sample), to bound generation cost. */
    maxProducts: z.number().int().min(1).optional(),
    /** The prompt: `{title}` is replaced by the product title. The embedded generator is conditioned on the title alone. */
    prompt: z.string().min(1).default('{title}'),
    /** Instructions for chat models (ignored by the embedded generator). */
    system: z.string().min(1).optional(),
    temperature: z.number().min(0).max(5).default(0.8),
    topK: z.number().int().min(0).default(0),
    topP: z.number().gt(0).max(1).default(0.95),
    maxTokens: z.number().int().min(1).max(512).default(24),
    /** Round trip: keep a query only if BM25 over the catalogue ranks its product within this many (0 = off). */
    roundTripTopK: z.number().int().min(0).default(10),
    /** Keep only this top fraction of the surviving pairs by teacher score (InPars keeps the best-rated). */
    keepFraction: z.number().gt(0).max(1).default(1),
    /** Drop a pair whose teacher label is below this value (on the dataset's label scale). */
    minLabel: z.number().optional(),
    /** BM25 hard negatives added to each synthetic query group. */
    negatives: z.number().int().min(0).max(50).default(4),
    /**
     * InPars-style teacher filter: keep a query only if the teacher ranks its own product within
     * this many among the product and its `teacherPool` best BM25 competitors (off when absent).
     */
    teacherTopK: z.number().int().min(1).optional(),
    /**
     * Competitors the teacher ranks the product against for `teacherTopK` (10 when absent): the best
     * BM25 ones, topped up with seeded random products of the catalogue written for when BM25 finds
     * fewer (a query that matches nothing else must still beat something to pass).
     */
    teacherPool: z.number().int().min(1).max(100).optional(),
  })
  .strict();
export type SyntheticPairsConfig = z.infer<typeof syntheticPairsConfigSchema>;
export const SYNTHETIC_PAIRS_DEFAULTS: SyntheticPairsConfig = syntheticPairsConfigSchema.parse({});

/** Why a generated query was not kept (counted in `SyntheticPairsReport.dropped`). */
export type SyntheticDropReason = GenerationRejectReason | 'empty' | 'duplicate' | 'equals-real-training-query' | 'equals-held-out-query' | 'round-trip-miss' | 'teacher-rank-miss' | 'below-min-label' | 'below-keep-fraction';

export interface SyntheticPairsReport {
  readonly products: number;
  readonly requested: number;
  readonly generated: number;
  readonly kept: number;
  readonly dropped: Readonly<Partial<Record<SyntheticDropReason, number>>>;
  /** Pairs in the kept groups (positives + negatives). */
  readonly pairs: number;
  /** Mean teacher label of the kept positives and of their negatives. */
  readonly meanPositiveLabel: number;
  readonly meanNegativeLabel: number;
  /** Share of kept queries whose own product BM25 ranks first. */
  readonly roundTripTop1: number;
  /** Real vs generated (before / after the filters) query statistics. */
  readonly alignment: QueryAlignment;
  /** A few kept and dropped examples, for a person to read. */
  readonly examples: readonly SyntheticExample[];
  /** How the teacher's scores became labels, when a calibration was given (absent: the scores are labels). */
  readonly calibration?: { readonly kind: ScoreCalibrationKind; readonly pairs: number; readonly rmse: number };
}

export interface SyntheticExample {
  readonly title: string;
  readonly query: string;
  readonly kept: boolean;
  readonly reason?: SyntheticDropReason;
  readonly label?: number;
}

export interface SyntheticPairsInput {
  readonly generator: TextGenerator;
  /** The training groups the ranker sees (real labels); their queries are the teacher's training data. */
  readonly train: readonly QueryGroup[];
  /** Validation + test groups: a generated query equal to one of theirs is dropped. */
  readonly heldOut: readonly QueryGroup[];
  /** Every product the training part of the split judged (superset of those `train` references). */
  readonly catalogueIds: readonly string[];
  readonly products: ReadonlyMap<string, Product>;
  readonly labelScale: LabelScale;
  /** A relevance model already fitted on `train`, predicting labels on the scale (or calibrated: `calibration`). */
  readonly teacher: SearchRanker;
  /** Maps the teacher's scores to labels (fitted on the training pairs); required when it does not predict labels. */
  readonly calibration?: ScoreCalibration;
  readonly config: SyntheticPairsConfig;
  readonly seed: number;
  readonly cancel?: CancelToken;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SyntheticPairsResult {
  readonly groups: QueryGroup[];
  readonly report: SyntheticPairsReport;
}

/** The seed of one request: a function of (seed, product, copy) only, so any subset of products gets the same queries. */
export function requestSeed(seed: number, productId: string, copy: number): number {
  return new Rng(seed).split(`doc2query:${productId}`).split(copy).nextUint32();
}

/** First line of a generation, without surrounding quotes or a "query:" prefix chat models like to add. */
export function cleanGeneratedQuery(text: string): string {
  let q = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  q = q.replace(/^(search\s+)?query\s*:\s*/i, '').trim();
  q = q.replace(/^["'“”‘’`]+|["'“”‘’`]+$/g, '').trim();
  return q;
}

export async function generateSyntheticPairs(input: SyntheticPairsInput): Promise<SyntheticPairsResult> {
  const { config, products, teacher, calibration } = input;
  if (!teacher.predictsLabels && !calibration)
    throw new ConfigError(`the teacher ranker '${teacher.name}' does not predict labels on the scale; use one that does (e.g. gbdt-regression), or give it a calibration (teacher.calibration: isotonic | linear)`, { field: 'teacher.name' });
  const judged = [...new Set(input.train.flatMap((g) => g.productIds))];
  let productIds = config.products === 'judged' ? judged : [...new Set([...judged, ...input.catalogueIds])];
  for (const id of productIds) if (!products.has(id)) throw new ConfigError(`product '${id}' of the training part has no catalogue entry`, { field: 'products' });
  if (config.maxProducts !== undefined && config.maxProducts < productIds.length) {
    const idx = Int32Array.from(productIds.keys());
    new Rng(input.seed).split('doc2query-products').shuffle(idx);
    productIds = Array.from(idx.subarray(0, config.maxProducts))
      .sort((a, b) => a - b)
      .map((i) => productIds[i]!);
  }

  const requests: GenerationRequest[] = [];
  const source: string[] = [];
  for (const id of productIds) {
    const title = products.get(id)!.title;
    for (let j = 0; j < config.queriesPerProduct; j++) {
      requests.push({
        prompt: config.prompt.split('{title}').join(title),
        ...(config.system !== undefined ? { system: config.system } : {}),
        params: { temperature: config.temperature, topK: config.topK, topP: config.topP, maxTokens: config.maxTokens },
        seed: requestSeed(input.seed, id, j),
      });
      source.push(id);
    }
  }
  const controller = new AbortController();
  const unsubscribe = input.cancel?.onCancel(() => controller.abort());
  let outcomes: GenerationOutcome[];
  try {
    outcomes = await input.generator.generateBatch(requests, { signal: controller.signal, ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  } finally {
    unsubscribe?.();
  }
  if (input.cancel?.cancelled) throw new InterruptedError('generation interrupted; a rerun resumes from the generator cache');

  const dropped: Partial<Record<SyntheticDropReason, number>> = {};
  const drop = (r: SyntheticDropReason) => {
    dropped[r] = (dropped[r] ?? 0) + 1;
  };
  const examples: SyntheticExample[] = [];
  const example = (e: SyntheticExample) => {
    if (examples.filter((x) => x.kept === e.kept).length < 10) examples.push(e);
  };
  const realKeys = new Set(input.train.map((g) => g.key));
  const heldOutKeys = new Set(input.heldOut.map((g) => g.key));
  const seen = new Set<string>();
  const candidates: { query: string; key: string; productId: string }[] = [];
  const generatedQueries: string[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    if (!o.ok) {
      drop(o.reason);
      continue;
    }
    const query = cleanGeneratedQuery(o.result.text);
    const key = normalizeQuery(query);
    const title = products.get(source[i]!)!.title;
    if (key === '') {
      drop('empty');
      continue;
    }
    generatedQueries.push(query);
    // Held-out first: such a query must be counted as what it is, whatever else it also is.
    const reason: SyntheticDropReason | null = heldOutKeys.has(key) ? 'equals-held-out-query' : realKeys.has(key) ? 'equals-real-training-query' : seen.has(`${source[i]}\u0000${key}`) ? 'duplicate' : null;
    if (reason) {
      drop(reason);
      example({ title, query, kept: false, reason });
      continue;
    }
    seen.add(`${source[i]}\u0000${key}`);
    candidates.push({ query, key, productId: source[i]! });
  }

  const index = new Bm25Index(productIds.map((id) => products.get(id)!));
  const survivors: { query: string; key: string; productId: string; negatives: string[]; rank: number; competitors: string[] }[] = [];
  const teacherPool = config.teacherTopK !== undefined ? (config.teacherPool ?? 10) : 0;
  for (const c of candidates) {
    const depth = Math.max(config.roundTripTopK, config.negatives + 1, teacherPool + 1);
    const top = index.search(c.query, depth);
    const rank = top.indexOf(c.productId);
    if (config.roundTripTopK > 0 && (rank < 0 || rank >= config.roundTripTopK)) {
      drop('round-trip-miss');
      example({ title: products.get(c.productId)!.title, query: c.query, kept: false, reason: 'round-trip-miss' });
      continue;
    }
    const others = top.filter((id) => id !== c.productId);
    const competitors = others.slice(0, teacherPool);
    if (competitors.length < teacherPool) {
      const taken = new Set([c.productId, ...competitors]);
      const fill = new Rng(input.seed).split('teacher-pool').split(c.key);
      // At most the catalogue's other products; drawn with replacement of draws, not of products.
      for (let tries = 0; competitors.length < Math.min(teacherPool, productIds.length - 1) && tries < 50 * teacherPool; tries++) {
        const id = productIds[fill.int(productIds.length)]!;
        if (taken.has(id)) continue;
        taken.add(id);
        competitors.push(id);
      }
    }
    survivors.push({ ...c, negatives: others.slice(0, config.negatives), rank, competitors });
  }

  const toLabel = calibration ? (v: number) => calibration.apply(v) : (v: number) => Math.min(input.labelScale.max, Math.max(input.labelScale.min, v));
  // The teacher grades each query's product and its negatives in one group; with `teacherTopK` it
  // scores the product among its BM25 competitors too, and keeps the query only if the product ranks high.
  const graded: { query: string; key: string; productId: string; rank: number; ids: string[]; labels: Float64Array }[] = [];
  for (const s of survivors) {
    const ids = [s.productId, ...s.negatives];
    if (config.teacherTopK === undefined) {
      const scores = teacher.score({ query: s.query, productIds: ids }, products);
      graded.push({ ...s, ids, labels: Float64Array.from(scores, toLabel) });
      continue;
    }
    const scoredIds = [s.productId, ...new Set([...s.competitors, ...s.negatives])];
    const scores = teacher.score({ query: s.query, productIds: scoredIds }, products);
    const competitors = new Set(s.competitors);
    let ahead = 0;
    scoredIds.forEach((id, j) => {
      if (j > 0 && competitors.has(id) && scores[j]! > scores[0]!) ahead++;
    });
    if (ahead >= config.teacherTopK) {
      drop('teacher-rank-miss');
      example({ title: products.get(s.productId)!.title, query: s.query, kept: false, reason: 'teacher-rank-miss' });
      continue;
    }
    const scoreOf = new Map(scoredIds.map((id, j) => [id, scores[j]!]));
    graded.push({ ...s, ids, labels: Float64Array.from(ids, (id) => toLabel(scoreOf.get(id)!)) });
  }
  let kept = graded;
  if (config.minLabel !== undefined) {
    const min = config.minLabel;
    kept = kept.filter((g) => {
      if (g.labels[0]! >= min) return true;
      drop('below-min-label');
      return false;
    });
  }
  if (config.keepFraction < 1 && kept.length > 0) {
    const n = Math.max(1, Math.round(kept.length * config.keepFraction));
    const order = kept.map((_, i) => i).sort((a, b) => kept[b]!.labels[0]! - kept[a]!.labels[0]! || a - b);
    const keep = new Set(order.slice(0, n));
    for (let i = 0; i < kept.length; i++) if (!keep.has(i)) drop('below-keep-fraction');
    kept = kept.filter((_, i) => keep.has(i));
  }
  const groups: QueryGroup[] = kept.map((g) => ({ query: g.query, key: g.key, productIds: g.ids, labels: g.labels }));
  for (const g of kept.slice(0, 10)) example({ title: products.get(g.productId)!.title, query: g.query, kept: true, label: g.labels[0]! });

  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    groups,
    report: {
      products: productIds.length,
      requested: requests.length,
      generated: generatedQueries.length,
      kept: groups.length,
      dropped,
      pairs: groups.reduce((s, g) => s + g.productIds.length, 0),
      meanPositiveLabel: mean(kept.map((g) => g.labels[0]!)),
      meanNegativeLabel: mean(kept.flatMap((g) => Array.from(g.labels.subarray(1)))),
      roundTripTop1: kept.length ? kept.filter((g) => g.rank === 0).length / kept.length : 0,
      alignment: queryAlignment(
        input.train.map((g) => g.query),
        generatedQueries,
        groups.map((g) => g.query),
      ),
      examples,
      ...(calibration ? { calibration: { kind: calibration.kind, pairs: calibration.pairs, rmse: calibration.rmse } } : {}),
    },
  };
}

// ------------------------------------------------------------------ BM25 search over a catalogue

/**
 * Top-k BM25 (titles, stemmed tokens) over a fixed set of products through an inverted index, so
 * a query costs its terms' postings, not the catalogue's size. Ties break by catalogue order.
 */
export class Bm25Index {
  private readonly field: Bm25Field;
  private readonly ids: string[];
  private readonly docs: string[][];
  private readonly postings = new Map<string, number[]>();

  constructor(products: readonly Product[]) {
    this.ids = products.map((p) => p.id);
    this.docs = products.map((p) => stemmedTokens(p.title));
    this.field = Bm25Field.fit(this.docs);
    this.docs.forEach((doc, d) => {
      for (const t of new Set(doc)) {
        const list = this.postings.get(t);
        if (list) list.push(d);
        else this.postings.set(t, [d]);
      }
    });
  }

  /** The ids of the `k` best products for `query` (only products sharing a term with it). */
  search(query: string, k: number): string[] {
    const q = [...new Set(stemmedTokens(query))];
    const candidates = new Set<number>();
    for (const t of q) for (const d of this.postings.get(t) ?? []) candidates.add(d);
    const scored = [...candidates].map((d) => ({ d, s: this.field.score(q, this.docs[d]!) }));
    scored.sort((a, b) => b.s - a.s || a.d - b.d);
    return scored.slice(0, k).map((x) => this.ids[x.d]!);
  }
}

// ------------------------------------------------------------------ alignment of generated queries

export interface QueryStats {
  readonly count: number;
  readonly meanTokens: number;
  /** Share of queries with 1, 2, 3, 4+ tokens. */
  readonly lengthShare: readonly number[];
  /** Share of queries containing a digit (sizes, model numbers). */
  readonly withDigits: number;
}

export interface QueryAlignment {
  readonly real: QueryStats;
  readonly generated: QueryStats;
  readonly kept: QueryStats;
  /** Total variation distance between the token-count distributions (0 = same). */
  readonly lengthTvd: { readonly generated: number; readonly kept: number };
  /** Jensen–Shannon divergence (bits) between token unigram distributions (0 = same, 1 = disjoint). */
  readonly tokenJs: { readonly generated: number; readonly kept: number };
}

export function queryStats(queries: readonly string[]): QueryStats {
  const share = [0, 0, 0, 0];
  let tokens = 0;
  let digits = 0;
  for (const q of queries) {
    const n = stemmedTokens(q).length;
    tokens += n;
    share[Math.min(3, Math.max(0, n - 1))]! += 1;
    if (/\d/.test(q)) digits++;
  }
  const c = Math.max(1, queries.length);
  return { count: queries.length, meanTokens: tokens / c, lengthShare: share.map((s) => s / c), withDigits: digits / c };
}

function unigrams(queries: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  let total = 0;
  for (const q of queries)
    for (const t of stemmedTokens(q)) {
      m.set(t, (m.get(t) ?? 0) + 1);
      total++;
    }
  for (const [t, v] of m) m.set(t, v / Math.max(1, total));
  return m;
}

function jensenShannon(p: ReadonlyMap<string, number>, q: ReadonlyMap<string, number>): number {
  if (p.size === 0 || q.size === 0) return p.size === q.size ? 0 : 1;
  let js = 0;
  for (const t of new Set([...p.keys(), ...q.keys()])) {
    const a = p.get(t) ?? 0;
    const b = q.get(t) ?? 0;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return js;
}

export function queryAlignment(real: readonly string[], generated: readonly string[], kept: readonly string[]): QueryAlignment {
  const r = queryStats(real);
  const g = queryStats(generated);
  const k = queryStats(kept);
  const tvd = (a: QueryStats, b: QueryStats) => a.lengthShare.reduce((s, v, i) => s + Math.abs(v - b.lengthShare[i]!), 0) / 2;
  const ru = unigrams(real);
  return { real: r, generated: g, kept: k, lengthTvd: { generated: tvd(r, g), kept: tvd(r, k) }, tokenJs: { generated: jensenShannon(ru, unigrams(generated)), kept: jensenShannon(ru, unigrams(kept)) } };
}
