/**
 * The fast paths of the text augmenters (docs/decisions/text-augment-speed.md) against the slow
 * paths they replace, on random inputs: the per-text tokenisation cache against the uncached
 * tokeniser (texts repeated, brand lists alternated), synonym replacement's and insertion's apply
 * (joined on the fly) against the copy-the-units-then-join code they replaced, the ASCII case
 * matching against the case-mapping one, the output check's shortcut against the two trims, the
 * typo operators' apply (spliced into the text) against copy-the-units-then-join, and unit_variant's
 * and abbreviate's sample (candidates kept per text) against the per-call code they replaced.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../../src/core/index.ts';
import { abbreviate, applyTypo, brandList, doubleChar, dropChar, joinUnits, keyboardTypo, quantityVariants, randomInsert, UNIT_ABBREVIATIONS, WORD_ABBREVIATIONS, synonymReplace, textFamily, tokenize, transposeChars, typo, unitVariant, type AbbrevParams, type QuantityParams, type TextContext, type TextUnit, type TypoEdit } from '../../../src/augment/index.ts';
import { tokenizeUncached } from '../../../src/augment/text/tokens.ts';

const BRANDS = brandList(['Hampton Bay', 'Delta', 'Simpson Strong-Tie', '美的']);
const OTHER_BRANDS = brandList(['Bay', 'Drill Master']);
/** Tokens that exercise every rule: brands, numbers, glued and spaced quantities, dimensions, names, stopwords, CJK, odd case. */
const TOKENS = ['hampton', 'Bay', 'delta', 'Simpson', 'strong-tie', 'drill', 'Drill', 'DRILL', 'master', 'for', 'with', 'w/', 'white', 'ss', 'x', 'X', '2x4', '8', 'ft.', '1/2', 'in.', '128GB', 'gb', 'iPhone', '13', '#SC-141', '1-1/2"', '36', 'cu.', 'École', 'ÉCOLE', 'é', '美的', '电饭煲', '500毫升', 'a', 'the', '-', 'stainless', 'Steel', 'feet', 'gal.', 'gallon', 'heavy', 'duty', 'HD'];
const SPACES = [' ', '  ', '\t', ' \n', '\u00a0', '\u3000'];
const anyText = fc.array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...SPACES)), { maxLength: 9 }).map((ts) => ts.map(([t, s]) => t + s).join('').trimEnd());
/** Tokens joined by single spaces (most queries: the operators' cut-and-splice path), sometimes with CJK. */
const joinedText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 9 }).map((ts) => ts.join(' '));
const text = fc.oneof(anyText, joinedText);

const ctx: TextContext = {
  brands: BRANDS,
  typos: { rate: 0.5, kinds: { 'keyboard-substitution': 1, 'other-substitution': 1, transposition: 1, deletion: 1, doubling: 1, insertion: 1 } },
  domainSynonyms: new Map([
    ['drill', ['driver', 'Power Drill']],
    ['white', ['ivory']],
    ['école', ['schule']],
    ['master', ['专家', 'expert']],
  ]),
};

/** synonym_replace's apply as first written: copy the units, set the words, join. */
function matchCaseSlow(word: string, like: string): string {
  if (like.length > 1 && like === like.toUpperCase() && like !== like.toLowerCase()) return word.toUpperCase();
  if (like[0] !== like[0]!.toLowerCase()) return word[0]!.toUpperCase() + word.slice(1);
  return word;
}
function replaceSlow(x: string, replace: { at: number; word: string }[]): string {
  if (replace.length === 0) return x;
  const units = tokenizeUncached(x, ctx.brands).units.slice();
  for (const r of replace) units[r.at] = { kind: 'word', text: matchCaseSlow(r.word, (units[r.at] as { text: string }).text) };
  return joinUnits(units);
}
/** random_insert's apply as first written: one array of words per gap. */
function insertSlow(x: string, insert: { gap: number; word: string }[]): string {
  if (insert.length === 0) return x;
  const units = tokenizeUncached(x, ctx.brands).units;
  const before: string[][] = Array.from({ length: units.length + 1 }, () => []);
  for (const ins of insert) before[ins.gap]!.push(ins.word);
  const out: TextUnit[] = [];
  for (let g = 0; g <= units.length; g++) {
    for (const w of before[g]!) out.push({ kind: 'word', text: w });
    if (g < units.length) out.push(units[g]!);
  }
  return joinUnits(out);
}

