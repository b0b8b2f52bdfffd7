/**
 * Home Depot slices for the text-augmenter tests and benchmark, read once with the project's own
 * reader (src/data/search: latin-1, row accounting) and grouped by the split's query key.
 */
import { groupQueries, readHomeDepot } from '../../../src/data/index.ts';
import type { Product, QueryGroup } from '../../../src/data/search/types.ts';

export const HOME_DEPOT = new URL('../../../../shared/data/homedepot-search/train.csv', import.meta.url).pathname;

export interface HomeDepotSlice {
  readonly groups: QueryGroup[];
  readonly products: Map<string, Product>;
}

const cache = new Map<string, Awaited<ReturnType<typeof readHomeDepot>>>();

/** Reads the file once (per path); call before `loadHomeDepot`. */
export async function readHomeDepotOnce(file = HOME_DEPOT): Promise<void> {
  if (!cache.has(file)) cache.set(file, await readHomeDepot(file));
}

/** The judgements of the first `maxRows` kept rows (all when omitted), grouped by normalised query. */
export function loadHomeDepot(maxRows = Number.POSITIVE_INFINITY, file = HOME_DEPOT): HomeDepotSlice {
  const dataset = cache.get(file);
  if (!dataset) throw new Error(`loadHomeDepot: call readHomeDepotOnce(${JSON.stringify(file)}) first`);
  const judgements = dataset.judgements.slice(0, Math.min(maxRows, dataset.judgements.length));
  const ids = new Set(judgements.map((j) => j.productId));
  const products = new Map([...dataset.products].filter(([id]) => ids.has(id)));
  return { groups: groupQueries(judgements), products };
}
