/**
 * The one reader of saved table-synthesizer files. Every table synthesizer saves one JSON object
 * headed by `format: 'samplify-synthesizer'`, its `kind` and its file `version`; the registry
 * reads the kind to pick the class, and each class's `load` checks that the file is its own.
 */
import { readFileSync, statSync } from 'node:fs';
import { ModelStateError } from '../core/index.ts';

export const SYNTHESIZER_FILE_FORMAT = 'samplify-synthesizer';

export type SavedSynthesizerFile = Record<string, unknown> & { readonly kind: string };

/** Reads and parses a saved synthesizer file (ModelStateError naming the file when it is not one). */
export function readSynthesizerFile(path: string): SavedSynthesizerFile {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new ModelStateError('is a directory, expected a saved synthesizer file', { file: path });
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ModelStateError) throw e;
    throw new ModelStateError(`cannot read the saved synthesizer (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ModelStateError('not a samplify synthesizer file (not JSON)', { file: path });
  }
  const h = parsed as { format?: unknown; kind?: unknown } | null;
  if (h === null || typeof h !== 'object' || h.format !== SYNTHESIZER_FILE_FORMAT || typeof h.kind !== 'string') throw new ModelStateError('not a samplify synthesizer file (no format/kind header)', { file: path });
  return parsed as SavedSynthesizerFile;
}

/** Reads a saved synthesizer file that must hold `kind` at file `version`. */
export function readSynthesizerFileOf(path: string, kind: string, version: number): SavedSynthesizerFile {
  const saved = readSynthesizerFile(path);
  if (saved.kind !== kind) throw new ModelStateError(`the file holds a '${saved.kind}' synthesizer, not '${kind}'`, { file: path });
  if (saved.version !== version) throw new ModelStateError(`saved with ${kind} file version ${String(saved.version)}; this build reads version ${version}`, { file: path });
  return saved;
}
