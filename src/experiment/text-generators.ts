/**
 * The text generators a search experiment's generate arms name. `embedded` is fitted here, on the
 * training split only: its (title → query) pairs are the training queries' relevant products
 * (label in the top quarter of the scale), its validation pairs come from the validation queries
 * (perplexity, early stopping), and the titles of the training part's products are extra
 * language-model data (titles are catalogue text, not labels). The fit is cached by content under
 * <out>/generators, so arms, seeds and reruns share it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseWithSchema, type ProgressReporter, refineWith } from '../core/index.ts';
import type { QueryGroup, SearchSplit } from '../data/search/index.ts';
import { CachedGenerator, embeddedGeneratorConfigSchema, fitPartOf, fitQueryGenerator, OpenAICompatibleGenerator, RecordingGenerator, startReplayServer, textGenerators, type BatchOptions, type GenerationRequest, type ReplayServer, type TextGenerator, type TextPair } from '../llm/index.ts';
import type { TextGeneratorContext } from './search.ts';

/**
 * `record` (any generator): every answer is also written to `file` (relative to the config's folder)
 * as the replay server's JSONL, with the chat body an `openai-compatible` provider configured with
 * `model` would send — so the same arm can be rerun through the HTTP path (`replay`) and compared.
 */
const recordSchema = z
  .object({
    file: z.string().min(1),
    model: z.string().min(1).default('samplify-embedded'),
    sendTopK: z.boolean().default(false),
  })
  .strict();

/**
 * `replay`: the `openai-compatible` provider against a loopback replay server (src/llm/replay-server.ts)
 * that this process starts on 127.0.0.1 and that answers only from `recording` (a request it does not
 * hold is a counted provider-error). Every other key is the provider's own config (no baseURL: the
 * server's address is used).
 */
const replaySchema = z
  .object({
    recording: z.string().min(1),
    model: z.string().min(1).default('samplify-embedded'),
  })
  .catchall(z.unknown());


const embeddedSpecSchema = z
  .object({
    /** Seed of the generator's fit (its sampling takes each request's own seed). */
    seed: z.number().int().min(0).default(0),
    /** Pairs with a label at least this high train the generator (default: the top quarter of the label scale). */
    minLabel: z.number().optional(),
    /** Everything else is the generator's own config (vocabSize, hidden, epochs, …). */
  })
  .catchall(z.unknown());

/**
 * The parse-time check of a generate arm's `generator` block, so that a mistyped key fails before
 * anything is trained, naming its path: the embedded generator's keys (`seed`, `minLabel`, its own
 * config, `decoding` included) and a registry provider's config against their schemas, `record`
 * against its own. Other names pass: a program may bring its own generator factory
 * (`SearchExperimentOptions.generators`); the default one refuses them when the arm is built, and a
 * `replay` block is checked then too (its recording must exist).
 */
export function refineTextGeneratorSpec(spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, ctx: z.core.$RefinementCtx): void {
  if (spec.name !== 'embedded' && !textGenerators.has(spec.name)) return;
  const { record, ...config } = spec.config;
  if (record !== undefined) refineWith(recordSchema, record, ctx, ['config', 'record']);
  if (spec.name !== 'embedded') {
    refineWith(textGenerators.get(spec.name).schema, config, ctx, ['config']);
    return;
  }
  const { seed, minLabel, ...fit } = config;
  refineWith(embeddedSpecSchema, { ...(seed !== undefined ? { seed } : {}), ...(minLabel !== undefined ? { minLabel } : {}) }, ctx, ['config']);
  refineWith(embeddedGeneratorConfigSchema, fit, ctx, ['config']);
}

/** (title, query) pairs of the groups whose label reaches `minLabel`. */
export function relevantPairs(groups: readonly QueryGroup[], split: SearchSplit, minLabel: number): TextPair[] {
  return groups.flatMap((g) => g.productIds.flatMap((id, i) => (g.labels[i]! >= minLabel ? [{ source: split.products.get(id)!.title, target: g.query }] : [])));
}

export async function defaultTextGenerators(spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, context: TextGeneratorContext): Promise<TextGenerator> {
  const { record, ...config } = spec.config;
  const generator = withBatchProgress(await buildTextGenerator({ name: spec.name, config }, context), context.progress);
  if (record === undefined) return generator;
  const r = parseWithSchema(recordSchema, record, { prefix: ['generate', 'generator', 'config', 'record'] });
  const file = resolve(context.baseDir, r.file);
  context.progress.line(`recording the generator's answers to ${file} (replay them with generator name 'replay', model '${r.model}')`);
  return new RecordingGenerator(generator, { file, model: r.model, sendTopK: r.sendTopK });
}

