/**
 * Tokenisation of queries and titles with protected spans.
 *
 * A text becomes a list of units: free words, which operators may change, and protected spans —
 * brands, model numbers, sizes, units and quantities — which no operator changes unless it targets
 * them on purpose (unit variation, abbreviation of unit words). Adjacent protected tokens form one
 * span ("iPhone 13 128GB", "2x4 8 ft."), so an operator that moves units moves the whole span and
 * the span's text survives verbatim. Spans are detected once per text, by patterns plus a brand
 * list (mined from titles, see resources.ts, or supplied).
 *
 * English splits on whitespace; Chinese (any CJK text) is segmented with jieba first. Joining puts
 * one space between tokens except next to a CJK character, so English whitespace runs collapse to
 * one space and Chinese words join without spaces.
 */
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';

/** What a protected part is; `quantity` holds a number with its unit(s) or a dimension (2x4, 36 x 24 in.). */
export type PartKind = 'brand' | 'name' | 'model' | 'number' | 'quantity';
export interface ProtectedPart {
  readonly kind: PartKind;
  readonly tokens: readonly string[];
}
export type TextUnit = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'protected'; readonly parts: readonly ProtectedPart[] };

/** A tokenised text: units in order, and the index of the head term (-1 when there is none). */
export interface TokenizedText {
  readonly units: readonly TextUnit[];
  readonly head: number;
}

/** Brand phrases, stored as their lowercased tokens joined by one space; matched greedily, longest first. */
export interface BrandList {
  readonly phrases: ReadonlySet<string>;
  /** First words of the phrases (a token that is none of them starts no brand: the common case, checked first). */
  readonly firstWords: ReadonlySet<string>;
  /** Longest phrase in tokens. */
  readonly maxTokens: number;
}

export const EMPTY_BRANDS: BrandList = { phrases: new Set(), firstWords: new Set(), maxTokens: 0 };

export function brandList(phrases: Iterable<string>): BrandList {
  const set = new Set<string>();
  const firstWords = new Set<string>();
  let maxTokens = 0;
  for (const p of phrases) {
    const toks = splitRaw(p).map((t) => t.toLowerCase());
    if (toks.length === 0) continue;
    set.add(toks.join(' '));
    firstWords.add(toks[0]!);
    maxTokens = Math.max(maxTokens, toks.length);
  }
  return { phrases: set, firstWords, maxTokens };
}

// ------------------------------------------------------------------ character classes

