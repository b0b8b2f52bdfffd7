/**
 * Text operators (family `text`): the sample is one string (a query or a title). Each operator
 * tokenises with protected spans (tokens.ts), draws its choices in `sample` (indices into the
 * tokenised text, chosen words, edits: plain JSON) and re-applies them in `apply`, so a recorded
 * chain replays exactly. Free words are the only thing the token and character operators touch;
 * protected spans move as a whole or stay; unit_variant and abbreviate target quantities on
 * purpose and keep their value.
 *
 * Every operator declares `labelPreserving(config)`: whether its output keeps the meaning of the
 * input (so a judged query keeps its products and labels). Those that may drop the head term
 * (random_delete with keepHead: false, reformulate with dropHead: true) say false, and record in
 * their params whether they actually did (`changedMeaning(params)`).
 */
import { z } from 'zod';
import type { Rng } from '../../core/rng.ts';
import type { OperatorDef } from '../types.ts';
import { bool, natInt, ratioOpen } from '../params.ts';
import type { TextContext } from './resources.ts';
import { appendUnit, appendWord, hasCjk, isCjkCode, isEditableWord, joinUnits, textLayout, textRecord, type TextRecord, type TextUnit, type TokenizedText } from './tokens.ts';
import { KEYBOARD_NEIGHBOURS, TYPO_KINDS, type TypoKind, type TypoProfile } from './typos.ts';
import { quantityVariants, UNIT_ABBREVIATIONS, WORD_ABBREVIATIONS } from './quantities.ts';

/** A text operator: the contract plus the label-preserving declaration. */
export interface TextOperatorDef<C, P> extends OperatorDef<string, C, P, TextContext> {
  /** True when every output keeps the input's meaning (its judged products and labels). */
  labelPreserving(config: C): boolean;
  /** For operators that may change meaning: whether these params did (e.g. dropped the head term). */
  changedMeaning?(params: P): boolean;
  /** True for operators that rewrite protected quantities on purpose (keeping their value). */
  readonly targetsQuantities?: boolean;
}

function parsed(x: string, ctx: TextContext): TokenizedText {
  return textRecord(x, ctx.brands).tokens;
}
/** The tokeniser's record of `x`: its tokenisation plus the slots this file caches per text. */
function record(x: string, ctx: TextContext): TextRecord {
  return textRecord(x, ctx.brands);
}

const ascending = (a: number, b: number): number => a - b;

/** k distinct indices of `pool`, in draw order. */
function pick(pool: readonly number[], k: number, rng: Rng): number[] {
  // One draw (the common case: short queries): the same rng.int as the shuffle's first step, no copy.
  if (k === 1 && pool.length > 0) return [pool[rng.int(pool.length)]!];
  const a = pool.slice();
  const out: number[] = [];
  for (let i = 0; i < k && i < a.length; i++) {
    const j = i + rng.int(a.length - i);
    const chosen = a[j]!;
    a[j] = a[i]!;
    a[i] = chosen;
    out.push(chosen);
  }
  return out;
}

export function editableIndices(units: readonly TextUnit[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < units.length; i++) if (isEditableWord(units[i]!)) out.push(i);
  return out;
}

/** How many of n candidates an operator with ratio α touches: max(1, round(α·n)) (EDA), 0 when none. */
function countFor(ratio: number, n: number): number {
  return n === 0 ? 0 : Math.max(1, Math.round(ratio * n));
}

/** Keeps the case pattern of `like` (Title, UPPER) on `word`. */
function matchCase(word: string, like: string): string {
  // All-ASCII `like` (the common case), without the two case-mapped copies: UPPER is "longer than
  // one character, no a-z, some A-Z"; Title is "starts with A-Z" — what the general test below says.
  let lower = false;
  let upper = false;
  let ascii = like.length > 0;
  for (let i = 0; i < like.length && ascii; i++) {
    const c = like.charCodeAt(i);
    if (c > 127) ascii = false;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
  }
  if (ascii) {
    if (like.length > 1 && upper && !lower) return word.toUpperCase();
    const c0 = like.charCodeAt(0);
    return c0 >= 65 && c0 <= 90 ? word[0]!.toUpperCase() + word.slice(1) : word;
  }
  return matchCaseGeneral(word, like);
}
function matchCaseGeneral(word: string, like: string): string {
  if (like.length > 1 && like === like.toUpperCase() && like !== like.toLowerCase()) return word.toUpperCase();
  if (like[0] !== like[0]!.toLowerCase()) return word[0]!.toUpperCase() + word.slice(1);
  return word;
}

function word(text: string): TextUnit {
  return { kind: 'word', text };
}

// ------------------------------------------------------------------ synonyms

const SynonymSource = z.enum(['merged', 'domain', 'wordnet'], { error: "must be one of 'merged', 'domain', 'wordnet'" }).default('merged');
type Source = z.infer<typeof SynonymSource>;

