/**
 * The one tokenizer every search ranker shares (BM25, the learned rankers' features, the word
 * embeddings), so a query and a title are always cut the same way.
 *
 * - NFKC, lower case;
 * - split on anything that is not a letter or a digit, and between letters and digits
 *   ("128GB" → 128 gb, "12-Gauge" → 12 gauge), so a unit written together or apart matches;
 *   a decimal point between digits is kept ("2.5 in." → 2.5 in);
 * - numbers are kept as tokens (sizes and model numbers matter in shop queries);
 * - light stemming (optional, on by default for matching): an English plural ending is removed —
 *   "ies" → "y", "es" after s/x/z/ch/sh → "", a final "s" (not "ss", "us", "is") → "". Nothing more:
 *   a stronger stemmer merges brands and model words that should stay apart.
 */

const TOKEN = /\d+(?:\.\d+)?|\p{L}+|\p{N}+/gu;

/** Tokens of `text` (no stemming). */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

/** Removes one English plural ending; tokens of ≤ 3 characters and numbers are kept as they are. */
export function stem(token: string): string {
  const n = token.length;
  if (n <= 3 || !/\p{L}$/u.test(token)) return token;
  if (token.endsWith('ies') && n > 4) return `${token.slice(0, -3)}y`;
  if (token.endsWith('es') && /(?:s|x|z|ch|sh)es$/.test(token)) return token.slice(0, -2);
  if (token.endsWith('s') && !/(?:ss|us|is)$/.test(token)) return token.slice(0, -1);
  return token;
}

/** Stemmed tokens of `text`. */
export function stemmedTokens(text: string): string[] {
  return tokenize(text).map(stem);
}

/** Whether a token is a number (sizes, counts, model numbers). */
export const isNumberToken = (t: string): boolean => /^\d/.test(t);

/** Units that follow numbers in product titles, by canonical form (abbreviations map here). */
const UNIT_FORMS: Readonly<Record<string, string>> = {
  in: 'in', inch: 'in', inche: 'in', ft: 'ft', foot: 'ft', feet: 'ft', gal: 'gal', gallon: 'gal', lb: 'lb', pound: 'lb',
  oz: 'oz', ounce: 'oz', qt: 'qt', quart: 'qt', volt: 'v', v: 'v', watt: 'w', w: 'w', amp: 'a', a: 'a', mm: 'mm', cm: 'cm',
  m: 'm', yd: 'yd', yard: 'yd', sq: 'sq', cu: 'cu', btu: 'btu', gauge: 'gauge', ga: 'gauge', pk: 'pack', pack: 'pack',
  gb: 'gb', tb: 'tb', piece: 'piece', pc: 'piece', lumen: 'lumen', gpm: 'gpm', psi: 'psi', hp: 'hp', ton: 'ton', mil: 'mil', awg: 'gauge',
};

/** The canonical unit of a (stemmed) token, or undefined when it is not a unit word. */
export const unitOf = (token: string): string | undefined => UNIT_FORMS[token];

/** "number unit" pairs of a stemmed token list (e.g. ["12 gauge", "1 gal"]). */
export function numberUnits(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const u = isNumberToken(tokens[i]!) ? unitOf(tokens[i + 1]!) : undefined;
    if (u !== undefined) out.push(`${Number(tokens[i])} ${u}`);
  }
  return out;
}

/** Character n-grams of the text's tokens joined by one space, with a space at each end. */
export function charNgrams(tokens: readonly string[], n = 3): Map<string, number> {
  const s = ` ${tokens.join(' ')} `;
  const out = new Map<string, number>();
  for (let i = 0; i + n <= s.length; i++) {
    const g = s.slice(i, i + n);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
export function editDistanceWithin(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
