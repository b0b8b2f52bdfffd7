/**
 * The embedded text generator: a small causal transformer language model trained here, with no
 * server and no downloaded weights. The network is SASRec's (src/models/sasrec.ts: causal
 * self-attention blocks, full-softmax next-token loss, the one training loop) over the tokens of
 * a byte-level BPE vocabulary instead of item ids:
 *
 *   [bos] title tokens [sep] query tokens [eos]        (doc2query pairs from the training split)
 *   [bos] title tokens [eos]                            (optional: catalogue titles, language-model data)
 *
 * Generation conditions on `[bos] title [sep]` and samples the next token (temperature, top-k,
 * top-p; seeded per request) until `[eos]`, a stop string or maxTokens. Validation perplexity of the
 * query tokens drives early stopping. Same seed and data ⇒ the same saved model, the same queries.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, InterruptedError, ModelStateError, parseWithSchema, Rng, silentProgress, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../../core/index.ts';
import { makeTrainView } from '../../data/index.ts';
import { createRecommender, type ModelSpec, type Recommender } from '../../models/index.ts';
import { DEFAULT_GENERATION_PARAMS, type BatchOptions, type GenerationOutcome, type GenerationParams, type GenerationRequest, type GenerationResult, type TextGenerator } from '../types.ts';
import { BpeTokenizer, normalizeText, type TokenizerState } from './tokenizer.ts';

export const embeddedGeneratorConfigSchema = z
  .object({
    vocabSize: z.number().int().min(300).max(30000).default(2000),
    hidden: z.number().int().min(8).default(64),
    blocks: z.number().int().min(1).default(2),
    heads: z.number().int().min(1).default(2),
    dropout: z.number().min(0).lt(1).default(0.1),
    /** Context length in tokens: title (truncated to fit) + [bos] [sep] + the generated query. */
    maxLen: z.number().int().min(8).max(256).default(40),
    /** Longest query trained on and generated (tokens). */
    maxQueryTokens: z.number().int().min(1).max(64).default(12),
    epochs: z.number().int().min(1).default(6),
    patience: z.number().int().min(1).default(2),
    batchSize: z.number().int().min(1).default(128),
    lr: z.number().positive().default(1e-3),
    /** Train on at most this many (title, query) pairs (a seeded sample). */
    maxPairs: z.number().int().min(1).default(8000),
    /** Catalogue titles added as plain language-model sequences (0 = none). */
    maxTitles: z.number().int().min(0).default(2000),
    /** Validation pairs for perplexity / early stopping (a seeded sample). */
    maxValidPairs: z.number().int().min(1).default(300),
    /**
     * How queries are decoded; not part of the fit (a fitted model is reused when only these change).
     * Real queries mostly reuse the words of their product's title, and a model fitted on a few
     * hundred pairs under-copies them: `copyBias` adds this much to the logit of every token that
     * starts or continues a title word not yet written (copy-aware decoding at the word level, see
     * TitleCopy; 0 = off), and `minQueryTokens` forbids ending the query before that many tokens
     * (an empty query is a wasted request).
     */
    decoding: z
      .object({
        copyBias: z.number().min(0).max(20).default(0),
        minQueryTokens: z.number().int().min(0).max(64).default(0),
      })
      .strict()
      .default({ copyBias: 0, minQueryTokens: 0 }),
  })
  .strict()
  .refine((c) => c.hidden % c.heads === 0, { message: 'hidden must be divisible by heads', path: ['heads'] });
export type EmbeddedGeneratorConfig = z.infer<typeof embeddedGeneratorConfigSchema>;
export type EmbeddedDecoding = EmbeddedGeneratorConfig['decoding'];

/** The part of a generator config, parsed or raw, that decides the fitted model: everything but `decoding`. */
export function fitPartOf<C extends object>(config: C): Omit<C, 'decoding'> {
  const { decoding: _decoding, ...fit } = config as C & { decoding?: unknown };
  return fit;
}