// Merged synonym lists per context, source and word (a context's tables do not change once fitted).
// One map per source, keyed by the word itself: the word strings come from the tokeniser's cache,
// so their hashes are already computed (a joined "source + word" key was a new string each time).
const synonymCache = new WeakMap<TextContext, Record<Source, Map<string, readonly string[]>>>();

function synonymsFor(w: string, source: Source, ctx: TextContext): readonly string[] {
  let bySource = synonymCache.get(ctx);
  if (!bySource) synonymCache.set(ctx, (bySource = { merged: new Map(), domain: new Map(), wordnet: new Map() }));
  const cache = bySource[source];
  let hit = cache.get(w);
  if (!hit) cache.set(w, (hit = lookupSynonyms(w, source, ctx)));
  return hit;
}

function lookupSynonyms(w: string, source: Source, ctx: TextContext): readonly string[] {
  const key = w.toLowerCase();
  // One- and two-letter latin words are mostly codes ("l bracket"), whose WordNet senses mislead ("l" → "fifty").
  if (key.length < 3 && !hasCjk(key)) return [];
  const domain = source !== 'wordnet' ? (ctx.domainSynonyms?.get(key) ?? []) : [];
  // WordNet is English: CJK words only use the domain table.
  const wn = source !== 'domain' && ctx.wordnet && !hasCjk(key) ? ctx.wordnet.synonymsOf(key) : [];
  if (wn.length === 0) return domain;
  if (domain.length === 0) return wn;
  return [...new Set([...domain, ...wn])];
}

function synonymRequires(c: { source: Source }): string[] {
  return [c.source === 'domain' ? 'domain-synonyms' : c.source === 'wordnet' ? 'wordnet' : 'synonyms'];
}

/** The editable units that have synonyms: their indices, their synonyms (same order), and how many editable units there are. */
interface SynonymPool {
  readonly pool: readonly number[];
  readonly synonyms: readonly (readonly string[])[];
  readonly editable: number;
}

// Pools per text, in the tokeniser's record of the text (it keeps one per distinct text, so a
// repeated query finds its pool without looking up each word again), per context and source. A
// pool is a pure function of (units, source, context tables), which do not change once fitted.
type PoolEntry = { ctx: TextContext; source: Source; pool: SynonymPool };

function synonymPool(rec: TextRecord, source: Source, ctx: TextContext): SynonymPool {
  let entries = rec.synonymPools as PoolEntry[] | undefined;
  if (entries === undefined) rec.synonymPools = entries = [];
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    if (e.ctx === ctx && e.source === source) return e.pool;
  }
  const units = rec.tokens.units;
  const pool: number[] = [];
  const synonyms: (readonly string[])[] = [];
  let editable = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (!isEditableWord(u)) continue;
    editable++;
    const syns = synonymsFor(u.text, source, ctx);
    if (syns.length > 0) pool.push(i), synonyms.push(syns);
  }
  const made: SynonymPool = { pool, synonyms, editable };
  entries.push({ ctx, source, pool: made });
  return made;
}

const SynonymConfig = z.object({ ratio: ratioOpen(0.1), source: SynonymSource }).strict();
export interface SynonymParams {
  /** Unit index → replacement word. */
  replace: { at: number; word: string }[];
}
/** EDA synonym replacement: max(1, round(ratio·n)) free words that have synonyms get a random one. */
export const synonymReplace: TextOperatorDef<z.infer<typeof SynonymConfig>, SynonymParams> = {
  name: 'synonym_replace',
  family: 'text',
  summary: 'replace max(1, round(ratio·n)) free words by a random synonym (domain table, WordNet or both)',
  config: SynonymConfig,
  requires: synonymRequires,
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    const { pool, synonyms, editable } = synonymPool(record(x, ctx), c.source, ctx);
    const count = countFor(c.ratio, editable);
    if (count === 1 && pool.length > 0) {
      // One word (short queries): pick's single draw, then the synonym's, with no index arrays.
      const k = rng.int(pool.length);
      const syns = synonyms[k]!;
      return { replace: [{ at: pool[k]!, word: syns[rng.int(syns.length)]! }] };
    }
    const at = pick(pool, count, rng).sort(ascending);
    const replace: SynonymParams['replace'] = [];
    // `pool` is in unit order like `at`: one walk finds each chosen unit's synonyms.
    let k = 0;
    for (const i of at) {
      while (pool[k] !== i) k++;
      const syns = synonyms[k]!;
      replace.push({ at: i, word: syns[rng.int(syns.length)]! });
    }
    return { replace };
  },
  apply(x, p, ctx) {
    if (p.replace.length === 0) return x;
    const rec = record(x, ctx);
    const tokenized = rec.tokens.units;
    // What sample draws (ascending distinct word units): join with the words swapped in on the fly.
    let ok = true;
    for (let k = 0, prev = -1; k < p.replace.length && ok; k++) {
      const at = p.replace[k]!.at;
      ok = Number.isInteger(at) && at > prev && at < tokenized.length && tokenized[at]!.kind === 'word';
      prev = at;
    }
    if (ok) {
      // A text that is its tokens joined by single spaces (no CJK): cut and splice, when every new
      // word's ends are not CJK either (then the join would put the same spaces).
      const starts = textLayout(rec);
      if (starts !== undefined) {
        let s = '';
        let prev = 0;
        let spliced = true;
        for (const r of p.replace) {
          const old = (tokenized[r.at] as { text: string }).text;
          const w = matchCase(r.word, old);
          if (isCjkCode(w.charCodeAt(0)) || isCjkCode(w.charCodeAt(w.length - 1))) {
            spliced = false;
            break;
          }
          const start = starts[r.at]!;
          s += x.slice(prev, start) + w;
          prev = start + old.length;
        }
        if (spliced) return s + x.slice(prev);
      }
      let s = '';
      let k = 0;
      for (let i = 0; i < tokenized.length; i++) {
        const u = tokenized[i]!;
        const r = p.replace[k];
        // Units from the tokeniser each have a token, so after the first unit `s` has one.
        if (r !== undefined && r.at === i) (s = appendWord(s, i === 0, matchCase(r.word, (u as { text: string }).text))), k++;
        else s = appendUnit(s, i === 0, u);
      }
      return s;
    }
    const units = tokenized.slice();
    for (const r of p.replace) units[r.at] = word(matchCase(r.word, (units[r.at] as { text: string }).text));
    return joinUnits(units);
  },
};

