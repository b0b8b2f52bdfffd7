/**
 * Title paraphrase with the embedded generator (issue 15 §2): the same small causal LM as doc2query,
 * trained on (title → another merchant's title of the same product) pairs, so it learns how offers
 * of one product are written differently (word order, spacing of sizes, colour names, merchant
 * boilerplate) — PriceRunner has several offers per product cluster. `paraphraseTitles` then writes
 * seeded paraphrases for any titles: a text augmenter for product titles whose output keeps the
 * product's identity only as far as the model learned it (it is meaning-*changing* in the pipeline
 * sense; a use that keeps labels must filter, e.g. by the same round trip as synthetic queries).
 *
 * Leakage: fit it on the training part's titles only; paraphrasing a title reads nothing else.
 */
import { z } from 'zod';
import { parseWithSchema, Rng } from '../core/index.ts';
import { normalizeText } from './embedded/tokenizer.ts';
import { type EmbeddedGenerator, fitQueryGenerator, type FitQueryGeneratorInput, type QueryGeneratorReport, type TextPair } from './embedded/generator.ts';
import type { GenerationParams, GenerationRejectReason } from './types.ts';

/** One offer: the title a merchant wrote and the product it is an offer of. */
export interface ClusteredTitle {
  readonly title: string;
  readonly clusterId: string;
}

export const titlePairsConfigSchema = z
  .object({
    /** Ordered (source, target) pairs drawn per cluster at most (a seeded sample of its offer pairs). */
    maxPairsPerCluster: z.number().int().min(1).default(6),
  })
  .strict();

/**
 * (title → other title of the same cluster) pairs: within each cluster of at least two distinct
 * titles, ordered pairs of distinct titles, at most `maxPairsPerCluster` per cluster (seeded).
 * Clusters in first-seen order, so the same input and seed give the same pairs.
 */
export function titleParaphrasePairs(titles: readonly ClusteredTitle[], seed: number, config: Partial<z.input<typeof titlePairsConfigSchema>> = {}): TextPair[] {
  const { maxPairsPerCluster } = parseWithSchema(titlePairsConfigSchema, config, { label: 'title paraphrase pairs' });
  const clusters = new Map<string, string[]>();
  for (const t of titles) {
    if (normalizeText(t.title) === '') continue;
    const list = clusters.get(t.clusterId);
    if (list === undefined) clusters.set(t.clusterId, [t.title]);
    else if (!list.includes(t.title)) list.push(t.title);
  }
  const rng = new Rng(seed).split('title-paraphrase-pairs');
  const out: TextPair[] = [];
  for (const [id, list] of clusters) {
    if (list.length < 2) continue;
    const pairs: TextPair[] = [];
    for (const a of list) for (const b of list) if (a !== b) pairs.push({ source: a, target: b });
    const order = Int32Array.from(pairs.keys());
    rng.split(id).shuffle(order);
    for (const i of Array.from(order.subarray(0, maxPairsPerCluster)).sort((x, y) => x - y)) out.push(pairs[i]!);
  }
  return out;
}

/**
 * Context and length defaults for titles (longer than queries); any key of the embedded generator's
 * config may be given. No extra title-only sequences: every training title already appears as a source.
 */
export const TITLE_PARAPHRASE_DEFAULTS = { maxLen: 64, maxQueryTokens: 24, maxTitles: 0 } as const;

/** Fits (or loads, when `outDir` holds the same finished fit) the paraphrase model on title pairs. */
export function fitTitleParaphraser(input: Omit<FitQueryGeneratorInput, 'titles'>): Promise<{ generator: EmbeddedGenerator; report: QueryGeneratorReport }> {
  return fitQueryGenerator({ ...input, config: { ...TITLE_PARAPHRASE_DEFAULTS, ...(input.config ?? {}) } });
}

export interface ParaphraseOptions {
  readonly seed: number;
  /** Paraphrases requested per title (each with its own seed). */
  readonly views?: number;
  readonly params?: Partial<GenerationParams>;
  readonly signal?: AbortSignal;
}

export interface ParaphraseResult {
  /** Per input title, its kept paraphrases (distinct, none equal to the title after normalisation). */
  readonly paraphrases: string[][];
  readonly requested: number;
  readonly kept: number;
  /** Why the others were not kept. */
  readonly dropped: Partial<Record<GenerationRejectReason | 'same-as-title' | 'duplicate', number>>;
}

/** The seed of paraphrase `view` of `title`: a function of (seed, title, view) only, so any subset of titles gets the same paraphrases. */
export function paraphraseSeed(seed: number, title: string, view: number): number {
  return new Rng(seed).split(`title-paraphrase:${title}`).split(view).nextUint32();
}

/** Seeded paraphrases of `titles`; every request ends kept or dropped with a counted reason. */
export async function paraphraseTitles(generator: EmbeddedGenerator, titles: readonly string[], options: ParaphraseOptions): Promise<ParaphraseResult> {
  const views = options.views ?? 1;
  const params: Partial<GenerationParams> = { temperature: 0.8, topP: 0.95, maxTokens: 24, ...options.params };
  const requests = titles.flatMap((title) => Array.from({ length: views }, (_, v) => ({ prompt: title, params, seed: paraphraseSeed(options.seed, title, v) })));
  const outcomes = await generator.generateBatch(requests, options.signal ? { signal: options.signal } : {});
  const dropped: ParaphraseResult['dropped'] = {};
  const drop = (r: keyof ParaphraseResult['dropped']): void => {
    dropped[r] = (dropped[r] ?? 0) + 1;
  };
  const paraphrases = titles.map(() => [] as string[]);
  let kept = 0;
  outcomes.forEach((o, i) => {
    const t = Math.floor(i / views);
    if (!o.ok) return drop(o.reason);
    const text = o.result.text;
    if (normalizeText(text) === normalizeText(titles[t]!)) return drop('same-as-title');
    if (paraphrases[t]!.some((p) => normalizeText(p) === normalizeText(text))) return drop('duplicate');
    paraphrases[t]!.push(text);
    kept++;
  });
  return { paraphrases, requested: requests.length, kept, dropped };
}
