/**
 * The text family's context: resources fitted on TRAINING data only (brand list, domain synonym
 * table, typo profile) plus WordNet. `fitTextResources(trainGroups, products)` reads only the
 * training queries and the titles of the products those queries judged, so nothing that occurs
 * only in validation or test queries can reach an operator (test/augment/text/leakage.property.test.ts).
 *
 * File formats (users can supply their own):
 *   synonyms: one group per line, terms separated by commas; every term of a group is a synonym of
 *             every other; a term may have several words; `#` starts a comment. Example:
 *               fridge, refrigerator
 *               ss, stainless steel
 *   brands:   one brand per line (case-insensitive; several words allowed); `#` starts a comment.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.ts';
import type { Product, QueryGroup } from '../../data/search/types.ts';
import { brandList, EMPTY_BRANDS, hasCjk, isEditableWord, joinTokens, splitRaw, STOPWORDS, tokenize, type BrandList } from './tokens.ts';
import { classifyEdit, measureMisspellings, TYPO_KINDS, typoProfileFrom, wordCounts, type MisspellingReport, type TypoKind, type TypoProfile } from './typos.ts';
import { typo } from './operators.ts';
import { Rng } from '../../core/rng.ts';
import { loadWordNet, type SynonymLookup, type WordNetOptions } from './wordnet.ts';

/** word (lowercase) → synonyms (lowercase, sorted). */
export type SynonymTable = ReadonlyMap<string, readonly string[]>;

/** Context of the text family. */
export interface TextContext {
  /** Brands to protect (mined from training titles and/or a user file). */
  readonly brands: BrandList;
  /** Domain synonyms mined from training data (and/or a user file). */
  readonly domainSynonyms?: SynonymTable;
  /** English synonyms from WordNet. */
  readonly wordnet?: SynonymLookup;
  /**
   * Typo rate per editable word and kind shares measured on training queries (the `typo`
   * operator's default): real misspellings / words the operator may edit, so an augmented query
   * carries as many misspellings as a real one on average.
   */
  readonly typos?: TypoProfile;
}

/** A context with nothing fitted: protection by patterns only, no synonym source. */
export const BARE_TEXT_CONTEXT: TextContext = { brands: EMPTY_BRANDS };

export interface FitTextResourcesOptions {
  /** Pairs with a label ≥ this count as relevant for mining (default: 75 % of the way from the lowest to the highest training label). */
  minLabel?: number;
  /** A mined synonym pair needs this many distinct supporting products / pairs. Default 3. */
  minSupport?: number;
  /** Synonyms kept per word (the strongest). Default 3. */
  maxSynonyms?: number;
  /** A title prefix is a brand when it starts at least this many distinct training titles. Default 3. */
  brandMinTitles?: number;
  /** Load WordNet (English synonyms): true, false or options. Default true. */
  wordnet?: boolean | WordNetOptions;
  /** A user synonym file merged into the mined table (format above). */
  synonymsFile?: string;
  /** A user brand file added to the mined brands (format above). */
  brandsFile?: string;
  /** Mine domain synonyms (default true); false keeps only the user file. */
  mineSynonyms?: boolean;
  /** Correct the typo profile once so the *measured* added misspellings match the real ones (default true; see calibrateTypoProfile). */
  calibrateTypos?: boolean;
}

/**
 * One correction round of the typo profile: augment the training queries with it (fixed seed, 2
 * views), measure the misspellings it adds with the same function as the real ones, and scale the
 * rate by real / added and each kind's share by real share / added share. Needed because not every
 * edit is measured as what it is (an edit can make another vocabulary word, or a word nearer to a
 * more frequent one), so drawing the raw real shares under-produces some measured kinds.
 */
export function calibrateTypoProfile(queries: readonly string[], vocabulary: ReadonlyMap<string, number>, brands: BrandList, profile: TypoProfile, real: MisspellingReport): TypoProfile {
  const views = 2;
  const ctx: TextContext = { brands, typos: profile };
  const config = typo.config.parse({});
  const out: string[] = [];
  const base = new Rng(0x7970);
  queries.forEach((q, i) => {
    for (let v = 0; v < views; v++) {
      const r = base.split(i).split(v);
      out.push(typo.apply(q, typo.sample(q, config, ctx, r), ctx));
    }
  });
  const aug = measureMisspellings(out, vocabulary);
  const added = aug.misspelled / views - real.misspelled;
  if (!(added > 0)) return profile;
  const kinds = {} as Record<TypoKind, number>;
  let total = 0;
  for (const k of TYPO_KINDS) {
    const addedK = Math.max(aug.kinds[k] / views - real.kinds[k], 0.5);
    const realShare = real.kinds[k] / real.misspelled;
    kinds[k] = realShare > 0 ? profile.kinds[k] * (realShare / (addedK / added)) : 0;
    total += kinds[k];
  }
  for (const k of TYPO_KINDS) kinds[k] = total > 0 ? kinds[k] / total : profile.kinds[k];
  return { rate: Math.min(1, (profile.rate * real.misspelled) / added), kinds };
}

