/**
 * Okapi BM25 over one text field (title, description), on the shared tokenizer's stemmed tokens:
 *
 *   score(q, d) = Σ_{t ∈ unique(q)} idf(t) · tf(t, d) (k1 + 1) / (tf(t, d) + k1 (1 − b + b |d| / avgdl))
 *   idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))        (never negative)
 *
 * Statistics (N, df, avgdl) come from the documents it is fitted on — the products the training
 * queries reference (see docs/decisions/lambdamart.md: titles are not labels, but the products
 * judged for test queries exist in the data only because those queries were asked, so their
 * term statistics stay out). A term never seen in fitting gets the largest idf (df = 0).
 */
import { ModelStateError } from '../../core/index.ts';

export interface Bm25Params {
  readonly k1: number;
  readonly b: number;
}

export const BM25_DEFAULTS: Bm25Params = { k1: 1.2, b: 0.75 };

/** What scoring needs of a fitted field (JSON-safe). */
export interface Bm25FieldState {
  readonly documents: number;
  readonly avgLength: number;
  /** Document frequency of every term seen in fitting, in first-seen order. */
  readonly df: Readonly<Record<string, number>>;
}

export class Bm25Field {
  private readonly df: Map<string, number>;
  private constructor(
    readonly state: Bm25FieldState,
    readonly params: Bm25Params,
  ) {
    this.df = new Map(Object.entries(state.df));
  }

  /** Fits the statistics on tokenised documents (an empty document counts toward N and avgdl). */
  static fit(documents: readonly (readonly string[])[], params: Bm25Params = BM25_DEFAULTS): Bm25Field {
    const df: Record<string, number> = Object.create(null) as Record<string, number>;
    let total = 0;
    for (const doc of documents) {
      total += doc.length;
      for (const t of new Set(doc)) df[t] = (df[t] ?? 0) + 1;
    }
    const n = documents.length;
    return new Bm25Field({ documents: n, avgLength: n > 0 ? total / n : 0, df: { ...df } }, params);
  }

  static fromState(state: Bm25FieldState, params: Bm25Params): Bm25Field {
    if (!state || !Number.isInteger(state.documents) || typeof state.avgLength !== 'number' || typeof state.df !== 'object' || state.df === null) throw new ModelStateError('bm25: malformed saved field statistics');
    return new Bm25Field(state, params);
  }

  idf(term: string): number {
    const n = this.state.documents;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** BM25 of a document (tokens) for a query (tokens; repeated query terms count once). */
  score(query: readonly string[], doc: readonly string[]): number {
    if (doc.length === 0 || query.length === 0) return 0;
    const tf = new Map<string, number>();
    for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
    const { k1, b } = this.params;
    const avg = this.state.avgLength > 0 ? this.state.avgLength : doc.length;
    const norm = k1 * (1 - b + (b * doc.length) / avg);
    let s = 0;
    for (const t of new Set(query)) {
      const f = tf.get(t);
      if (f !== undefined) s += (this.idf(t) * f * (k1 + 1)) / (f + norm);
    }
    return s;
  }

  /** The largest score any document could reach for this query (Σ idf·(k1 + 1)): a per-query normaliser. */
  maxScore(query: readonly string[]): number {
    let s = 0;
    for (const t of new Set(query)) s += this.idf(t) * (this.params.k1 + 1);
    return s;
  }
}