const CJK = /[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/;
const HAS_CJK = CJK;
export function hasCjk(text: string): boolean {
  return HAS_CJK.test(text);
}

let jieba: Jieba | undefined;
/**
 * The jieba segmenter with its default dictionary, loaded on first use. Loading the native module
 * and its 5 MB dictionary costs ~0.8 s, so it is required lazily (createRequire: tokenisation is
 * synchronous, and English-only runs never pay for it) instead of by a static import.
 */
export function segmenter(): Jieba {
  if (!jieba) {
    const require = createRequire(import.meta.url);
    const { Jieba: JiebaClass } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict.js') as typeof import('@node-rs/jieba/dict.js');
    jieba = JiebaClass.withDict(dict);
  }
  return jieba;
}

/** Whitespace split; CJK chunks are segmented with jieba (whitespace tokens dropped). */
export function splitRaw(text: string): string[] {
  const ascii = splitAscii(text);
  if (ascii) return ascii;
  const chunks = text.split(/\s+/).filter((c) => c !== '');
  if (!HAS_CJK.test(text)) return chunks;
  const out: string[] = [];
  for (const c of chunks) {
    if (!HAS_CJK.test(c)) out.push(c);
    else for (const t of segmenter().cut(c, false)) if (t.trim() !== '') out.push(t);
  }
  return out;
}

/**
 * The whitespace split of an all-ASCII text in one scan (ASCII whitespace is what `\s` matches
 * below 128: tab, LF, VT, FF, CR, space), or undefined when the text has a non-ASCII character
 * (then `\s` means more, and CJK may need jieba: splitRaw's general path).
 */
function splitAscii(text: string): string[] | undefined {
  const out: string[] = [];
  const n = text.length;
  let start = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return undefined;
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (start >= 0) out.push(text.slice(start, i)), (start = -1);
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}

/** True for the UTF-16 code units the CJK class matches (the same ranges, as numbers). */
export function isCjkCode(c: number): boolean {
  return (
    (c >= 0x3000 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef)
  );
}

/** Joins tokens: one space between two tokens, none where either side is a CJK character. */
export function joinTokens(tokens: readonly string[]): string {
  let s = '';
  for (let i = 0; i < tokens.length; i++) s = appendToken(s, i > 0, tokens[i]!);
  return s;
}

/** `s` + `t`, with one space between them when `sep` and neither side is a CJK character. */
function appendToken(s: string, sep: boolean, t: string): string {
  // charCodeAt of an empty side is NaN: no CJK, as the regex said of `undefined`.
  return sep && !(isCjkCode(s.charCodeAt(s.length - 1)) || isCjkCode(t.charCodeAt(0))) ? `${s} ${t}` : s + t;
}

// ------------------------------------------------------------------ patterns

const NUM = String.raw`(?:\d+(?:-\d+)?\/\d+|\d+(?:[.,]\d+)?)`;
const NUMBER = new RegExp(`^#?${NUM}$`);
/** Unit words (lowercase, without a trailing dot). Only a unit right after a number joins a quantity. */
export const UNIT_WORDS = new Set(
  (
    'in inch inches ft feet foot yd yard yards mm cm m km mil gauge ga gb tb mb kb ghz mhz hz lb lbs pound pounds oz ounce ounces gal gallon gallons qt quart quarts pt pint ' +
    'ml l liter liters litre kg g v volt volts w watt watts kw amp amps a mah btu cu sq cubic square pk pack pc pcs piece pieces count ct sheets grit cfm psi rpm gpm gpf lumens k " \' ' +
    '克 千克 公斤 斤 毫升 升 米 厘米 毫米 寸 英寸 个 件 只 片 瓶 包 袋 箱 支 盒 块 套 条 双 张 瓦 伏 码 号'
  ).split(' '),
);
const UNIT_ALT = [...UNIT_WORDS].filter((u) => /^[a-z]+$/.test(u)).sort((a, b) => b.length - a.length).join('|');
/** A number with its unit glued on: 128GB, 8ft., 1/2in., 1/2", 8', 500ml. */
const GLUED = new RegExp(`^(${NUM})(${UNIT_ALT}|"|'|毫升|公斤|千克|克|升|米|厘米|毫米|英寸|寸)\\.?$`, 'i');
/** A dimension: 2x4, 2x4x8, 1/2x3. */
const DIMENSION = new RegExp(`^${NUM}(?:x${NUM})+(?:"|'|in\\.?|ft\\.?|mm|cm)?$`, 'i');
const HAS_LETTER = /\p{L}/u;
const HAS_DIGIT = /\d/;
/** A name written with an inner capital (iPhone, DeckOver): a product or brand name. */
const INNER_CAPITAL = /\p{Ll}\p{Lu}/u;

export function unitKey(tok: string): string {
  return tok.toLowerCase().replace(/\.$/, '');
}
export function isUnitWord(tok: string): boolean {
  return UNIT_WORDS.has(unitKey(tok));
}
export function isNumberToken(tok: string): boolean {
  return NUMBER.test(tok);
}

/** Classifies one token on its own: a protected kind, or undefined for a free word. */
function tokenKind(tok: string): PartKind | undefined {
  // Fast path for plain words (most tokens): no digit, no '#', no capital after the first letter.
  let plain = true;
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 35 || c > 127 || (i > 0 && c >= 65 && c <= 90)) {
      plain = false;
      break;
    }
  }
  if (plain) return undefined;
  if (NUMBER.test(tok)) return 'number';
  if (GLUED.test(tok) || DIMENSION.test(tok)) return 'quantity';
  if (HAS_DIGIT.test(tok)) return HAS_LETTER.test(tok) || tok.startsWith('#') ? 'model' : 'number';
  if (INNER_CAPITAL.test(tok)) return 'name';
  return undefined;
}