export interface InsertParams {
  /** Gap index (0 = before the first unit) → inserted word, applied in order. */
  insert: { gap: number; word: string }[];
}
/** EDA random insertion: a synonym of a random free word, inserted at a random gap between units. */
export const randomInsert: TextOperatorDef<z.infer<typeof SynonymConfig>, InsertParams> = {
  name: 'random_insert',
  family: 'text',
  summary: 'insert max(1, round(ratio·n)) synonyms of random free words at random gaps (never inside a protected span)',
  config: SynonymConfig,
  requires: synonymRequires,
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    const rec = record(x, ctx);
    const units = rec.tokens.units;
    const { pool, synonyms, editable } = synonymPool(rec, c.source, ctx);
    const k = pool.length ? countFor(c.ratio, editable) : 0;
    const insert: InsertParams['insert'] = [];
    for (let i = 0; i < k; i++) {
      const syns = synonyms[rng.int(pool.length)]!;
      insert.push({ gap: rng.int(units.length + 1), word: syns[rng.int(syns.length)]! });
    }
    return { insert };
  },
  apply(x, p, ctx) {
    if (p.insert.length === 0) return x;
    const rec = record(x, ctx);
    const units = rec.tokens.units;
    for (const ins of p.insert) if (!(Number.isInteger(ins.gap) && ins.gap >= 0 && ins.gap <= units.length)) return insertGeneral(units, p);
    // The inserted words in gap order, those of one gap in params order (a stable sort of positions).
    const order: number[] = [];
    for (let k = 0; k < p.insert.length; k++) order.push(k);
    if (order.length > 1) order.sort((a, b) => p.insert[a]!.gap - p.insert[b]!.gap || a - b);
    // A text that is its tokens joined by single spaces (no CJK), inserted words with no CJK at
    // their ends: the join puts one space everywhere, so cut runs of units out of the text instead.
    const starts = textLayout(rec);
    let plain = starts !== undefined;
    for (let k = 0; k < p.insert.length && plain; k++) {
      const w = p.insert[k]!.word;
      plain = !(isCjkCode(w.charCodeAt(0)) || isCjkCode(w.charCodeAt(w.length - 1)));
    }
    if (plain) {
      const n = units.length;
      let s = '';
      let has = false;
      let prevGap = 0;
      for (let k = 0; k < order.length; k++) {
        const ins = p.insert[order[k]!]!;
        if (ins.gap > prevGap) (s = has ? `${s} ${unitRun(x, starts!, prevGap, ins.gap)}` : unitRun(x, starts!, prevGap, ins.gap)), (has = true), (prevGap = ins.gap);
        s = has ? `${s} ${ins.word}` : ins.word;
        has = true;
      }
      if (prevGap < n) s = has ? `${s} ${unitRun(x, starts!, prevGap, n)}` : unitRun(x, starts!, prevGap, n);
      return s;
    }
    const out: TextUnit[] = [];
    let k = 0;
    for (let g = 0; g <= units.length; g++) {
      while (k < order.length && p.insert[order[k]!]!.gap === g) out.push(word(p.insert[order[k++]!]!.word));
      if (g < units.length) out.push(units[g]!);
    }
    return joinUnits(out);
  },
};

/** The text of units [a, b) (a < b) of a text laid out as `starts` says (tokens.ts textLayout). */
function unitRun(x: string, starts: Int32Array, a: number, b: number): string {
  return x.slice(starts[a]!, b < starts.length ? starts[b]! - 1 : x.length);
}

