/**
 * Query statistics for the experiment's segments: how frequent a query is (head/torso/tail), how
 * long, and whether it is likely misspelled against the catalogue's title vocabulary.
 *
 * Frequency: on Home Depot almost every query string occurs once, so "how often was this query
 * seen in training" would put every test query in one bin (0 — the split is query-disjoint). The
 * segment is instead the frequency of the query's rarest token among training queries (how much
 * training evidence the query's least-known word has), or, alternatively, the number of judged
 * products of the query (how popular the query was when the data was sampled).
 */
import { tokenize } from './text.ts';
import type { Product, QueryGroup } from './types.ts';

export type QuerySegment = 'head' | 'torso' | 'tail';

/** Number of training queries (groups) containing each token. */
export function queryTokenCounts(groups: readonly QueryGroup[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of groups) for (const t of new Set(tokenize(g.key))) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

export interface FrequencySegmenterOptions {
  /** 'token-frequency' (default): rarest token's training-query count; 'judged-products': products judged for the query. */
  readonly by?: 'token-frequency' | 'judged-products';
  /** Quantiles of the training distribution that separate tail | torso | head (default [1/3, 2/3]). */
  readonly quantiles?: readonly [number, number];
}

export interface FrequencySegmenter {
  readonly by: 'token-frequency' | 'judged-products';
  /** tail: frequency ≤ tailMax; head: frequency > headAbove; torso: between. */
  readonly thresholds: { readonly tailMax: number; readonly headAbove: number };
  frequency(group: QueryGroup): number;
  segment(group: QueryGroup): QuerySegment;
}

/**
 * Segments by query frequency, with thresholds at quantiles of the training queries' own
 * frequencies: tail ≤ the low quantile's value < torso ≤ the high quantile's value < head. On Home
 * Depot with 'token-frequency' the low tertile is 0, so tail = "has a word no other training query
 * has". For 'token-frequency' a training query does not count itself (leave-one-out), so a
 * training query and an unseen query with the same words get the same frequency. A query without
 * tokens (only symbols) has frequency 0. With many ties a segment can be empty.
 */
export function queryFrequencySegmenter(train: readonly QueryGroup[], opts: FrequencySegmenterOptions = {}): FrequencySegmenter {
  const by = opts.by ?? 'token-frequency';
  const [qLow, qHigh] = opts.quantiles ?? [1 / 3, 2 / 3];
  if (!(qLow >= 0 && qLow <= qHigh && qHigh <= 1)) throw new RangeError(`quantiles must satisfy 0 ≤ low ≤ high ≤ 1, got [${qLow}, ${qHigh}]`);
  const counts = queryTokenCounts(train);
  const trainKeys = new Set(train.map((g) => g.key));
  const frequency = (g: QueryGroup): number => {
    if (by === 'judged-products') return g.productIds.length;
    const tokens = new Set(tokenize(g.key));
    if (tokens.size === 0) return 0;
    const self = trainKeys.has(g.key) ? 1 : 0;
    let min = Number.POSITIVE_INFINITY;
    for (const t of tokens) min = Math.min(min, (counts.get(t) ?? 0) - self);
    return min;
  };
  const values = train.map(frequency).sort((a, b) => a - b);
  // The q-quantile: the smallest value with at least a fraction q of the training values at or below it.
  const at = (q: number): number => (values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!);
  const thresholds = { tailMax: at(qLow), headAbove: at(qHigh) };
  return {
    by,
    thresholds,
    frequency,
    segment(g) {
      const f = frequency(g);
      return f <= thresholds.tailMax ? 'tail' : f > thresholds.headAbove ? 'head' : 'torso';
    },
  };
}

/** Query length in tokens (see `tokenize`). */
export function queryLength(query: string): number {
  return tokenize(query).length;
}

/** Length segment: '1', '2', '3' or '4+' tokens ('0' for a query of symbols only). */
export function queryLengthSegment(query: string): '0' | '1' | '2' | '3' | '4+' {
  const n = queryLength(query);
  return n >= 4 ? '4+' : (String(n) as '0' | '1' | '2' | '3');
}

// ---------------------------------------------------------------------------------------------
// Vocabulary and misspellings

/** Title vocabulary of a catalogue: each token with the number of products whose text contains it. */
export class CatalogueVocabulary {
  // minCount → (string with up to MAX_INDEX_DELETES characters deleted → frequent words it comes from)
  private readonly deleteIndex = new Map<number, Map<string, string[]>>();

  constructor(
    readonly counts: ReadonlyMap<string, number>,
    readonly productCount: number,
  ) {}

  has(token: string): boolean {
    return this.counts.has(token);
  }

  count(token: string): number {
    return this.counts.get(token) ?? 0;
  }

  /**
   * Vocabulary words with count ≥ minCount that may be within `maxDistance` (≤ 2) edits of `token`,
   * found through a symmetric-deletion index (every word and the token are reduced by up to
   * `maxDistance` deleted characters; a word within distance d of the token shares such a reduction,
   * transpositions included). Callers confirm with editDistance. Sorted, without repeats.
   */
  candidates(token: string, maxDistance: number, minCount: number): string[] {
    if (maxDistance > MAX_INDEX_DELETES) throw new RangeError(`candidates supports maxDistance ≤ ${MAX_INDEX_DELETES}, got ${maxDistance}`);
    let index = this.deleteIndex.get(minCount);
    if (index === undefined) {
      index = new Map();
      for (const [w, c] of this.counts) {
        if (c < minCount) continue;
        for (const d of deletions(w, MAX_INDEX_DELETES)) {
          const list = index.get(d);
          if (list === undefined) index.set(d, [w]);
          else if (list[list.length - 1] !== w) list.push(w);
        }
      }
      this.deleteIndex.set(minCount, index);
    }
    const found = new Set<string>();
    for (const d of deletions(token, maxDistance)) for (const w of index.get(d) ?? []) found.add(w);
    return [...found].sort();
  }
}

const MAX_INDEX_DELETES = 2;

/** The string itself and every string made by deleting up to `k` of its characters (code points). */
function deletions(word: string, k: number): Set<string> {
  const out = new Set<string>([word]);
  let frontier = [[...word]];
  for (let step = 0; step < k; step++) {
    const next: string[][] = [];
    for (const chars of frontier) {
      for (let i = 0; i < chars.length; i++) {
        const shorter = chars.slice(0, i).concat(chars.slice(i + 1));
        const key = shorter.join('');
        if (!out.has(key)) out.add(key), next.push(shorter);
      }
    }
    frontier = next;
  }
  return out;
}

/** Tokens of every product title (and, with `descriptions`, description), counted once per product. */
export function catalogueVocabulary(products: Iterable<Product> | ReadonlyMap<string, Product>, opts: { readonly descriptions?: boolean } = {}): CatalogueVocabulary {
  const counts = new Map<string, number>();
  let n = 0;
  const list = products instanceof Map ? (products as ReadonlyMap<string, Product>).values() : (products as Iterable<Product>);
  for (const p of list) {
    n++;
    const text = opts.descriptions && p.description ? p.title + ' ' + p.description : p.title;
    for (const t of new Set(tokenize(text))) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return new CatalogueVocabulary(counts, n);
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition, as in "toliet" →
 * "toilet"), or `max + 1` as soon as it is certain to exceed `max`.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const s = [...a];
  const t = [...b];
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let prev2 = new Array<number>(t.length + 1).fill(0);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  let cur = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  const d = prev[t.length]!;
  return d > max ? max + 1 : d;
}

export interface MisspellingOptions {
  /** A correction must be a vocabulary word in at least this many products (default 3). */
  readonly minCount?: number;
  /** Largest edit distance (default 2; tokens of 4–5 letters allow 1). */
  readonly maxDistance?: number;
}

export interface Misspelling {
  readonly token: string;
  /** The closest frequent vocabulary word (ties: the more frequent, then alphabetical). */
  readonly suggestion: string;
  readonly distance: number;
}

const LETTERS_ONLY = /^[\p{L}\p{M}]+$/u;

/**
 * The query tokens that look misspelled: a token of letters only (no digits: model numbers and sizes
 * are not words), at least 4 letters long, not in the vocabulary, not a plural/singular of a
 * vocabulary word (+s, +es, −s, −es) and not two frequent words of ≥ 3 letters written together, that is within edit distance ≤ 2 (≤ 1 for 4–5 letters) of a
 * vocabulary word found in ≥ minCount products. A token far from every word (a rare brand) is not flagged.
 */
export function misspelledTokens(query: string, vocabulary: CatalogueVocabulary, opts: MisspellingOptions = {}): Misspelling[] {
  const minCount = opts.minCount ?? 3;
  const maxDistance = opts.maxDistance ?? 2;
  const out: Misspelling[] = [];
  for (const token of tokenize(query)) {
    const len = [...token].length;
    if (len < 4 || !LETTERS_ONLY.test(token) || vocabulary.has(token)) continue;
    if (vocabulary.has(token + 's') || vocabulary.has(token + 'es') || (token.endsWith('s') && vocabulary.has(token.slice(0, -1))) || (token.endsWith('es') && vocabulary.has(token.slice(0, -2)))) continue;
    const d = Math.min(maxDistance, len <= 5 ? 1 : 2);
    if (isCompound(token, vocabulary, minCount)) continue;
    let best: Misspelling | undefined;
    for (const w of vocabulary.candidates(token, d, minCount)) {
      const dist = editDistance(token, w, d);
      if (dist > d) continue;
      if (best === undefined || dist < best.distance || (dist === best.distance && vocabulary.count(w) > vocabulary.count(best.suggestion))) best = { token, suggestion: w, distance: dist };
    }
    if (best !== undefined) out.push(best);
  }
  return out;
}

/** Two frequent vocabulary words of ≥ 3 letters written together ("wiremesh"): a spacing variant, not a misspelling. */
function isCompound(token: string, vocabulary: CatalogueVocabulary, minCount: number): boolean {
  for (let i = 3; i <= token.length - 3; i++) if (vocabulary.count(token.slice(0, i)) >= minCount && vocabulary.count(token.slice(i)) >= minCount) return true;
  return false;
}

/** True when some token of the query looks misspelled (see `misspelledTokens`). */
export function isLikelyMisspelled(query: string, vocabulary: CatalogueVocabulary, opts: MisspellingOptions = {}): boolean {
  return misspelledTokens(query, vocabulary, opts).length > 0;
}