/** `generator` whose batches show a bar with ETA: 'llm: generations', requests answered of the batch's. */
export function withBatchProgress(generator: TextGenerator, progress: ProgressReporter): TextGenerator {
  return new BatchProgressGenerator(generator, progress);
}

/** A generator that passes everything to `inner`; a wrapper overrides what it adds to. */
abstract class DelegatingGenerator implements TextGenerator {
  readonly provider: string;
  readonly model: string;
  constructor(protected readonly inner: TextGenerator) {
    this.provider = inner.provider;
    this.model = inner.model;
  }
  generate(request: GenerationRequest, signal?: AbortSignal) {
    return this.inner.generate(request, signal);
  }
  generateBatch(requests: readonly GenerationRequest[], options?: BatchOptions) {
    return this.inner.generateBatch(requests, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class BatchProgressGenerator extends DelegatingGenerator {
  constructor(
    inner: TextGenerator,
    private readonly progress: ProgressReporter,
  ) {
    super(inner);
  }
  override generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}) {
    this.progress.step?.('llm: generations', 0, requests.length);
    return this.inner.generateBatch(requests, {
      ...options,
      onProgress: (done, total) => {
        this.progress.step?.('llm: generations', done, total);
        options.onProgress?.(done, total);
      },
    });
  }
}

/** A generator and the loopback server it talks to, closed together. */
class ReplayedGenerator extends DelegatingGenerator {
  constructor(
    inner: TextGenerator,
    private readonly server: ReplayServer,
  ) {
    super(inner);
  }
  override async close(): Promise<void> {
    await this.inner.close();
    await this.server.close();
  }
}

async function buildTextGenerator(spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, context: TextGeneratorContext): Promise<TextGenerator> {
  if (spec.name === 'replay') {
    const { recording, model, ...rest } = parseWithSchema(replaySchema, spec.config, { prefix: ['generate', 'generator', 'config'] });
    if ('baseURL' in rest) throw new ConfigError('a replay generator talks to its own loopback server; leave baseURL out', { field: 'generate.generator.config.baseURL' });
    const file = resolve(context.baseDir, recording);
    if (!existsSync(file)) throw new ConfigError(`no recording at ${file} (record one with generator.config.record)`, { field: 'generate.generator.config.recording' });
    const server = await startReplayServer({ recording: file });
    context.progress.line(`replaying ${file} through the openai-compatible provider at ${server.url}`);
    try {
      const http = new OpenAICompatibleGenerator({ ...rest, model, baseURL: server.url }, { env: {} });
      return new ReplayedGenerator(new CachedGenerator(http, { dir: join(context.out, 'generators', 'cache') }), server);
    } catch (e) {
      await server.close();
      throw e;
    }
  }
  if (spec.name !== 'embedded') {
    // Registry providers (an OpenAI-compatible endpoint, a local GGUF model) go through the
    // content-addressed cache under <out>/generators/cache: a rerun makes no calls and is byte-identical.
    if (!textGenerators.has(spec.name)) throw new ConfigError(`unknown text generator '${spec.name}'; expected one of: embedded, replay, ${textGenerators.names().join(', ')}`, { field: 'arms.generate.generator.name' });
    return new CachedGenerator(textGenerators.create(spec.name, spec.config, ['generate', 'generator', 'config']), { dir: join(context.out, 'generators', 'cache') });
  }
  const { seed, minLabel, ...config } = parseWithSchema(embeddedSpecSchema, spec.config, { prefix: ['generate', 'generator', 'config'] });
  const { split } = context;
  const scale = split.labelScale;
  const threshold = minLabel ?? scale.min + 0.75 * (scale.max - scale.min);
  const pairs = relevantPairs(split.train, split, threshold);
  const validPairs = relevantPairs(split.valid, split, threshold);
  const titles = [...new Set(context.catalogueIds)].map((id) => split.products.get(id)!.title);
  // Decoding settings do not change the fit: arms that differ only in them share one fitted model.
  const key = createHash('sha256').update(JSON.stringify({ config: fitPartOf(config), seed, threshold, train: split.train.map((g) => g.key), titles: titles.length })).digest('hex').slice(0, 12);
  context.progress.line(`embedded query generator: ${pairs.length} training (title, query) pairs with label ≥ ${threshold}, ${titles.length} catalogue titles`);
  const { generator } = await fitQueryGenerator({ pairs, validPairs, titles, config, seed, outDir: join(context.out, 'generators', `embedded-${key}`), progress: context.progress, ...(context.cancel ? { cancel: context.cancel } : {}) });
  return generator;
}