/** random_insert's apply as first written (kept for params no sample draws: a gap outside the text throws as before). */
function insertGeneral(units: readonly TextUnit[], p: InsertParams): string {
  const before: string[][] = Array.from({ length: units.length + 1 }, () => []);
  for (const ins of p.insert) before[ins.gap]!.push(ins.word);
  const out: TextUnit[] = [];
  for (let g = 0; g <= units.length; g++) {
    for (const w of before[g]!) out.push(word(w));
    if (g < units.length) out.push(units[g]!);
  }
  return joinUnits(out);
}

// ------------------------------------------------------------------ swap, delete

const SwapConfig = z.object({ ratio: ratioOpen(0.1) }).strict();
export interface SwapParams {
  swaps: [number, number][];
}
/** EDA random swap: max(1, round(ratio·n)) swaps of two units (a protected span moves whole). */
export const randomSwap: TextOperatorDef<z.infer<typeof SwapConfig>, SwapParams> = {
  name: 'random_swap',
  family: 'text',
  summary: 'swap two random units max(1, round(ratio·n)) times (protected spans move as a whole)',
  config: SwapConfig,
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    const n = parsed(x, ctx).units.length;
    if (n < 2) return { swaps: [] };
    const swaps: [number, number][] = [];
    for (let k = countFor(c.ratio, n); k > 0; k--) {
      const i = rng.int(n);
      const j = (i + 1 + rng.int(n - 1)) % n;
      swaps.push([i, j]);
    }
    return { swaps };
  },
  apply(x, p, ctx) {
    if (p.swaps.length === 0) return x;
    const units = parsed(x, ctx).units.slice();
    for (const [i, j] of p.swaps) [units[i], units[j]] = [units[j]!, units[i]!];
    return joinUnits(units);
  },
};

const DeleteConfig = z.object({ ratio: ratioOpen(0.1), keepHead: bool(true) }).strict();
export interface DeleteParams {
  drop: number[];
  /** True when the head term was among the dropped words (the meaning may have changed). */
  headDropped: boolean;
}
/** EDA random deletion: each free word is dropped with probability ratio; protected spans stay; one unit always stays. */
export const randomDelete: TextOperatorDef<z.infer<typeof DeleteConfig>, DeleteParams> = {
  name: 'random_delete',
  family: 'text',
  summary: 'drop each free word with probability ratio (the head term too only with keepHead: false, which may change the meaning)',
  config: DeleteConfig,
  labelPreserving: (c) => c.keepHead,
  changedMeaning: (p) => p.headDropped,
  sample(x, c, ctx, rng) {
    const { units, head } = parsed(x, ctx);
    const drop: number[] = [];
    for (let i = 0; i < units.length; i++) {
      if (units[i]!.kind !== 'word' || (c.keepHead && i === head)) continue;
      if (rng.next() < c.ratio) drop.push(i);
    }
    if (drop.length >= units.length) drop.splice(rng.int(drop.length), 1);
    return { drop, headDropped: drop.includes(head) };
  },
  apply(x, p, ctx) {
    if (p.drop.length === 0) return x;
    const set = new Set(p.drop);
    return joinUnits(parsed(x, ctx).units.filter((_, i) => !set.has(i)));
  },
};

// ------------------------------------------------------------------ character level

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
export interface TypoEdit {
  /** Unit index of the word. */
  at: number;
  kind: TypoKind;
  /** Character position in the word. */
  pos: number;
  /** The new letter (substitutions, insertions); '' otherwise. */
  char: string;
}
export interface TypoParams {
  edits: TypoEdit[];
}

/** Applies one edit to a word (case of the replaced letter kept). */
export function applyTypo(w: string, e: Pick<TypoEdit, 'kind' | 'pos' | 'char'>): string {
  const { pos } = e;
  switch (e.kind) {
    case 'keyboard-substitution':
    case 'other-substitution':
      return w.slice(0, pos) + casedAt(e.char, w, pos) + w.slice(pos + 1);
    case 'transposition':
      return w.slice(0, pos) + w[pos + 1] + w[pos] + w.slice(pos + 2);
    case 'deletion':
      return w.slice(0, pos) + w.slice(pos + 1);
    case 'doubling':
      return w.slice(0, pos + 1) + w.slice(pos);
    case 'insertion':
      return w.slice(0, pos) + e.char + w.slice(pos);
  }
}

/** `ch` upper-cased when the letter of `w` at `pos` is a capital (a function, not a closure per edit: see sampleTypos). */
function casedAt(ch: string, w: string, pos: number): string {
  return w[pos] !== undefined && w[pos] !== w[pos]!.toLowerCase() ? ch.toUpperCase() : ch;
}

/**
 * A uniform choice among the letters a–z other than `x`, `y` and those of `nb`, in alphabet order:
 * the same draw (one rng.int over the same count) as filtering an array of them, without the array.
 */