// ------------------------------------------------------------------ tokenise

// Tokenisations by text, per brand list. Queries and titles repeat heavily (a query is augmented
// once per view and per run, an operator tokenises the same text in sample and in apply), so a text
// seen before costs one Map lookup instead of a scan. Two generations bound the memory: new entries
// and hits go to `young`; when young holds TEXT_CACHE_CHARS characters of text or
// TEXT_CACHE_ENTRIES texts, it becomes `old` and the previous old is dropped, so texts that keep
// coming back stay and one-off texts (a pipeline step's output) fall out after two generations.
// Tokenisation is a pure function of (text, brands): a hit or a miss never changes a result.
const TEXT_CACHE_ENTRIES = 1 << 15;
const TEXT_CACHE_CHARS = 1 << 21;
/** Texts longer than this are tokenised every time (a 10 kB title is rare and would crowd the cache). */
const TEXT_CACHE_MAX_LENGTH = 4096;
interface TextCache {
  young: Map<string, TextRecord>;
  old: Map<string, TextRecord>;
  youngChars: number;
}
const textCaches = new WeakMap<BrandList, TextCache>();
let lastBrands: BrandList | undefined;
let lastCache: TextCache | undefined;
// The last result: an operator tokenises the same text in sample and in apply.
let lastText: string | undefined;
let lastRecord: TextRecord | undefined;

/**
 * A tokenised text with what the operators derive from it (operators.ts). The cache keeps one
 * record per distinct text, so the derived data is computed once per text and found with the
 * tokenisation, instead of in a WeakMap per call. Each slot is a pure function of the text, the
 * brand list and — for the operators' slots — the keys stored with it (context and source,
 * minLength, direction), so a cached record never changes a result. Internal: the public API is `tokenize`.
 */
export interface TextRecord {
  readonly text: string;
  readonly tokens: TokenizedText;
  /** Where each unit starts in the text (textLayout): undefined until asked, null when the text is not single-space laid out. */
  starts: Int32Array | null | undefined;
  /** Slots of the operators (operators.ts owns their contents): synonym pools, typo targets, quantity variants, abbreviation candidates. */
  synonymPools: unknown;
  typoTargets: unknown;
  quantities: unknown;
  abbreviations: unknown;
}

function newRecord(text: string, tokens: TokenizedText): TextRecord {
  return { text, tokens, starts: undefined, synonymPools: undefined, typoTargets: undefined, quantities: undefined, abbreviations: undefined };
}

/** Tokenises `text` and detects its protected spans and head term. Pure (results are cached per text; see above). */
export function tokenize(text: string, brands: BrandList = EMPTY_BRANDS): TokenizedText {
  return textRecord(text, brands).tokens;
}

/** The cached record of `text` (tokenize's cache; a text over TEXT_CACHE_MAX_LENGTH gets a new one each time). */
export function textRecord(text: string, brands: BrandList = EMPTY_BRANDS): TextRecord {
  if (text === lastText && brands === lastBrands) return lastRecord!;
  let cache = lastCache;
  if (lastBrands !== brands || cache === undefined) {
    cache = textCaches.get(brands);
    if (cache === undefined) textCaches.set(brands, (cache = { young: new Map(), old: new Map(), youngChars: 0 }));
    lastBrands = brands;
    lastCache = cache;
    lastText = undefined;
  }
  let t = cache.young.get(text);
  if (t === undefined) {
    if (text.length > TEXT_CACHE_MAX_LENGTH) t = newRecord(text, tokenizeUncached(text, brands));
    else {
      t = cache.old.get(text) ?? newRecord(text, tokenizeUncached(text, brands));
      if (cache.young.size >= TEXT_CACHE_ENTRIES || cache.youngChars >= TEXT_CACHE_CHARS) {
        cache.old = cache.young;
        cache.young = new Map();
        cache.youngChars = 0;
      }
      cache.young.set(text, t);
      cache.youngChars += text.length;
    }
  }
  lastText = text;
  lastRecord = t;
  return t;
}

