/**
 * The saved form every search ranker writes: one JSON document naming the ranker (its registry
 * name), the config it was built with and its fitted state. `loadRanker` (index.ts) dispatches on
 * `ranker` to the entry that restores it.
 */
import { ModelStateError } from '../../core/index.ts';

export const SAVED_RANKER_FORMAT = 'samplify-search-ranker/1';

export interface SavedRanker<S = unknown> {
  readonly format: typeof SAVED_RANKER_FORMAT;
  /** Registry name (bm25, lambdamart, gbdt-regression, neural). */
  readonly ranker: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly state: S;
}

export function saveRankerJson<S>(ranker: string, config: Readonly<Record<string, unknown>>, state: S): string {
  const saved: SavedRanker<S> = { format: SAVED_RANKER_FORMAT, ranker, config, state };
  return JSON.stringify(saved);
}

/** Parses a saved ranker's envelope; malformed text is a ModelStateError. */
export function parseSavedRanker(text: string): SavedRanker {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelStateError(`search ranker: saved text is not JSON (${(e as Error).message})`);
  }
  const s = raw as Partial<SavedRanker>;
  if (!s || typeof s !== 'object' || s.format !== SAVED_RANKER_FORMAT || typeof s.ranker !== 'string' || !s.config || typeof s.config !== 'object' || s.state === undefined)
    throw new ModelStateError(`search ranker: not a saved ranker (format '${SAVED_RANKER_FORMAT}' with ranker, config and state)`);
  return s as SavedRanker;
}

/** The ModelStateError of a ranker used before fit() or load. */
export const notFitted = (name: string): ModelStateError => new ModelStateError(`search ranker ${name} used before fit() or loadRanker()`);