/** What fitTextResources fitted, with counts for reports. */
export interface TextResources extends TextContext {
  readonly domainSynonyms: SynonymTable;
  readonly typos: TypoProfile;
  readonly misspellings: MisspellingReport;
  readonly stats: { readonly trainQueries: number; readonly trainProducts: number; readonly brands: number; readonly synonymWords: number; readonly minLabel: number };
}

/** Products judged by the training groups (the only titles fitting may read). */
export function trainingProducts(trainGroups: readonly QueryGroup[], products: ReadonlyMap<string, Product>): Product[] {
  const seen = new Set<string>();
  const out: Product[] = [];
  for (const g of trainGroups)
    for (const id of g.productIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const p = products.get(id);
      if (p) out.push(p);
    }
  return out;
}

/** Fits the brand list, domain synonyms and typo profile on the training groups, and loads WordNet. */
export function fitTextResources(trainGroups: readonly QueryGroup[], products: ReadonlyMap<string, Product>, opts: FitTextResourcesOptions = {}): TextResources {
  const titles = trainingProducts(trainGroups, products);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const g of trainGroups) for (const l of g.labels) (lo = Math.min(lo, l)), (hi = Math.max(hi, l));
  const minLabel = opts.minLabel ?? (Number.isFinite(lo) ? lo + 0.75 * (hi - lo) : 0);
  const mined = mineBrands(titles, { minTitles: opts.brandMinTitles ?? 3 });
  const brands = brandList([...mined, ...(opts.brandsFile !== undefined ? readBrandFile(opts.brandsFile) : [])]);
  const table = new Map<string, Set<string>>();
  if (opts.mineSynonyms ?? true)
    for (const [a, bs] of mineSynonyms(trainGroups, products, { minLabel, minSupport: opts.minSupport ?? 3, maxSynonyms: opts.maxSynonyms ?? 3, brands })) for (const b of bs) addPair(table, a, b);
  if (opts.synonymsFile !== undefined) for (const [a, bs] of readSynonymFile(opts.synonymsFile)) for (const b of bs) addPair(table, a, b);
  const domainSynonyms = freezeTable(table);
  const queries = trainGroups.map((g) => g.query);
  const vocabulary = wordCounts(titles.map((p) => p.title));
  const misspellings = measureMisspellings(queries, vocabulary);
  // The operator edits only free words (not brands, stopwords, codes): spread the real number of
  // misspellings over the words it can edit, so augmented queries get as many as real ones.
  let editable = 0;
  for (const g of trainGroups) for (const u of tokenize(g.query, brands).units) if (isEditableWord(u) && u.text.length >= 3 && /^[a-z]+$/i.test(u.text)) editable++;
  const profile = typoProfileFrom(misspellings);
  let typos: TypoProfile = { ...profile, rate: editable ? Math.min(1, misspellings.misspelled / editable) : profile.rate };
  if ((opts.calibrateTypos ?? true) && misspellings.misspelled > 0) typos = calibrateTypoProfile(queries, vocabulary, brands, typos, misspellings);
  const wn = opts.wordnet ?? true;
  return {
    brands,
    domainSynonyms,
    ...(wn ? { wordnet: loadWordNet(wn === true ? {} : wn) } : {}),
    typos,
    misspellings,
    stats: { trainQueries: trainGroups.length, trainProducts: titles.length, brands: brands.phrases.size, synonymWords: domainSynonyms.size, minLabel },
  };
}

function addPair(table: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  (table.get(a) ?? table.set(a, new Set()).get(a)!).add(b);
  (table.get(b) ?? table.set(b, new Set()).get(b)!).add(a);
}

function freezeTable(table: Map<string, Set<string>>): SynonymTable {
  const keys = [...table.keys()].sort();
  return new Map(keys.map((k) => [k, [...table.get(k)!].sort()]));
}