function letterChoice(x: string | undefined, y: string | undefined, nb: string, rng: Rng): string {
  let count = 0;
  for (let k = 0; k < LETTERS.length; k++) {
    const ch = LETTERS[k]!;
    if (ch !== x && ch !== y && !nb.includes(ch)) count++;
  }
  let left = rng.int(count);
  for (let k = 0; k < LETTERS.length; k++) {
    const ch = LETTERS[k]!;
    if (ch !== x && ch !== y && !nb.includes(ch) && left-- === 0) return ch;
  }
  return '';
}

/** Draws one edit of `kind` on `w`, or undefined when the word allows none (e.g. "aa" has no transposition). */
function drawTypo(w: string, kind: TypoKind, keepFirst: boolean, rng: Rng): Omit<TypoEdit, 'at'> | undefined {
  const lo = keepFirst ? 1 : 0;
  const lower = w.toLowerCase();
  const n = w.length;
  // A one-letter word with its first letter kept has no letter to change (minLength 1): only an
  // insertion after it is possible.
  if (n - lo < 1 && kind !== 'insertion') return undefined;
  switch (kind) {
    case 'keyboard-substitution': {
      const pos = lo + rng.int(n - lo);
      const nb = KEYBOARD_NEIGHBOURS.get(lower[pos]!) ?? '';
      return nb ? { kind, pos, char: nb[rng.int(nb.length)]! } : undefined;
    }
    case 'other-substitution': {
      const pos = lo + rng.int(n - lo);
      const nb = KEYBOARD_NEIGHBOURS.get(lower[pos]!) ?? '';
      return { kind, pos, char: letterChoice(lower[pos], undefined, nb, rng) };
    }
    case 'transposition': {
      const ok: number[] = [];
      for (let i = lo; i < n - 1; i++) if (lower[i] !== lower[i + 1]) ok.push(i);
      return ok.length ? { kind, pos: ok[rng.int(ok.length)]!, char: '' } : undefined;
    }
    case 'deletion':
    case 'doubling':
      return { kind, pos: lo + rng.int(n - lo), char: '' };
    case 'insertion': {
      const pos = lo + rng.int(n + 1 - lo);
      return { kind, pos, char: letterChoice(lower[pos - 1], lower[pos], '', rng) };
    }
  }
}

const ALPHABETIC = /^[a-z]+$/i;
/** Words the character operators may edit: free, alphabetic (a–z), at least minLength letters. */
function typoTargets(units: readonly TextUnit[], minLength: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.kind === 'word' && isEditableWord(u) && u.text.length >= minLength && ALPHABETIC.test(u.text)) out.push(i);
  }
  return out;
}

/** typoTargets of a text, kept in its record per minLength (a pure function of its units and minLength). */
type TargetsEntry = { minLength: number; targets: readonly number[] };
function cachedTypoTargets(rec: TextRecord, minLength: number): readonly number[] {
  let entries = rec.typoTargets as TargetsEntry[] | undefined;
  if (entries === undefined) rec.typoTargets = entries = [];
  for (let k = 0; k < entries.length; k++) if (entries[k]!.minLength === minLength) return entries[k]!.targets;
  const targets = typoTargets(rec.tokens.units, minLength);
  entries.push({ minLength, targets });
  return targets;
}

// Positional arguments, not an options object: one object less per call on the hot path.
function sampleTypos(x: string, ctx: TextContext, rng: Rng, rate: number, atLeastOne: boolean, minLength: number, keepFirst: boolean, kind: (r: Rng) => TypoKind): TypoParams {
  const rec = record(x, ctx);
  const units = rec.tokens.units;
  const targets = cachedTypoTargets(rec, minLength);
  let chosen: number[] = [];
  for (let k = 0; k < targets.length; k++) if (rng.next() < rate) chosen.push(targets[k]!);
  if (chosen.length === 0 && atLeastOne && targets.length) chosen = [targets[rng.int(targets.length)]!];
  const edits: TypoEdit[] = [];
  for (const at of chosen) {
    const e = drawTypo((units[at] as { text: string }).text, kind(rng), keepFirst, rng);
    if (e) edits.push({ at, ...e });
  }
  return { edits };
}

function applyTypos(x: string, p: TypoParams, ctx: TextContext): string {
  if (p.edits.length === 0) return x;
  const rec = record(x, ctx);
  // What sample draws (edits of distinct word units in ascending order) on a text that is its
  // tokens joined by single spaces (no CJK): splice each edited word into the text, when it is not
  // empty and has no CJK character at its ends (then the join would put the same single spaces).
  const starts = textLayout(rec);
  if (starts !== undefined) {
    const spliced = spliceTypos(x, rec.tokens.units, starts, p.edits);
    if (spliced !== undefined) return spliced;
  }
  const units = rec.tokens.units.slice();
  for (const e of p.edits) units[e.at] = word(applyTypo((units[e.at] as { text: string }).text, e));
  return joinUnits(units);
}

