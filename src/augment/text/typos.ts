/**
 * Real misspellings, measured, and the edits that imitate them.
 *
 * `measureMisspellings(queries, vocabulary)` looks at every alphabetic query token (≥ minLength
 * letters) that is not in the vocabulary (the title words) but is one edit away from a vocabulary
 * word (Damerau: substitution, adjacent transposition, deletion, insertion) and classifies the
 * edit. Plural variants (word ± s / es) are inflections, not misspellings, and are not counted.
 * Where several vocabulary words are one edit away, the most frequent one is taken as the intended
 * word. The character operators use the same kinds, so real and augmented text can be measured
 * with the same function and compared side by side (bench/text-augment.ts).
 */

export const TYPO_KINDS = ['keyboard-substitution', 'other-substitution', 'transposition', 'deletion', 'doubling', 'insertion'] as const;
export type TypoKind = (typeof TYPO_KINDS)[number];

const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const ROW_OFFSET = [0, 0.25, 0.75];
const KEY_POS = new Map<string, [number, number]>();
ROWS.forEach((row, r) => [...row].forEach((ch, c) => KEY_POS.set(ch, [r, c + ROW_OFFSET[r]!])));
/** QWERTY neighbours of each letter (same row ±1, and the touching keys of the rows above and below). */
export const KEYBOARD_NEIGHBOURS: ReadonlyMap<string, string> = new Map(
  [...KEY_POS].map(([ch, [r, x]]) => [
    ch,
    [...KEY_POS]
      .filter(([o, [r2, x2]]) => o !== ch && ((r2 === r && Math.abs(x2 - x) === 1) || (Math.abs(r2 - r) === 1 && Math.abs(x2 - x) < 1)))
      .map(([o]) => o)
      .join(''),
  ]),
);
export function isKeyboardNeighbour(a: string, b: string): boolean {
  return KEYBOARD_NEIGHBOURS.get(a.toLowerCase())?.includes(b.toLowerCase()) ?? false;
}

/**
 * Classifies the edit that turns `intended` into `typed` when they are exactly one Damerau edit
 * apart; undefined otherwise.
 */
export function classifyEdit(typed: string, intended: string): TypoKind | undefined {
  const a = typed;
  const b = intended;
  if (a === b) return undefined;
  if (a.length === b.length) {
    let i = 0;
    while (a[i] === b[i]) i++;
    if (a.slice(i + 1) === b.slice(i + 1)) return isKeyboardNeighbour(b[i]!, a[i]!) ? 'keyboard-substitution' : 'other-substitution';
    if (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)) return 'transposition';
    return undefined;
  }
  if (a.length === b.length - 1) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return a.slice(i) === b.slice(i + 1) ? 'deletion' : undefined;
  }
  if (a.length === b.length + 1) {
    let i = 0;
    while (i < b.length && a[i] === b[i]) i++;
    if (a.slice(i + 1) !== b.slice(i)) return undefined;
    // The extra letter repeats a neighbour (the first of a run: "hoose" for "hose" inserts at i).
    return a[i] === a[i - 1] || a[i] === a[i + 1] ? 'doubling' : 'insertion';
  }
  return undefined;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Vocabulary words one edit from `w`. */
function oneEditAway(w: string, vocab: ReadonlyMap<string, number>): string[] {
  const out = new Set<string>();
  const n = w.length;
  const check = (c: string) => vocab.has(c) && out.add(c);
  for (let i = 0; i < n; i++) check(w.slice(0, i) + w.slice(i + 1));
  for (let i = 0; i < n - 1; i++) check(w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2));
  for (let i = 0; i < n; i++) for (const ch of LETTERS) if (ch !== w[i]) check(w.slice(0, i) + ch + w.slice(i + 1));
  for (let i = 0; i <= n; i++) for (const ch of LETTERS) check(w.slice(0, i) + ch + w.slice(i));
  return [...out];
}

