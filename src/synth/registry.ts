/**
 * Synthesizers by name. `createSynthesizer(name, params)` builds an unfitted one;
 * `loadSynthesizer(path)` reads the `kind` of a saved file and loads it into a fresh instance.
 *
 * Saved-file convention every synthesizer follows: a JSON object whose top level has
 * `format: 'samplify-synthesizer'`, `kind: <registry name>` and `version: <number>`; the rest is the
 * synthesizer's own. Loading a file of another kind into a synthesizer is a ModelStateError.
 */
import { readFileSync, statSync } from 'node:fs';
import { ModelStateError, Registry } from '../core/index.ts';
import { GaussianCopulaSynthesizer } from './copula.ts';
import { CtganSynthesizer } from './ctgan.ts';
import { TvaeSynthesizer } from './tvae.ts';
import type { Synthesizer } from './types.ts';

/** Builds an unfitted synthesizer from its params (validated by the synthesizer: a bad key is a ConfigError). */
export type SynthesizerFactory = (params: Readonly<Record<string, unknown>>) => Synthesizer;

export const synthesizers = new Registry<SynthesizerFactory>('synthesizer');

synthesizers.register('gaussian-copula', (params) => new GaussianCopulaSynthesizer(params));
synthesizers.register('ctgan', (params) => new CtganSynthesizer(params));
synthesizers.register('tvae', (params) => new TvaeSynthesizer(params));

export function synthesizerNames(): string[] {
  return synthesizers.names();
}

/** An unfitted synthesizer; an unknown name is a ConfigError listing the registered ones. */
export function createSynthesizer(name: string, params: Readonly<Record<string, unknown>> = {}): Synthesizer {
  return synthesizers.get(name, 'synthesizer.name')(params);
}

/** Reads the `kind` of a saved synthesizer file (ModelStateError when the file is not one). */
export function savedSynthesizerKind(path: string): string {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new ModelStateError('is a directory, expected a saved synthesizer file', { file: path });
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ModelStateError) throw e;
    throw new ModelStateError(`cannot read the saved synthesizer (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path });
  }
  let head: unknown;
  try {
    head = JSON.parse(text);
  } catch {
    throw new ModelStateError('not a samplify synthesizer file (not JSON)', { file: path });
  }
  const h = head as { format?: unknown; kind?: unknown } | null;
  if (!h || h.format !== 'samplify-synthesizer' || typeof h.kind !== 'string') throw new ModelStateError('not a samplify synthesizer file (no format/kind header)', { file: path });
  return h.kind;
}

/** Loads a saved synthesizer of any registered kind. */
export function loadSynthesizer(path: string): Synthesizer {
  const kind = savedSynthesizerKind(path);
  if (!synthesizers.names().includes(kind)) throw new ModelStateError(`the file holds a '${kind}' synthesizer, which this build does not have (known: ${synthesizers.names().join(', ')})`, { file: path });
  const s = synthesizers.get(kind)({});
  s.load(path);
  return s;
}