/** The typo operators' apply as first written: copy the units, edit the words, join. */
function typosSlow(x: string, edits: readonly TypoEdit[]): string {
  if (edits.length === 0) return x;
  const units = tokenizeUncached(x, ctx.brands).units.slice();
  for (const e of edits) units[e.at] = { kind: 'word', text: applyTypo((units[e.at] as { text: string }).text, e) };
  return joinUnits(units);
}
/** unit_variant's sample as first written: the variants of every quantity part computed per call. */
function unitVariantSlow(x: string, ratio: number, rng: Rng): QuantityParams {
  const changes: QuantityParams['changes'] = [];
  const units = tokenizeUncached(x, ctx.brands).units;
  for (let at = 0; at < units.length; at++) {
    const u = units[at]!;
    if (u.kind !== 'protected') continue;
    for (let part = 0; part < u.parts.length; part++) {
      const p = u.parts[part]!;
      if (p.kind !== 'quantity') continue;
      const vs = quantityVariants(p.tokens);
      if (vs.length && rng.next() < ratio) changes.push({ at, part, tokens: vs[rng.int(vs.length)]! });
    }
  }
  return { changes };
}
/** abbreviate's sample as first written: the candidates found and drawn for in one walk per call. */
const SHORT_TO_LONG = new Map(WORD_ABBREVIATIONS.map(([s, l]) => [s, l.split(' ')]));
const LONG_TO_SHORT = WORD_ABBREVIATIONS.map(([s, l]) => [l.split(' '), s] as const);
const UNIT_SHORT = new Map(UNIT_ABBREVIATIONS.flatMap(([s, l]) => [[s, l] as const, [s.replace(/\.$/, ''), l] as const]));
const UNIT_LONG = new Map(UNIT_ABBREVIATIONS.flatMap(([s, l]) => [[l, s] as const, [`${l}s`, s] as const, ...(l === 'feet' ? [['foot', s] as const] : [])]));
function abbreviateSlow(x: string, direction: string, ratio: number, rng: Rng): AbbrevParams {
  const units = tokenizeUncached(x, ctx.brands).units;
  const expand = direction !== 'contract';
  const contract = direction !== 'expand';
  const words: AbbrevParams['words'] = [];
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.kind !== 'word') continue;
    const lower = u.text.toLowerCase();
    if (expand && SHORT_TO_LONG.has(lower)) {
      if (rng.next() < ratio) words.push({ at: i, len: 1, words: SHORT_TO_LONG.get(lower)! });
      continue;
    }
    if (!contract) continue;
    const m = LONG_TO_SHORT.find(([long]) => long.every((w, k) => units[i + k]?.kind === 'word' && (units[i + k] as { text: string }).text.toLowerCase() === w));
    if (m) {
      if (rng.next() < ratio) words.push({ at: i, len: m[0].length, words: [m[1]] });
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
      if (toks.some((t, k) => t !== p.tokens[k]) && rng.next() < ratio) changes.push({ at, part, tokens: toks });
    });
  });
  return { words, changes };
}
const TYPO_OPERATORS = [keyboardTypo, transposeChars, dropChar, doubleChar, typo];