// ------------------------------------------------------------------ brands

/**
 * Brands from titles: a title prefix of 1–3 tokens (letters, no digits) is a brand when it starts
 * at least `minTitles` distinct titles and its first word mostly appears at the start of titles
 * (≥ half of its occurrences), which keeps generic words ("Replacement", "Outdoor") out.
 */
export function mineBrands(titles: readonly Product[], o: { minTitles: number }): string[] {
  const prefixCount = new Map<string, number>();
  const firstAtStart = new Map<string, number>();
  const anywhere = new Map<string, number>();
  for (const p of titles) {
    const toks = splitRaw(p.title);
    const lower = toks.map((t) => t.toLowerCase());
    for (const w of new Set(lower)) anywhere.set(w, (anywhere.get(w) ?? 0) + 1);
    if (lower.length === 0) continue;
    firstAtStart.set(lower[0]!, (firstAtStart.get(lower[0]!) ?? 0) + 1);
    let key = '';
    for (let k = 0; k < 3 && k < toks.length; k++) {
      const t = toks[k]!;
      if (/\d/.test(t) || !/\p{L}/u.test(t) || STOPWORDS.has(lower[k]!)) break;
      // English brands are capitalised in titles; CJK tokens have no case.
      if (!hasCjk(t) && !/^\p{Lu}/u.test(t)) break;
      key += (k ? ' ' : '') + lower[k];
      prefixCount.set(key, (prefixCount.get(key) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  for (const [key, n] of prefixCount) {
    const first = key.split(' ')[0]!;
    if (n >= o.minTitles && firstAtStart.get(first)! * 2 >= anywhere.get(first)!) out.push(key);
  }
  return out.sort();
}

// ------------------------------------------------------------------ domain synonyms

function wordsOf(text: string, brands: BrandList): string[] {
  return tokenize(text, brands)
    .units.filter(isEditableWord)
    .map((u) => u.text.toLowerCase())
    .filter((w) => w.length > 1 && /^\p{L}[\p{L}'-]*$/u.test(w));
}

/** True when a and b are spelling variants (one edit apart, not a plural): those are typos, not synonyms. */
function spellingVariants(a: string, b: string): boolean {
  // One character makes a different Chinese word (电饭煲 / 电饭锅): only latin words have typos here.
  if (hasCjk(a) || hasCjk(b)) return false;
  return classifyEdit(a, b) !== undefined && !(a === `${b}s` || b === `${a}s`);
}

/**
 * Domain synonyms from training data:
 *  1. queries that lead to the same relevant product and differ in exactly one word
 *     ("l bracket" / "angle bracket") — each differing pair counts one per product;
 *  2. query words missing from a relevant product's title, aligned with the title words missing
 *     from the query: a pair (q, t) is kept when the query word is in ≥ minSupport training
 *     queries, the pair recurs over ≥ 2·minSupport relevant pairs, t is in at least half of the
 *     titles where q is missing, and t is ≥ 20× more frequent there than in training titles
 *     overall (lift) — generic title words ("white", "steel") fail the lift.
 * Spelling variants one edit apart are left to the typo operators.
 */
export function mineSynonyms(trainGroups: readonly QueryGroup[], products: ReadonlyMap<string, Product>, o: { minLabel: number; minSupport: number; maxSynonyms: number; brands: BrandList }): Map<string, string[]> {
  const score = new Map<string, Map<string, number>>();
  const bump = (a: string, b: string, by: number) => {
    if (a === b || spellingVariants(a, b)) return;
    const m = score.get(a) ?? score.set(a, new Map()).get(a)!;
    m.set(b, (m.get(b) ?? 0) + by);
  };
  // 1. queries sharing a relevant product.
  const byProduct = new Map<string, string[][]>();
  for (const g of trainGroups) {
    const words = wordsOf(g.query, o.brands);
    g.productIds.forEach((id, k) => {
      if (g.labels[k]! >= o.minLabel) (byProduct.get(id) ?? byProduct.set(id, []).get(id)!).push(words);
    });
  }
  const pairSupport = new Map<string, number>();
  for (const qs of byProduct.values()) {
    const seen = new Set<string>();
    for (let i = 0; i < qs.length; i++)
      for (let j = i + 1; j < qs.length; j++) {
        const a = qs[i]!;
        const b = qs[j]!;
        if (a.length !== b.length) continue;
        let diff = -1;
        let n = 0;
        for (let k = 0; k < a.length && n < 2; k++) if (a[k] !== b[k]) (diff = k), n++;
        if (n !== 1) continue;
        const key = [a[diff]!, b[diff]!].sort().join('\t');
        if (!seen.has(key)) seen.add(key), pairSupport.set(key, (pairSupport.get(key) ?? 0) + 1);
      }
  }
  for (const [key, n] of pairSupport) {
    if (n < o.minSupport) continue;
    const [a, b] = key.split('\t') as [string, string];
    bump(a, b, n), bump(b, a, n);
  }
  // 2. query words aligned with title words.
  const titleWords = new Map<string, Set<string>>();
  const titleFreq = new Map<string, number>();
  for (const p of trainingProducts(trainGroups, products)) {
    const ws = new Set(wordsOf(p.title, o.brands));
    titleWords.set(p.id, ws);
    for (const w of ws) titleFreq.set(w, (titleFreq.get(w) ?? 0) + 1);
  }
  const nTitles = Math.max(1, titleWords.size);
  const co = new Map<string, Map<string, number>>();
  const missing = new Map<string, number>();
  const queryFreq = new Map<string, number>();
  const queryWords = trainGroups.map((g) => new Set(wordsOf(g.query, o.brands)));
  for (const q of queryWords) for (const w of q) queryFreq.set(w, (queryFreq.get(w) ?? 0) + 1);
  trainGroups.forEach((g, gi) => {
    const q = queryWords[gi]!;
    g.productIds.forEach((id, k) => {
      if (g.labels[k]! < o.minLabel) return;
      const t = titleWords.get(id);
      if (!t) return;
      for (const w of q) {
        // Rare query words are mostly misspellings; a word one edit from a title word is a typo of it.
        if (t.has(w) || queryFreq.get(w)! < o.minSupport || [...t].some((tw) => spellingVariants(w, tw))) continue;
        missing.set(w, (missing.get(w) ?? 0) + 1);
        const m = co.get(w) ?? co.set(w, new Map()).get(w)!;
        for (const tw of t) if (!q.has(tw)) m.set(tw, (m.get(tw) ?? 0) + 1);
      }
    });
  });
  for (const [w, m] of co) {
    const nw = missing.get(w)!;
    for (const [tw, c] of m) {
      if (c < 2 * o.minSupport) continue;
      const lift = c / nw / (titleFreq.get(tw)! / nTitles);
      // Most of the pairs where w is missing show tw, and tw is specific to them (not "white", "steel").
      if (c / nw >= 0.5 && lift >= 20) bump(w, tw, c), bump(tw, w, c);
    }
  }
  const out = new Map<string, string[]>();
  for (const w of [...score.keys()].sort()) {
    const best = [...score.get(w)!].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, o.maxSynonyms);
    out.set(w, best.map(([b]) => b));
  }
  return out;
}

// ------------------------------------------------------------------ files

function readLines(file: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf-8');
  } catch (e) {
    throw new ConfigError(`cannot read the ${what} file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/** Parses synonym groups (format in the module comment); a line with one term is a ConfigError naming the line. */
export function parseSynonymText(text: string, file = '<synonyms>'): Map<string, string[]> {
  const table = new Map<string, Set<string>>();
  text.split(/\r?\n/).forEach((line, i) => {
    const body = line.replace(/#.*$/, '').trim();
    if (body === '') return;
    const terms = [...new Set(body.split(',').map((t) => joinTokens(splitRaw(t)).toLowerCase()).filter((t) => t !== ''))];
    if (terms.length < 2) throw new ConfigError(`a synonym group needs at least two comma-separated terms, got ${JSON.stringify(body)}`, { file, line: i + 1 });
    for (const a of terms) for (const b of terms) addPair(table, a, b);
  });
  return new Map([...freezeTable(table)].map(([k, v]) => [k, [...v]]));
}

export function readSynonymFile(file: string): Map<string, string[]> {
  return parseSynonymText(readLines(file, 'synonyms').join('\n'), file);
}

export function readBrandFile(file: string): string[] {
  return readLines(file, 'brands')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** A synonym table in the file format (one group per key: `word, syn1, syn2`), sorted, for saving and review. */
export function formatSynonymTable(table: SynonymTable): string {
  return [...table].map(([k, v]) => [k, ...v].join(', ')).join('\n') + '\n';
}
