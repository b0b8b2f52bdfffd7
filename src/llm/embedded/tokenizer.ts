/**
 * A byte-level BPE tokenizer learned from training text (Sennrich et al. 2016; byte-level as in
 * GPT-2): every text is NFC-normalised and lowercased, split into words at whitespace, and each word
 * — with one leading space byte, so decoding restores the spaces — is a sequence of UTF-8 bytes. The
 * 256 bytes are the base vocabulary, so any text (emoji, CJK, right-to-left scripts) encodes without
 * an unknown token and decodes back to its normalised form. Merges are learned greedily by pair
 * frequency over the word-frequency table, ties broken by the pair's bytes, so the same corpus gives
 * the same tokenizer.
 */
import { ModelStateError } from '../../core/index.ts';

export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<sep>', '<eos>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Ids 0..3 are the special tokens, 4..259 the bytes, then one id per merge in learned order. */
const BYTE_BASE = SPECIAL_TOKENS.length;

export interface TokenizerState {
  readonly format: 'samplify-bpe-1';
  /** Merges in order: [left id, right id]; merge k produces id BYTE_BASE + 256 + k. */
  readonly merges: readonly (readonly [number, number])[];
}

export function normalizeText(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function wordBytes(word: string): number[] {
  return Array.from(encoder.encode(` ${word}`), (b) => BYTE_BASE + b);
}

export class BpeTokenizer {
  private readonly rank = new Map<string, number>();
  /** Bytes of every id (specials decode to nothing). */
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  private constructor(readonly merges: readonly (readonly [number, number])[]) {
    for (let i = 0; i < BYTE_BASE; i++) this.bytes.push(new Uint8Array(0));
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach(([a, b], k) => {
      if (!(a < this.bytes.length && b < this.bytes.length)) throw new ModelStateError(`tokenizer: merge ${k} refers to an id not defined before it`);
      this.rank.set(`${a},${b}`, k);
      const left = this.bytes[a]!;
      const right = this.bytes[b]!;
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      this.bytes.push(joined);
    });
  }

  get vocabSize(): number {
    return this.bytes.length;
  }

  id(token: SpecialToken): number {
    return SPECIAL_TOKENS.indexOf(token);
  }

  /**
   * Learns up to `vocabSize − 260` merges from `texts` (seeded by nothing: the result is a function
   * of the corpus only). Words seen fewer than `minCount` times do not vote for merges.
   */
  static train(texts: Iterable<string>, vocabSize: number, minCount = 2): BpeTokenizer {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of normalizeText(t).split(' ')) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words: { ids: number[]; n: number }[] = [];
    for (const [w, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (n >= minCount) words.push({ ids: wordBytes(w), n });
    const merges: [number, number][] = [];
    let next = BYTE_BASE + 256;
    while (next < vocabSize) {
      const pairs = new Map<number, number>();
      let bestKey = -1;
      let bestCount = 0;
      for (const { ids, n } of words)
        for (let i = 0; i + 1 < ids.length; i++) {
          // Ids stay below 2^16 for any vocabulary we train, so a pair packs into one number.
          const key = ids[i]! * 65536 + ids[i + 1]!;
          const c = (pairs.get(key) ?? 0) + n;
          pairs.set(key, c);
          if (c > bestCount || (c === bestCount && key < bestKey)) {
            bestCount = c;
            bestKey = key;
          }
        }
      if (bestCount < 2) break;
      const a = Math.floor(bestKey / 65536);
      const b = bestKey % 65536;
      merges.push([a, b]);
      for (const w of words) {
        const ids = w.ids;
        let j = 0;
        for (let i = 0; i < ids.length; i++) {
          if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
            ids[j++] = next;
            i++;
          } else ids[j++] = ids[i]!;
        }
        ids.length = j;
      }
      next++;
    }
    return new BpeTokenizer(merges);
  }

  static fromState(state: TokenizerState): BpeTokenizer {
    if (state?.format !== 'samplify-bpe-1' || !Array.isArray(state.merges)) throw new ModelStateError('tokenizer: not a samplify-bpe-1 state');
    return new BpeTokenizer(state.merges.map((m) => [m[0], m[1]] as const));
  }

  toState(): TokenizerState {
    return { format: 'samplify-bpe-1', merges: this.merges.map(([a, b]) => [a, b] as const) };
  }

  /** Token ids of a text (no special tokens). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of normalizeText(text).split(' ')) if (w) out.push(...this.encodeWord(w));
    return out;
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = wordBytes(word);
    // Apply the lowest-ranked merge present until none applies (the order training learned them in).
    for (;;) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(`${ids[i]},${ids[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      ids.splice(best, 2, BYTE_BASE + 256 + bestRank);
    }
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }

  /** A token's bytes as a string of char codes 0–255 (specials: ''), for byte-level matching. */
  piece(id: number): string {
    return String.fromCharCode(...(this.bytes[id] ?? []));
  }

  /** The words of a text as the byte strings `piece` spells them (each with its leading space). */
  wordPieces(text: string): string[] {
    return normalizeText(text)
      .split(' ')
      .filter(Boolean)
      .map((w) => String.fromCharCode(...encoder.encode(` ${w}`)));
  }

  private pieceIds?: Map<string, number>;
  /** The token whose bytes are exactly `piece`, if the vocabulary has one. */
  idOfPiece(piece: string): number | undefined {
    if (!this.pieceIds) {
      this.pieceIds = new Map();
      for (let id = BYTE_BASE; id < this.bytes.length; id++) this.pieceIds.set(this.piece(id), id);
    }
    return this.pieceIds.get(piece);
  }

  /** The text of token ids (special tokens are skipped; invalid UTF-8 from a cut sequence becomes U+FFFD). */
  decode(ids: readonly number[]): string {
    const parts = ids.filter((i) => i >= BYTE_BASE && i < this.bytes.length).map((i) => this.bytes[i]!);
    const total = parts.reduce((s, p) => s + p.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    return decoder.decode(buf).trim();
  }
}
