/**
 * The text generators a search experiment's generate arms name, built from the registry of text
 * generators; the embedded one is fitted on the training split's (title → query) pairs first.
 */
import { ConfigError } from '../core/index.ts';
import type { TextGenerator } from '../llm/index.ts';
import type { TextGeneratorContext } from './search.ts';

export async function defaultTextGenerators(spec: { readonly name: string; readonly config: Readonly<Record<string, unknown>> }, _context: TextGeneratorContext): Promise<TextGenerator> {
  throw new ConfigError(`unknown text generator '${spec.name}'`, { field: 'arms.generate.generator.name' });
}