export interface MisspellingOptions {
  /** Shortest token considered (shorter tokens are too often codes or abbreviations). Default 3. */
  minLength?: number;
  /** Examples kept per kind. Default 5. */
  examples?: number;
}

export interface MisspellingReport {
  /** Alphabetic tokens of ≥ minLength letters (the eligible tokens). */
  readonly tokens: number;
  /** Eligible tokens not in the vocabulary. */
  readonly outOfVocabulary: number;
  /** Out-of-vocabulary tokens that are plural variants of a vocabulary word (not counted as misspellings). */
  readonly inflections: number;
  /** Tokens one edit from a vocabulary word. */
  readonly misspelled: number;
  /** misspelled / tokens. */
  readonly rate: number;
  readonly kinds: Readonly<Record<TypoKind, number>>;
  readonly examples: Readonly<Record<TypoKind, readonly string[]>>;
}

/** Counts words (lowercased) of texts; the vocabulary form `measureMisspellings` takes. */
export function wordCounts(texts: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of texts) for (const w of t.toLowerCase().split(/[^a-z]+/)) if (w !== '') m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Measures and classifies the one-edit misspellings of `queries` against `vocabulary` (word → count). */
export function measureMisspellings(queries: Iterable<string>, vocabulary: ReadonlyMap<string, number>, opts: MisspellingOptions = {}): MisspellingReport {
  const minLength = opts.minLength ?? 3;
  const keep = opts.examples ?? 5;
  const kinds = Object.fromEntries(TYPO_KINDS.map((k) => [k, 0])) as Record<TypoKind, number>;
  const examples = Object.fromEntries(TYPO_KINDS.map((k) => [k, [] as string[]])) as Record<TypoKind, string[]>;
  const memo = new Map<string, TypoKind | 'inflection' | null>();
  let tokens = 0;
  let oov = 0;
  let inflections = 0;
  let misspelled = 0;
  for (const q of queries) {
    for (const w of q.toLowerCase().split(/\s+/)) {
      if (w.length < minLength || !/^[a-z]+$/.test(w)) continue;
      tokens++;
      if (vocabulary.has(w)) continue;
      oov++;
      let kind = memo.get(w);
      if (kind === undefined) {
        if (vocabulary.has(`${w}s`) || vocabulary.has(`${w}es`) || (w.endsWith('s') && vocabulary.has(w.slice(0, -1))) || (w.endsWith('es') && vocabulary.has(w.slice(0, -2)))) kind = 'inflection';
        else {
          const cands = oneEditAway(w, vocabulary);
          // The most frequent vocabulary word is the intended one (ties: alphabetical, for determinism).
          cands.sort((a, b) => vocabulary.get(b)! - vocabulary.get(a)! || (a < b ? -1 : 1));
          kind = cands.length ? (classifyEdit(w, cands[0]!) ?? null) : null;
          if (kind && examples[kind].length < keep) examples[kind].push(`${w}→${cands[0]}`);
        }
        memo.set(w, kind);
      }
      if (kind === 'inflection') inflections++;
      else if (kind) {
        misspelled++;
        kinds[kind]++;
      }
    }
  }
  return { tokens, outOfVocabulary: oov, inflections, misspelled, rate: tokens ? misspelled / tokens : 0, kinds, examples };
}

/** The typo profile the `typo` operator draws from: a per-word rate and the share of each kind. */
export interface TypoProfile {
  readonly rate: number;
  readonly kinds: Readonly<Record<TypoKind, number>>;
}

/** A profile from a measurement (kind shares sum to 1; a measurement with no misspelling gives uniform shares). */
export function typoProfileFrom(report: MisspellingReport): TypoProfile {
  const total = report.misspelled;
  return { rate: report.rate, kinds: Object.fromEntries(TYPO_KINDS.map((k) => [k, total ? report.kinds[k] / total : 1 / TYPO_KINDS.length])) as Record<TypoKind, number> };
}