/** applyTypos by cutting and splicing `x` (laid out as `starts` says), or undefined when the edits are not what that path covers. */
function spliceTypos(x: string, units: readonly TextUnit[], starts: Int32Array, edits: readonly TypoEdit[]): string | undefined {
  let s = '';
  let prev = 0;
  let last = -1;
  for (let k = 0; k < edits.length; k++) {
    const e = edits[k]!;
    const at = e.at;
    if (!(Number.isInteger(at) && at > last && at < units.length)) return undefined;
    const u = units[at]!;
    if (u.kind !== 'word') return undefined;
    last = at;
    const w = applyTypo(u.text, e);
    if (w === '' || isCjkCode(w.charCodeAt(0)) || isCjkCode(w.charCodeAt(w.length - 1))) return undefined;
    const start = starts[at]!;
    s += x.slice(prev, start) + w;
    prev = start + u.text.length;
  }
  return s + x.slice(prev);
}

const CharConfig = z.object({ rate: ratioOpen(0.2), atLeastOne: bool(true), minLength: natInt(3), keepFirst: bool(true) }).strict();
type CharConfigT = z.infer<typeof CharConfig>;

function charOperator(name: string, kinds: readonly TypoKind[], summary: string): TextOperatorDef<CharConfigT, TypoParams> {
  const kind = (r: Rng): TypoKind => kinds[kinds.length === 1 ? 0 : r.int(kinds.length)]!;
  return {
    name,
    family: 'text',
    summary,
    config: CharConfig,
    labelPreserving: () => true,
    sample: (x, c, ctx, rng) => sampleTypos(x, ctx, rng, c.rate, c.atLeastOne, c.minLength, c.keepFirst, kind),
    apply: applyTypos,
  };
}
export const keyboardTypo = charOperator('keyboard_typo', ['keyboard-substitution'], 'replace a letter by a QWERTY neighbour in each free word with probability rate');
export const transposeChars = charOperator('transpose_chars', ['transposition'], 'swap two adjacent letters in each free word with probability rate');
export const dropChar = charOperator('drop_char', ['deletion'], 'drop a letter in each free word with probability rate');
export const doubleChar = charOperator('double_char', ['doubling'], 'double a letter in each free word with probability rate');

const TypoConfig = z
  .object({
    /** Per-word probability; 'fitted' takes the rate measured on the training queries (ctx.typos). */
    rate: z.union([z.literal('fitted'), z.number().gt(0).lte(1)], { error: "must be 'fitted' or a number in (0, 1]" }).default('fitted'),
    atLeastOne: bool(false),
    minLength: natInt(3),
    keepFirst: bool(true),
  })
  .strict();
// The kind drawer of each typo profile, built once (a profile does not change once fitted).
const kindDrawers = new WeakMap<TypoProfile, (r: Rng) => TypoKind>();
function kindDrawer(prof: TypoProfile): (r: Rng) => TypoKind {
  let draw = kindDrawers.get(prof);
  if (!draw) {
    const cum: number[] = [];
    let s = 0;
    for (const k of TYPO_KINDS) cum.push((s += prof.kinds[k]));
    draw = (r: Rng): TypoKind => {
      const u = r.next() * s;
      let i = 0;
      while (i < cum.length - 1 && u >= cum[i]!) i++;
      return TYPO_KINDS[i]!;
    };
    kindDrawers.set(prof, draw);
  }
  return draw;
}

/**
 * Typos with the rate and mix of kinds of real queries: the kind shares come from ctx.typos
 * (measured on training queries by fitTextResources), as does the rate unless given.
 */
export const typo: TextOperatorDef<z.infer<typeof TypoConfig>, TypoParams> = {
  name: 'typo',
  family: 'text',
  summary: 'misspell free words with the rate and kind mix measured on training queries (keyboard/other substitution, transposition, deletion, doubling, insertion)',
  config: TypoConfig,
  requires: () => ['typos'],
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    const prof = ctx.typos!;
    return sampleTypos(x, ctx, rng, c.rate === 'fitted' ? prof.rate : c.rate, c.atLeastOne, c.minLength, c.keepFirst, kindDrawer(prof));
  },
  apply: applyTypos,
};

// ------------------------------------------------------------------ shop-specific

const UnitConfig = z.object({ ratio: ratioOpen(1) }).strict();
export interface QuantityParams {
  /** Unit index, part index within the protected span → new tokens of that part. */
  changes: { at: number; part: number; tokens: string[] }[];
}

function replaceParts(x: string, changes: QuantityParams['changes'], ctx: TextContext): string {
  if (changes.length === 0) return x;
  const units = parsed(x, ctx).units.slice();
  for (const ch of changes) {
    const u = units[ch.at]!;
    if (u.kind !== 'protected') continue;
    const parts = u.parts.slice();
    parts[ch.part] = { kind: parts[ch.part]!.kind, tokens: ch.tokens };
    units[ch.at] = { kind: 'protected', parts };
  }
  return joinUnits(units);
}

