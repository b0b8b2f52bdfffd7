/**
 * The text generators a search experiment's generate arms name. `embedded` is fitted here, on the
 * training split only: its (title → query) pairs are the training queries' relevant products
 * (label in the top quarter of the scale), its validation pairs come from the validation queries
 * (perplexity, early stopping), and the titles of the training part's products are extra
 * language-model data (titles are catalogue text, not labels). The fit is cached by content under
 * <out>/generators, so arms, seeds and reruns share it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseWithSchema } from '../core/index.ts';
import type { QueryGroup, SearchSplit } from '../data/search/index.ts';
import { CachedGenerator, fitQueryGenerator, textGenerators, type TextGenerator, type TextPair } from '../llm/index.ts';
import type { TextGeneratorContext } from './search.ts';


const embeddedSpecSchema = z
  .object({
    /** Seed of the generator's fit (its sampling takes each request's own seed). */
    seed: z.number().int().min(0).default(0),
    /** Pairs with a label at least this high train the generator (default: the top quarter of the label scale). */
    minLabel: z.number().optional(),
    /** Everything else is the generator's own config (vocabSize, hidden, epochs, …). */
  })
  .catchall(z.unknown());

/** (title, query) pairs of the groups whose label reaches `minLabel`. */
export function relevantPairs(groups: readonly QueryGroup[], split: SearchSplit, minLabel: number): TextPair[] {
  return groups.flatMap((g) => g.productIds.flatMap((id, i) => (g.labels[i]! >= minLabel ? [{ source: split.products.get(id)!.title, target: g.query }] : [])));
}

export async function defaultTextGenerators(spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, context: TextGeneratorContext): Promise<TextGenerator> {
  if (spec.name !== 'embedded') {
    // Registry providers (an OpenAI-compatible endpoint, a local GGUF model) go through the
    // content-addressed cache under <out>/generators/cache: a rerun makes no calls and is byte-identical.
    if (!textGenerators.has(spec.name)) throw new ConfigError(`unknown text generator '${spec.name}'; expected one of: embedded, ${textGenerators.names().join(', ')}`, { field: 'arms.generate.generator.name' });
    return new CachedGenerator(textGenerators.create(spec.name, spec.config, ['generate', 'generator', 'config']), { dir: join(context.out, 'generators', 'cache') });
  }
  const { seed, minLabel, ...config } = parseWithSchema(embeddedSpecSchema, spec.config, { prefix: ['generate', 'generator', 'config'] });
  const { split } = context;
  const scale = split.labelScale;
  const threshold = minLabel ?? scale.min + 0.75 * (scale.max - scale.min);
  const pairs = relevantPairs(split.train, split, threshold);
  const validPairs = relevantPairs(split.valid, split, threshold);
  const titles = [...new Set(context.catalogueIds)].map((id) => split.products.get(id)!.title);
  const key = createHash('sha256').update(JSON.stringify({ config, seed, threshold, train: split.train.map((g) => g.key), titles: titles.length })).digest('hex').slice(0, 12);
  context.progress.line(`embedded query generator: ${pairs.length} training (title, query) pairs with label ≥ ${threshold}, ${titles.length} catalogue titles`);
  const { generator } = await fitQueryGenerator({ pairs, validPairs, titles, config, seed, outDir: join(context.out, 'generators', `embedded-${key}`), progress: context.progress, ...(context.cancel ? { cancel: context.cancel } : {}) });
  return generator;
}