export interface TextPair {
  readonly source: string;
  readonly target: string;
}

export interface FitQueryGeneratorInput {
  /** (title, query) training pairs. */
  readonly pairs: readonly TextPair[];
  /** Held-out pairs: validation perplexity and early stopping only. */
  readonly validPairs: readonly TextPair[];
  /** Catalogue titles (training products) for language-model data. */
  readonly titles?: readonly string[];
  readonly config?: Partial<EmbeddedGeneratorConfig> | Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** Where the model is saved (and its per-epoch checkpoints; a fit that finds a finished model there loads it). */
  readonly outDir: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface QueryGeneratorReport {
  readonly trainPairs: number;
  readonly titleSequences: number;
  readonly vocabSize: number;
  readonly epochs: readonly { readonly epoch: number; readonly loss: number; readonly seconds: number; readonly validPerplexity?: number }[];
  readonly bestEpoch: number;
  readonly validPerplexity: number;
  readonly seconds: number;
  readonly loaded: boolean;
}

const SAVED = 'generator.json';

function sampleIndices(n: number, k: number, rng: Rng): number[] {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(idx);
  return Array.from(idx.subarray(0, Math.min(k, n))).sort((a, b) => a - b);
}

function modelSpec(c: EmbeddedGeneratorConfig): ModelSpec {
  return {
    model: 'sasrec',
    config: { hidden: c.hidden, blocks: c.blocks, heads: c.heads, dropout: c.dropout, attnDropout: c.dropout, maxLen: c.maxLen, loss: 'ce' },
    trainer: { epochs: c.epochs, patience: c.patience, batchSize: c.batchSize, lr: c.lr },
  };
}

/** Content fingerprint of a saved model folder (file names and bytes, sorted). */
function folderFingerprint(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, f);
    try {
      h.update(f).update(readFileSync(p));
    } catch {
      // a folder entry
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Fits (or, when `outDir` holds a finished fit of the same inputs, loads) the doc2query generator. */
export async function fitQueryGenerator(input: FitQueryGeneratorInput): Promise<{ generator: EmbeddedGenerator; report: QueryGeneratorReport }> {
  const config = parseWithSchema(embeddedGeneratorConfigSchema, input.config ?? {}, { prefix: ['generator', 'config'] });
  const progress = input.progress ?? silentProgress;
  const t0 = performance.now();
  if (input.pairs.length === 0) throw new ConfigError('the query generator needs at least one (title, query) training pair', { field: 'generator' });
  const rng = new Rng(input.seed).split('query-generator');
  const pairs = sampleIndices(input.pairs.length, config.maxPairs, rng.split('pairs')).map((i) => input.pairs[i]!);
  const titles = input.titles ? sampleIndices(input.titles.length, config.maxTitles, rng.split('titles')).map((i) => input.titles![i]!) : [];
  const valid = sampleIndices(input.validPairs.length, config.maxValidPairs, rng.split('valid')).map((i) => input.validPairs[i]!);
  const key = createHash('sha256').update(JSON.stringify({ config: fitPartOf(config), seed: input.seed, pairs, titles, valid })).digest('hex');

  const savedPath = join(input.outDir, SAVED);
  if (existsSync(savedPath)) {
    const saved = JSON.parse(readFileSync(savedPath, 'utf8')) as { key?: string; report?: QueryGeneratorReport };
    if (saved.key === key && saved.report) {
      progress.line(`query generator: loaded the finished fit in ${input.outDir}`);
      return { generator: EmbeddedGenerator.load(input.outDir, config.decoding), report: { ...saved.report, loaded: true } };
    }
  }
  mkdirSync(input.outDir, { recursive: true });
  const tokenizer = BpeTokenizer.train([...pairs.flatMap((p) => [p.source, p.target]), ...titles], config.vocabSize);
  const codec = new SequenceCodec(tokenizer, config);
  const sequences = [...pairs.flatMap((p) => codec.pairPrefixes(p.source, p.target)), ...titles.map((t) => codec.titleSequence(t))].filter((s) => s.length >= 2);
  const view = makeTrainView(tokenizer.vocabSize, sequences);
  progress.line(`query generator: ${pairs.length} (title, query) pairs + ${titles.length} titles, vocabulary ${tokenizer.vocabSize} tokens; SASRec-style LM (hidden ${config.hidden}, ${config.blocks} blocks)`);
  const net = createRecommender(modelSpec(config));
  let lastPerplexity = Number.NaN;
  const perplexities: number[] = [];
  const fit = await net.fit(view, {
    seed: input.seed,
    epochs: config.epochs,
    patience: config.patience,
    validate: (m) => {
      lastPerplexity = perplexity(m, codec, valid);
      perplexities.push(lastPerplexity);
      return { score: -Math.log(lastPerplexity), metrics: { perplexity: lastPerplexity } };
    },
    checkpointDir: join(input.outDir, 'checkpoints'),
    progress,
    ...(input.cancel ? { cancel: input.cancel } : {}),
  });
  const modelDir = join(input.outDir, 'model');
  net.save(modelDir);
  const validPerplexity = perplexity(net, codec, valid);
  const report: QueryGeneratorReport = {
    trainPairs: pairs.length,
    titleSequences: titles.length,
    vocabSize: tokenizer.vocabSize,
    epochs: fit.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds, ...(e.valid?.['perplexity'] !== undefined ? { validPerplexity: e.valid['perplexity'] } : {}) })),
    bestEpoch: fit.bestEpoch,
    validPerplexity,
    seconds: (performance.now() - t0) / 1000,
    loaded: false,
  };
  writeJsonAtomic(savedPath, { format: 'samplify-embedded-generator-1', key, config: fitPartOf(config), tokenizer: tokenizer.toState(), fingerprint: folderFingerprint(modelDir), report });
  progress.line(`query generator: validation perplexity ${validPerplexity.toFixed(2)} (best epoch ${fit.bestEpoch}) in ${report.seconds.toFixed(1)} s`);
  return { generator: EmbeddedGenerator.load(input.outDir, config.decoding), report };
}