/**
 * tokenize without the per-text cache: the same result, always computed (what a text never seen
 * before costs; the benchmark's cold row and the cache's property test use it).
 */
export function tokenizeUncached(text: string, brands: BrandList = EMPTY_BRANDS): TokenizedText {
  const infos = scanAscii(text) ?? splitRaw(text).map(tokenInfo);
  const n = infos.length;
  // The tokens, as the cache's strings (equal to the text's: same bytes out, no slicing per token).
  const raw: string[] = [];
  for (let k = 0; k < n; k++) raw.push(infos[k]!.text);
  const units: TextUnit[] = [];
  /** The info of each unit that is a word (undefined for protected spans), for the head term. */
  const unitInfos: (TokenInfo | undefined)[] = [];
  // Protected parts of the span being built; adjacent protected parts form one span. (No closure
  // for "add a part": tsx wraps every closure it creates in a naming call, which costs more than the span.)
  let span: ProtectedPart[] | undefined;
  let part: ProtectedPart | undefined;
  let i = 0;
  while (i < n) {
    const info = infos[i]!;
    // Brands: the longest phrase of the list starting here.
    let matched = 0;
    if (brands.maxTokens > 0 && brands.firstWords.has(info.lower)) {
      let key = '';
      for (let k = 0; k < brands.maxTokens && i + k < n; k++) {
        key += (k ? ' ' : '') + infos[i + k]!.lower;
        if (brands.phrases.has(key)) matched = k + 1;
      }
    }
    const kind = info.kind;
    if (matched > 0) {
      part = { kind: 'brand', tokens: raw.slice(i, i + matched) };
      i += matched;
    } else if (kind === 'number' || kind === 'quantity') {
      // A quantity: number [unit [unit]] (x number [unit [unit]])* — "1.9 cu. ft.", "36 x 34 x 24 in.", "2x4 8 ft." stays two quantities.
      let j = i + 1;
      let q = kind === 'quantity' || (j < n && infos[j]!.unit);
      for (let u = 0; u < 2 && j < n && infos[j]!.unit && kind === 'number'; u++) j++;
      while (j + 1 < n && infos[j]!.lower === 'x' && (infos[j + 1]!.number || infos[j + 1]!.glued)) {
        j += 2;
        q = true;
        for (let u = 0; u < 2 && j < n && infos[j]!.unit && infos[j - 1]!.number; u++) j++;
      }
      part = { kind: q ? 'quantity' : 'number', tokens: raw.slice(i, j) };
      i = j;
    } else if (kind) {
      part = { kind, tokens: [raw[i]!] };
      i++;
    } else {
      units.push(info.unit0);
      unitInfos.push(info);
      span = undefined;
      i++;
      continue;
    }
    if (span) span.push(part);
    else {
      span = [part];
      units.push({ kind: 'protected', parts: span });
      unitInfos.push(undefined);
    }
  }
  return { units, head: headOf(unitInfos) };
}

// ------------------------------------------------------------------ token classification cache

/** Everything tokenisation, the head term and the operators ask of one token, computed once per distinct token. */
interface TokenInfo {
  /** The token. */
  readonly text: string;
  readonly lower: string;
  /** tokenKind: the protected kind of the token on its own, undefined for a free word. */
  readonly kind: PartKind | undefined;
  /** isUnitWord. */
  readonly unit: boolean;
  /** NUMBER matches. */
  readonly number: boolean;
  /** GLUED matches. */
  readonly glued: boolean;
  /** The token as a free-word unit (shared: units are read-only). */
  readonly unit0: TextUnit;
  /** isEditableWord of its word unit. */
  readonly editable: boolean;
  /** contentWord of its word unit. */
  readonly content: boolean;
  /** A qualifier word (QUALIFIERS). */
  readonly qualifier: boolean;
}

