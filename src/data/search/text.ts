/**
 * Text rules of the search family: how a field read from a file is cleaned, how long it may be,
 * how a query becomes its grouping key, and how text is cut into tokens for the statistics.
 */

/** Longest query or title kept (in characters, i.e. Unicode code points); longer is a 'text-too-long' rejection. */
export const DEFAULT_MAX_TEXT_LENGTH = 4096;
/** Longest description kept (code points): descriptions are long by nature (CrowdFlower's longest is 19,436). */
export const DEFAULT_MAX_DESCRIPTION_LENGTH = 65_536;

/** A field as kept: NFC-normalised, surrounding whitespace removed; inner text (emoji, RTL, mixed scripts, spacing) unchanged. */
export function cleanText(s: string): string {
  return s.normalize('NFC').trim();
}

/** Length in code points, counted only when the UTF-16 length could exceed `limit` (code points ≤ code units). */
export function exceedsLength(s: string, limit: number): number | undefined {
  if (s.length <= limit) return undefined;
  let n = 0;
  for (const _ of s) n++;
  return n > limit ? n : undefined;
}

const EDGE_PUNCTUATION = /^[\s\p{P}]+|[\s\p{P}]+$/gu;
const WHITESPACE_RUN = /\s+/gu;

/**
 * The grouping key of a query, exactly:
 * 1. Unicode NFKC (full-width letters and digits, ligatures, non-breaking spaces become their plain forms);
 * 2. lower case (`toLowerCase`, locale-independent), then NFKC again so the result is stable;
 * 3. every run of whitespace becomes one space;
 * 4. punctuation (Unicode category P: `. , ; : ! ? " ' ( ) [ ] - # % & * / @ …`) and spaces are
 *    removed at both ends; inside the query they stay (`1/2 in.` → `1/2 in`). Symbols (`+ $ ° ×`) stay.
 * Idempotent: normalizeQuery(normalizeQuery(q)) === normalizeQuery(q). A query whose key is empty
 * (only spaces and punctuation) is rejected by the readers as 'empty-query'.
 */
export function normalizeQuery(q: string): string {
  let s = q.normalize('NFKC').toLowerCase().normalize('NFKC');
  s = s.replace(WHITESPACE_RUN, ' ');
  // Removing edge punctuation can expose whitespace and vice versa; the class covers both, so one pass suffices.
  return s.replace(EDGE_PUNCTUATION, '');
}

const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * Tokens for statistics and vocabularies: the maximal runs of letters, marks and digits of the
 * normalised text (`2x4` is one token, `1/2` is two, a run of Chinese characters is one — word
 * segmentation is the text augmenters' business).
 */
export function tokenize(text: string): string[] {
  return normalizeQuery(text).match(TOKEN) ?? [];
}