/** Token ids ↔ the network's item ids (item id = token id + 1; 0 is the network's padding). */
class SequenceCodec {
  readonly bos: number;
  readonly sep: number;
  readonly eos: number;
  constructor(
    readonly tokenizer: BpeTokenizer,
    readonly config: EmbeddedGeneratorConfig,
  ) {
    this.bos = tokenizer.id('<bos>') + 1;
    this.sep = tokenizer.id('<sep>') + 1;
    this.eos = tokenizer.id('<eos>') + 1;
  }
  /** Title tokens that fit the context with the query part. */
  titleIds(title: string): number[] {
    const room = Math.max(1, this.config.maxLen - this.config.maxQueryTokens - 3);
    return this.tokenizer
      .encode(title)
      .slice(0, room)
      .map((t) => t + 1);
  }
  prompt(title: string): Int32Array {
    return Int32Array.from([this.bos, ...this.titleIds(title), this.sep]);
  }
  pairSequence(title: string, query: string): Int32Array {
    const q = this.tokenizer
      .encode(query)
      .slice(0, this.config.maxQueryTokens)
      .map((t) => t + 1);
    return Int32Array.from([this.bos, ...this.titleIds(title), this.sep, ...q, this.eos]);
  }
  /**
   * The training sequences of one pair: every prefix that ends at a query token (or [eos]). The
   * network's position embedding counts from the right end of its frame, and it scores the next
   * token from the last column; trained on whole sequences only, a query token would be predicted
   * from a column that tells how many tokens are left (so after [sep] it would learn "end next"),
   * while generation always predicts from the last column. Training on the prefixes makes every
   * query token a last-column target, exactly as it is generated.
   */
  pairPrefixes(title: string, query: string): Int32Array[] {
    const seq = this.pairSequence(title, query);
    const sep = seq.indexOf(this.sep);
    const out: Int32Array[] = [];
    for (let end = sep + 2; end <= seq.length; end++) out.push(seq.slice(0, end));
    return out;
  }
  titleSequence(title: string): Int32Array {
    return Int32Array.from([this.bos, ...this.titleIds(title), this.eos]);
  }
  text(ids: readonly number[]): string {
    return this.tokenizer.decode(ids.map((i) => i - 1));
  }
}