/**
 * Token → classification, bounded: queries and titles repeat their words heavily, so most tokens
 * are classified once instead of by a chain of regexes each time. An open-addressing table keyed
 * by a hash computed while scanning the text: a token already seen is found without slicing it out
 * of the text or hashing a new string. The classification is a pure function of the token, so the
 * cache never changes a result; when it holds MAX_CACHED_TOKENS tokens it is emptied and refills
 * (memory stays bounded: 2^15 slots, at most 2^14 tokens with their classification).
 */
const TABLE_SIZE = 1 << 15;
const TABLE_MASK = TABLE_SIZE - 1;
const MAX_CACHED_TOKENS = TABLE_SIZE >> 1;
const slotHash = new Int32Array(TABLE_SIZE);
const slotInfo: (TokenInfo | undefined)[] = new Array<TokenInfo | undefined>(TABLE_SIZE).fill(undefined);
let cachedTokens = 0;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** The info of text[start, end), whose FNV-1a hash over UTF-16 code units is `h`. */
function lookup(text: string, start: number, end: number, h: number): TokenInfo {
  const len = end - start;
  let i = h & TABLE_MASK;
  for (let info = slotInfo[i]; info !== undefined; info = slotInfo[i]) {
    if (slotHash[i] === h && info.text.length === len && text.startsWith(info.text, start)) return info;
    i = (i + 1) & TABLE_MASK;
  }
  if (cachedTokens >= MAX_CACHED_TOKENS) {
    slotInfo.fill(undefined);
    cachedTokens = 0;
    i = h & TABLE_MASK;
  }
  const info = classify(start === 0 && end === text.length ? text : text.slice(start, end));
  slotHash[i] = h;
  slotInfo[i] = info;
  cachedTokens++;
  return info;
}

function tokenInfo(tok: string): TokenInfo {
  let h = FNV_OFFSET;
  for (let k = 0; k < tok.length; k++) h = Math.imul(h ^ tok.charCodeAt(k), FNV_PRIME);
  return lookup(tok, 0, tok.length, h);
}

/**
 * The infos of the whitespace tokens of an all-ASCII text, in one scan (ASCII whitespace is what
 * `\s` matches below 128), or undefined when the text has a non-ASCII character (splitRaw's
 * general path: `\s` means more, and CJK needs jieba).
 */
function scanAscii(text: string): TokenInfo[] | undefined {
  const out: TokenInfo[] = [];
  const n = text.length;
  let start = -1;
  let h = FNV_OFFSET;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return undefined;
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (start >= 0) out.push(lookup(text, start, i, h)), (start = -1);
    } else {
      if (start < 0) (start = i), (h = FNV_OFFSET);
      h = Math.imul(h ^ c, FNV_PRIME);
    }
  }
  if (start >= 0) out.push(lookup(text, start, n, h));
  return out;
}

function classify(tok: string): TokenInfo {
  const lower = tok.toLowerCase();
  const hasLetter = HAS_LETTER.test(tok);
  const stop = STOPWORDS.has(lower);
  return {
    text: tok,
    lower,
    kind: tokenKind(tok),
    unit: isUnitWord(tok),
    number: NUMBER.test(tok),
    glued: GLUED.test(tok),
    unit0: { kind: 'word', text: tok },
    editable: hasLetter && !stop,
    content: HAS_LETTER.test(lower) && !stop && !MODIFIERS.has(lower) && !/色$/.test(lower),
    qualifier: QUALIFIERS.has(lower),
  };
}

/** headIndex over the infos of word units (undefined for protected spans). */
function headOf(infos: readonly (TokenInfo | undefined)[]): number {
  let end = infos.length;
  for (let i = 1; i < infos.length; i++) {
    if (infos[i]?.qualifier) {
      end = i;
      break;
    }
  }
  for (let i = end - 1; i >= 0; i--) if (infos[i]?.content) return i;
  for (let i = infos.length - 1; i >= 0; i--) if (infos[i]?.editable) return i;
  return -1;
}