describe('text augmentation fast paths ≡ slow paths', () => {
  it('the cached tokeniser gives what the uncached one does, for repeated texts and alternating brand lists', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, fc.boolean()), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 24 }), (texts, order) => {
        // Each text once, then again in a random order (hits), each with one of two brand lists.
        for (const k of [...texts.keys(), ...order.map((o) => o % texts.length)]) {
          const [t, other] = texts[k]!;
          const brands = other ? OTHER_BRANDS : BRANDS;
          assert.deepEqual(tokenize(t, brands), tokenizeUncached(t, brands));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('synonym_replace applies sampled and arbitrary valid replacements as the copy-and-join code did', () => {
    const cfg = synonymReplace.config.parse({ ratio: 0.5 });
    fc.assert(
      fc.property(text, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.constantFrom('driver', 'Power Drill', 'ivory', 'ÉCOLE', 'x', 'é', '美的', '电 x', 'a 美')), { maxLength: 4 }), (x, seed, extra) => {
        const sampled = synonymReplace.sample(x, cfg, ctx, new Rng(seed));
        assert.equal(synonymReplace.apply(x, sampled, ctx), replaceSlow(x, sampled.replace));
        // Any ascending set of word units with any words (what a recorded chain may hold).
        const units = tokenizeUncached(x, ctx.brands).units;
        const words = [...units.keys()].filter((i) => units[i]!.kind === 'word');
        if (words.length === 0) return;
        const at = [...new Set(extra.map(([i]) => words[i % words.length]!))].sort((a, b) => a - b);
        const replace = at.map((i, k) => ({ at: i, word: extra[k]![1] }));
        assert.equal(synonymReplace.apply(x, { replace }, ctx), replaceSlow(x, replace));
      }),
      { numRuns: 400 },
    );
  });

  it('random_insert applies sampled and arbitrary in-range insertions as the per-gap code did', () => {
    const cfg = randomInsert.config.parse({ ratio: 0.5 });
    fc.assert(
      fc.property(text, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.constantFrom('driver', 'ivory', '美的', 'x', '', 'a 美', '美 a', 'two words')), { maxLength: 5 }), (x, seed, extra) => {
        const sampled = randomInsert.sample(x, cfg, ctx, new Rng(seed));
        assert.equal(randomInsert.apply(x, sampled, ctx), insertSlow(x, sampled.insert));
        const n = tokenizeUncached(x, ctx.brands).units.length;
        const insert = extra.map(([g, word]) => ({ gap: g % (n + 1), word }));
        assert.equal(randomInsert.apply(x, { insert }, ctx), insertSlow(x, insert));
      }),
      { numRuns: 400 },
    );
  });

  it('the typo operators apply sampled and arbitrary edits as the copy-and-join code did', () => {
    const kinds = ['keyboard-substitution', 'other-substitution', 'transposition', 'deletion', 'doubling', 'insertion'] as const;
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom(...kinds), pos: fc.nat({ max: 12 }), char: fc.constantFrom('q', 'Z', '', '美', ' ', 'é') });
    fc.assert(
      fc.property(text, fc.nat(), fc.nat({ max: TYPO_OPERATORS.length - 1 }), fc.array(edit, { maxLength: 4 }), (x, seed, which, extra) => {
        const op = TYPO_OPERATORS[which]!;
        const cfg = op.config.parse(op === typo ? { minLength: 2 } : { rate: 0.5, minLength: 1, keepFirst: false });
        const sampled = op.sample(x, cfg, ctx, new Rng(seed));
        assert.equal(op.apply(x, sampled, ctx), typosSlow(x, sampled.edits));
        // Edits of word units in any order, repeated units included (what a recorded chain may hold).
        const units = tokenizeUncached(x, ctx.brands).units;
        const words = [...units.keys()].filter((i) => units[i]!.kind === 'word');
        if (words.length === 0) return;
        const edits = extra.map((e) => ({ ...e, at: words[e.at % words.length]! }));
        assert.equal(op.apply(x, { edits }, ctx), typosSlow(x, edits));
      }),
      { numRuns: 400 },
    );
  });

  it('unit_variant samples what the per-call code did, the first time a text is seen and again', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.constantFrom(0.3, 1), (x, seed, ratio) => {
        const cfg = unitVariant.config.parse({ ratio });
        for (let k = 0; k < 2; k++) assert.deepEqual(unitVariant.sample(x, cfg, ctx, new Rng(seed)), unitVariantSlow(x, ratio, new Rng(seed)));
      }),
      { numRuns: 300 },
    );
  });

  it('abbreviate samples what the per-call code did, for every direction, the first time a text is seen and again', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.constantFrom('both', 'expand', 'contract'), fc.constantFrom(0.5, 1), (x, seed, direction, ratio) => {
        const cfg = abbreviate.config.parse({ direction, ratio });
        for (let k = 0; k < 2; k++) assert.deepEqual(abbreviate.sample(x, cfg, ctx, new Rng(seed)), abbreviateSlow(x, direction, ratio, new Rng(seed)));
      }),
      { numRuns: 400 },
    );
  });

  it('the output check rejects exactly what the two trims did', () => {
    const check = (input: string, out: string): boolean => {
      try {
        textFamily.spec.checkOutput!('step', input, out);
        return true;
      } catch {
        return false;
      }
    };
    const s = fc.array(fc.constantFrom('a', 'Z', '!', '~', ' ', '\t', '\u00a0', '\u3000', '\ufeff', '美', 'é', ''), { maxLength: 4 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(s, s, (input, out) => {
        assert.equal(check(input, out), !(out.trim() === '' && input.trim() !== ''));
      }),
      { numRuns: 500 },
    );
  });
});