/**
 * exp(mean negative log-likelihood) of the query tokens (and [eos]) of `pairs` given their prefixes,
 * under the model's distribution mixed with 10 % uniform. Unseen queries spell rare words with byte
 * tokens the model rightly finds unlikely; unsmoothed, those few tokens dominate the mean and the
 * measure rises as the model grows sharper even while its queries improve — a poor early-stopping
 * signal. The mixture bounds each token's penalty (ln(10·V)), so the measure follows the common case.
 */
function perplexity(model: Recommender, codec: SequenceCodec, pairs: readonly TextPair[], smoothing = 0.1): number {
  const histories: Int32Array[] = [];
  const targets: number[] = [];
  for (const p of pairs) {
    const seq = codec.pairSequence(p.source, p.target);
    const start = seq.indexOf(codec.sep);
    for (let t = start + 1; t < seq.length; t++) {
      histories.push(seq.subarray(0, t));
      targets.push(seq[t]!);
    }
  }
  if (histories.length === 0) return Number.NaN;
  let nll = 0;
  const V = codec.tokenizer.vocabSize;
  for (let from = 0; from < histories.length; from += 256) {
    const chunk = histories.slice(from, from + 256);
    const scores = model.scoreAll(chunk);
    for (let r = 0; r < chunk.length; r++) {
      const row = scores.subarray(r * (V + 1) + 1, (r + 1) * (V + 1));
      let max = Number.NEGATIVE_INFINITY;
      for (const s of row) if (s > max) max = s;
      let z = 0;
      for (const s of row) z += Math.exp(s - max);
      const p = Math.exp(row[targets[from + r]! - 1]! - max) / z;
      nll -= Math.log((1 - smoothing) * p + smoothing / V);
    }
  }
  return Math.exp(nll / histories.length);
}

/** A trained doc2query model as a TextGenerator: the prompt is the product title. */
export class EmbeddedGenerator implements TextGenerator {
  readonly provider = 'embedded';
  readonly model: string;
  private constructor(
    private readonly net: Recommender,
    private readonly codec: SequenceCodec,
    fingerprint: string,
    private readonly decoding: EmbeddedDecoding,
  ) {
    // The model identity is part of every cache key: decoding that changes the text changes it too.
    const suffix = [decoding.copyBias > 0 ? `copy${decoding.copyBias}` : '', decoding.minQueryTokens > 0 ? `min${decoding.minQueryTokens}` : ''].filter(Boolean).join(',');
    this.model = `embedded-doc2query@${fingerprint}${suffix ? `+${suffix}` : ''}`;
  }