/** The text of a unit (its tokens joined). */
export function unitTokens(u: TextUnit): string[] {
  return u.kind === 'word' ? [u.text] : u.parts.flatMap((p) => p.tokens);
}
export function unitText(u: TextUnit): string {
  return joinTokens(unitTokens(u));
}
/** The text of units, joined (see joinTokens). */
export function joinUnits(units: readonly TextUnit[]): string {
  let s = '';
  let first = true;
  for (const u of units) {
    if (u.kind === 'word') (s = appendToken(s, !first, u.text)), (first = false);
    else for (const p of u.parts) for (const t of p.tokens) (s = appendToken(s, !first, t)), (first = false);
  }
  return s;
}
/**
 * `s` followed by the tokens of `u`, as joinUnits joins them; `first` says that `s` has no token yet.
 * For callers that join units with some of them swapped for words on the fly (no copied unit array).
 */
export function appendUnit(s: string, first: boolean, u: TextUnit): string {
  if (u.kind === 'word') return appendToken(s, !first, u.text);
  for (const p of u.parts) for (const t of p.tokens) (s = appendToken(s, !first, t)), (first = false);
  return s;
}
/** `s` followed by the word `w`, as joinUnits joins a word unit; `first` says that `s` has no token yet. */
export function appendWord(s: string, first: boolean, w: string): string {
  return appendToken(s, !first, w);
}
/**
 * Where each unit of the record's text starts in it, when the text is exactly its units joined with
 * one space each (no CJK, single spaces, no leading or trailing whitespace: most queries) — then an
 * operator that swaps or inserts words can cut and splice the text instead of joining every token
 * again; undefined otherwise. Computed once per record.
 */
export function textLayout(rec: TextRecord): Int32Array | undefined {
  let layout = rec.starts;
  if (layout === undefined) {
    const text = rec.text;
    const t = rec.tokens;
    layout = null;
    if (!HAS_CJK.test(text) && joinUnits(t.units) === text) {
      const starts = new Int32Array(t.units.length);
      let pos = 0;
      for (let i = 0; i < t.units.length; i++) {
        starts[i] = pos;
        const u = t.units[i]!;
        if (u.kind === 'word') pos += u.text.length + 1;
        else for (const p of u.parts) for (const tok of p.tokens) pos += tok.length + 1;
      }
      layout = starts;
    }
    rec.starts = layout;
  }
  return layout ?? undefined;
}

/** The protected spans of a text, as text (what every operator must keep verbatim). */
export function protectedSpans(text: string, brands: BrandList = EMPTY_BRANDS): string[] {
  return tokenize(text, brands)
    .units.filter((u) => u.kind === 'protected')
    .map(unitText);
}

// ------------------------------------------------------------------ head term

/** Function words: never a head, never a synonym target. */
export const STOPWORDS = new Set(
  (
    'a an the and or of for with w/ without in on at to from by into onto over under up down out off as is are be it its this that these those my your our their ' +
    'not no non all any each per vs & + - / , . ( ) 的 和 与 及 或 用 带 款 新款 适用 专用'
  ).split(' '),
);
/** Words after which the rest of a query qualifies the head ("drill for wood", "vanity with top"). */
const QUALIFIERS = new Set('for with w/ without in on at to from by under 带 适用 用于'.split(' '));
/** Colour / finish words that trail a head without being one ("faucet chrome", "手机 黑色"). */
const MODIFIERS = new Set(
  'white black chrome brown gray grey red blue green silver gold bronze nickel brass copper beige ivory almond tan oak cherry walnut espresso satin brushed polished matte oil-rubbed stainless clear natural'.split(' '),
);


/**
 * The head term, heuristically: the last content word before the first qualifier that follows
 * something ("cordless drill for wood" → drill), skipping colour/finish words; when there is none,
 * the last word that is not a stopword; -1 when there is no free word at all.
 */
export function headIndex(units: readonly TextUnit[]): number {
  return headOf(units.map((u) => (u.kind === 'word' ? tokenInfo(u.text) : undefined)));
}

/** A free word an operator may edit: a word unit with a letter, not a stopword. */
export function isEditableWord(u: TextUnit): u is { kind: 'word'; text: string } {
  return u.kind === 'word' && tokenInfo(u.text).editable;
}