/** A quantity part that has other written forms: where it is (unit, part) and its quantityVariants. */
type QuantitySlot = { at: number; part: number; variants: readonly string[][] };
/** The quantity parts of a text with at least one variant, in text order, kept in its record (a pure function of its units). */
function quantitySlots(rec: TextRecord): readonly QuantitySlot[] {
  let slots = rec.quantities as QuantitySlot[] | undefined;
  if (slots === undefined) {
    slots = [];
    const units = rec.tokens.units;
    for (let at = 0; at < units.length; at++) {
      const u = units[at]!;
      if (u.kind !== 'protected') continue;
      for (let part = 0; part < u.parts.length; part++) {
        const p = u.parts[part]!;
        if (p.kind !== 'quantity') continue;
        const variants = quantityVariants(p.tokens);
        if (variants.length) slots.push({ at, part, variants });
      }
    }
    rec.quantities = slots;
  }
  return slots;
}

/** Rewrites quantities in another written form with the same value: "128 gb" ↔ "128GB", "1/2 in." ↔ "0.5 inch" ↔ `1/2"`, "2x4" ↔ "2 x 4". */
export const unitVariant: TextOperatorDef<z.infer<typeof UnitConfig>, QuantityParams> = {
  name: 'unit_variant',
  family: 'text',
  summary: 'rewrite each quantity with probability ratio in another form of the same value and unit (128 gb ↔ 128GB, 1/2 in. ↔ 0.5 inch ↔ 1/2")',
  config: UnitConfig,
  targetsQuantities: true,
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    const changes: QuantityParams['changes'] = [];
    const slots = quantitySlots(record(x, ctx));
    for (let k = 0; k < slots.length; k++) {
      const { at, part, variants } = slots[k]!;
      // A copy of the cached variant: params are the caller's to keep.
      if (rng.next() < c.ratio) changes.push({ at, part, tokens: variants[rng.int(variants.length)]!.slice() });
    }
    return { changes };
  },
  apply: (x, p, ctx) => replaceParts(x, p.changes, ctx),
};

const AbbrevConfig = z.object({ direction: z.enum(['both', 'expand', 'contract'], { error: "must be one of 'both', 'expand', 'contract'" }).default('both'), ratio: ratioOpen(1) }).strict();
export interface AbbrevParams {
  /** Free-word phrases: `len` word units from `at` become `words`. */
  words: { at: number; len: number; words: string[] }[];
  /** Unit words inside quantities. */
  changes: QuantityParams['changes'];
}
const SHORT_TO_LONG = new Map(WORD_ABBREVIATIONS.map(([s, l]) => [s, l.split(' ')]));
const LONG_TO_SHORT = WORD_ABBREVIATIONS.map(([s, l]) => [l.split(' '), s] as const);
const UNIT_SHORT = new Map(UNIT_ABBREVIATIONS.flatMap(([s, l]) => [[s, l] as const, [s.replace(/\.$/, ''), l] as const]));
const UNIT_LONG = new Map(UNIT_ABBREVIATIONS.flatMap(([s, l]) => [[l, s] as const, [`${l}s`, s] as const, ...(l === 'feet' ? [['foot', s] as const] : [])]));

/** What abbreviate may change in a text, in the order its sample draws for them: word phrases, then quantity parts. */
type AbbrevCandidates = { direction: string; words: AbbrevParams['words']; changes: QuantityParams['changes'] };
/** The candidates of a text for a direction, kept in its record (a pure function of its units and the direction). */
function abbrevCandidates(rec: TextRecord, direction: string): AbbrevCandidates {
  let list = rec.abbreviations as AbbrevCandidates[] | undefined;
  if (list === undefined) rec.abbreviations = list = [];
  for (let k = 0; k < list.length; k++) if (list[k]!.direction === direction) return list[k]!;
  const units = rec.tokens.units;
  const expand = direction !== 'contract';
  const contract = direction !== 'expand';
  const words: AbbrevParams['words'] = [];
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.kind !== 'word') continue;
    const lower = u.text.toLowerCase();
    if (expand && SHORT_TO_LONG.has(lower)) {
      words.push({ at: i, len: 1, words: SHORT_TO_LONG.get(lower)! });
      continue;
    }
    if (!contract) continue;
    const m = LONG_TO_SHORT.find(([long]) => long.every((w, k) => units[i + k]?.kind === 'word' && (units[i + k] as { text: string }).text.toLowerCase() === w));
    if (m) {
      words.push({ at: i, len: m[0].length, words: [m[1]] });
      i += m[0].length - 1;
    }
  }
  const changes: QuantityParams['changes'] = [];
  units.forEach((u, at) => {
    if (u.kind !== 'protected') return;
    u.parts.forEach((p, part) => {
      if (p.kind !== 'quantity') return;
      const toks = p.tokens.map((t) => {
        const l = t.toLowerCase();
        return expand && UNIT_SHORT.has(l) ? UNIT_SHORT.get(l)! : contract && UNIT_LONG.has(l) ? UNIT_LONG.get(l)! : t;
      });
      if (toks.some((t, k) => t !== p.tokens[k])) changes.push({ at, part, tokens: toks });
    });
  });
  const made = { direction, words, changes };
  list.push(made);
  return made;
}