  /** Loads a fitted generator; `decoding` overrides how it decodes (default: what it was saved with, else off). */
  static load(dir: string, decoding?: Partial<EmbeddedDecoding>): EmbeddedGenerator {
    const path = join(dir, SAVED);
    if (!existsSync(path)) throw new ModelStateError(`no embedded generator in ${dir} (${SAVED} is missing)`);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; config?: unknown; tokenizer?: TokenizerState; fingerprint?: string };
    if (saved.format !== 'samplify-embedded-generator-1' || !saved.tokenizer || typeof saved.fingerprint !== 'string') throw new ModelStateError(`${path} is not a samplify embedded generator`);
    const config = parseWithSchema(embeddedGeneratorConfigSchema, saved.config ?? {}, { label: path });
    const net = createRecommender(modelSpec(config));
    net.load(join(dir, 'model'));
    return new EmbeddedGenerator(net, new SequenceCodec(BpeTokenizer.fromState(saved.tokenizer), config), saved.fingerprint, { ...config.decoding, ...decoding });
  }

  async generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult> {
    const [o] = await this.generateBatch([request], signal ? { signal } : {});
    if (!o!.ok) throw new ConfigError(`generation failed (${o!.reason}): ${o!.message}`, { field: 'prompt' });
    return o!.result;
  }

  async generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}): Promise<GenerationOutcome[]> {
    const out: GenerationOutcome[] = new Array(requests.length);
    const V = this.codec.tokenizer.vocabSize;
    const live: { i: number; params: GenerationParams; rng: Rng; prompt: Int32Array; copy: TitleCopy | null; tokens: number[] }[] = [];
    const { copyBias, minQueryTokens } = this.decoding;
    requests.forEach((r, i) => {
      const params = { ...DEFAULT_GENERATION_PARAMS, ...r.params };
      if (normalizeText(r.prompt) === '') {
        out[i] = { ok: false, reason: 'invalid-output', message: 'empty prompt (the product title is empty)' };
        options.onOutcome?.(i, out[i]!);
      } else {
        const prompt = this.codec.prompt(r.prompt);
        // A title longer than the context is cut, possibly inside its last word, which is then copyable as it stands.
        const copy = copyBias > 0 ? new TitleCopy(this.codec.tokenizer, this.codec.text(Array.from(prompt))) : null;
        live.push({ i, params, rng: new Rng(r.seed).split('embedded-generation'), prompt, copy, tokens: [] });
      }
    });
    const codec = this.codec;
    const room = codec.config.maxLen - 1;
    let done = requests.length - live.length;
    const finish = (a: (typeof live)[number], reason: 'stop' | 'length'): void => {
      // Cut off by the token limit inside a title word, the query would end in a fragment ("lithiu").
      const cut = reason === 'length' && a.copy ? a.copy.unfinishedTokens() : 0;
      let text = codec.text(a.tokens.slice(0, a.tokens.length - cut));
      for (const s of a.params.stop) if (s !== '' && text.includes(s)) text = text.slice(0, text.indexOf(s));
      text = text.trim();
      out[a.i] = text === '' ? { ok: false, reason: 'invalid-output', message: 'the model produced no text' } : { ok: true, result: { text, finishReason: reason, usage: { promptTokens: a.prompt.length, completionTokens: a.tokens.length }, cached: false } };
      options.onOutcome?.(a.i, out[a.i]!);
      done++;
      options.onProgress?.(done, requests.length);
    };
    const banned = [0, codec.bos, codec.sep, codec.tokenizer.id('<pad>') + 1];
    const bannedBeforeMin = [...banned, codec.eos];
    // Requests are decoded together, 256 at a time: one forward pass per generated token per chunk.
    const CHUNK = 256;
    for (let from = 0; from < live.length; from += CHUNK) {
      if (options.signal?.aborted) throw new InterruptedError('generation interrupted');
      const chunk = live.slice(from, from + CHUNK);
      let active = chunk;
      const limit = (a: (typeof live)[number]) => Math.min(a.params.maxTokens, codec.config.maxQueryTokens);
      const steps = Math.max(...chunk.map(limit));
      for (let step = 0; step < steps && active.length > 0; step++) {
        const scores = this.net.scoreAll(active.map((a) => Int32Array.from([...a.prompt, ...a.tokens].slice(-room))));
        const still: typeof active = [];
        active.forEach((a, r) => {
          let row = scores.subarray(r * (V + 1), (r + 1) * (V + 1));
          if (a.copy) {
            row = row.slice();
            for (const id of a.copy.nextIds()) row[id] = row[id]! + copyBias;
          }
          const next = sampleToken(row, a.params, a.rng, a.tokens.length < minQueryTokens ? bannedBeforeMin : banned);
          if (next === codec.eos) return finish(a, 'stop');
          a.tokens.push(next);
          a.copy?.push(next);
          if (a.tokens.length >= limit(a)) return finish(a, 'length');
          // Decoding the tokens so far costs a pass over them; only stop strings need it every step.
          if (a.params.stop.length > 0) {
            const text = codec.text(a.tokens);
            if (a.params.stop.some((s) => s !== '' && text.includes(s))) return finish(a, 'stop');
          }
          still.push(a);
        });
        active = still;
      }
      for (const a of active) finish(a, 'length');
    }
    return out;
  }

  async close(): Promise<void> {}
}