/** Expands or contracts shop abbreviations (table in quantities.ts): "w/" ↔ "with", "ss" ↔ "stainless steel", "8 ft." ↔ "8 feet". */
export const abbreviate: TextOperatorDef<z.infer<typeof AbbrevConfig>, AbbrevParams> = {
  name: 'abbreviate',
  family: 'text',
  summary: 'expand or contract shop abbreviations with probability ratio each (w/ ↔ with, ss ↔ stainless steel, ft. ↔ feet, gal. ↔ gallon, …)',
  config: AbbrevConfig,
  targetsQuantities: true,
  labelPreserving: () => true,
  sample(x, c, ctx, rng) {
    // One draw per candidate, words first, then quantities (copies of the cached candidates: params are the caller's).
    const cand = abbrevCandidates(record(x, ctx), c.direction);
    const words: AbbrevParams['words'] = [];
    for (let k = 0; k < cand.words.length; k++) {
      const w = cand.words[k]!;
      if (rng.next() < c.ratio) words.push({ at: w.at, len: w.len, words: w.words.slice() });
    }
    const changes: QuantityParams['changes'] = [];
    for (let k = 0; k < cand.changes.length; k++) {
      const ch = cand.changes[k]!;
      if (rng.next() < c.ratio) changes.push({ at: ch.at, part: ch.part, tokens: ch.tokens.slice() });
    }
    return { words, changes };
  },
  apply(x, p, ctx) {
    if (p.words.length === 0 && p.changes.length === 0) return x;
    const base = replaceParts(x, p.changes, ctx);
    if (p.words.length === 0) return base;
    // Word changes index the original units; the quantity changes do not move units.
    const units = parsed(base, ctx).units;
    const out: TextUnit[] = [];
    let k = 0;
    for (let i = 0; i < units.length; i++) {
      const w = p.words[k];
      if (w && w.at === i) {
        for (const t of w.words) out.push(word(t));
        i += w.len - 1;
        k++;
      } else out.push(units[i]!);
    }
    return joinUnits(out);
  },
};

const ReformConfig = z.object({ mode: z.enum(['drop', 'reorder', 'both'], { error: "must be one of 'drop', 'reorder', 'both'" }).default('both'), ratio: ratioOpen(0.3), dropHead: bool(false) }).strict();
export interface ReformParams {
  /** Unit indices dropped. */
  drop: number[];
  /** New order of the units before the head (a permutation of 0..head-1), or [] for none. */
  order: number[];
  headDropped: boolean;
}
/**
 * Query reformulation: drop non-head words (max(1, round(ratio·n)) of them) and/or reorder the
 * modifiers before the head term (tokens.ts headIndex). With dropHead: true the head may go too:
 * that may change the meaning.
 */
export const reformulate: TextOperatorDef<z.infer<typeof ReformConfig>, ReformParams> = {
  name: 'reformulate',
  family: 'text',
  summary: 'drop non-head words and/or reorder the modifiers before the head term (dropHead: true may drop the head: meaning-changing)',
  config: ReformConfig,
  labelPreserving: (c) => !c.dropHead,
  changedMeaning: (p) => p.headDropped,
  sample(x, c, ctx, rng) {
    const { units, head } = parsed(x, ctx);
    let drop: number[] = [];
    if (c.mode !== 'reorder') {
      const pool: number[] = [];
      units.forEach((u, i) => u.kind === 'word' && (c.dropHead || i !== head) && pool.push(i));
      const k = Math.min(countFor(c.ratio, pool.length), units.length - 1);
      drop = pick(pool, k, rng).sort(ascending);
    }
    let order: number[] = [];
    if (c.mode !== 'drop' && head > 1) {
      order = Array.from({ length: head }, (_, i) => i);
      rng.shuffle(order);
    }
    return { drop, order, headDropped: drop.includes(head) };
  },
  apply(x, p, ctx) {
    if (p.drop.length === 0 && p.order.length === 0) return x;
    const units = parsed(x, ctx).units;
    const placed = units.map((u, i) => (i < p.order.length ? units[p.order[i]!]! : u));
    const origin = units.map((_, i) => (i < p.order.length ? p.order[i]! : i));
    const dropped = new Set(p.drop);
    return joinUnits(placed.filter((_, i) => !dropped.has(origin[i]!)));
  },
};

/** Every text operator, in registration order. */
export const TEXT_OPERATORS = [synonymReplace, randomInsert, randomSwap, randomDelete, keyboardTypo, transposeChars, dropChar, doubleChar, typo, unitVariant, abbreviate, reformulate] as const;