/**
 * Which tokens copy a title word next, for copy-aware decoding. Byte-level BPE splits a word into
 * pieces, and boosting every piece of the title writes fragments ("withs white in s"); this follows
 * the word being written instead, in bytes (the model may spell a word with other pieces than the
 * title's own): while the word so far is a strict prefix of title words it boosts every token that
 * continues one of them, otherwise every token that starts one. A title word counts as written once
 * the word so far equals it, and is not boosted again. Ids are the network's (token id + 1).
 */
class TitleCopy {
  private readonly words: Set<string>;
  private remaining: string[];
  private current = '';
  private currentTokens = 0;
  constructor(
    private readonly tokenizer: BpeTokenizer,
    /** The part of the title the prompt holds. */
    title: string,
  ) {
    this.words = new Set(tokenizer.wordPieces(title));
    this.remaining = [...this.words];
  }
  /** Tokens spelling `word` from byte `at` on: each prefix of the rest the vocabulary has. */
  private piecesAt(word: string, at: number, out: Set<number>): void {
    for (let end = at + 1; end <= word.length; end++) {
      const id = this.tokenizer.idOfPiece(word.slice(at, end));
      if (id !== undefined) out.add(id + 1);
    }
  }
  nextIds(): Set<number> {
    const out = new Set<number>();
    const n = this.current.length;
    if (n > 0) for (const w of this.remaining) if (w.length > n && w.startsWith(this.current)) this.piecesAt(w, n, out);
    if (out.size === 0) for (const w of this.remaining) this.piecesAt(w, 0, out);
    return out;
  }
  push(id: number): void {
    const piece = this.tokenizer.piece(id - 1);
    const starts = piece.startsWith(' ');
    this.current = starts ? piece : this.current + piece;
    this.currentTokens = starts ? 1 : this.currentTokens + 1;
    this.remaining = this.remaining.filter((w) => w !== this.current);
  }
  /** Tokens of the last word when it is a title word begun and not finished (else 0). */
  unfinishedTokens(): number {
    const c = this.current;
    if (c === '' || this.words.has(c)) return 0;
    return this.remaining.some((w) => w.length > c.length && w.startsWith(c)) ? this.currentTokens : 0;
  }
}

/** Samples one item id from a score row: temperature, top-k, top-p; `banned` ids never drawn. */
function sampleToken(row: Float32Array, p: GenerationParams, rng: Rng, banned: readonly number[]): number {
  const ids: number[] = [];
  for (let i = 1; i < row.length; i++) if (!banned.includes(i)) ids.push(i);
  if (p.temperature === 0) return ids.reduce((best, i) => (row[i]! > row[best]! ? i : best), ids[0]!);
  ids.sort((a, b) => row[b]! - row[a]! || a - b);
  const k = p.topK > 0 ? Math.min(p.topK, ids.length) : ids.length;
  const top = ids.slice(0, k);
  const max = row[top[0]!]!;
  const w = top.map((i) => Math.exp((row[i]! - max) / p.temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let keep = top.length;
  if (p.topP < 1) {
    let acc = 0;
    for (let j = 0; j < top.length; j++) {
      acc += w[j]! / total;
      if (acc >= p.topP) {
        keep = j + 1;
        break;
      }
    }
  }
  const z = w.slice(0, keep).reduce((a, b) => a + b, 0);
  let u = rng.next() * z;
  for (let j = 0; j < keep; j++) {
    u -= w[j]!;
    if (u <= 0) return top[j]!;
  }
  return top[keep - 1]!;
}
