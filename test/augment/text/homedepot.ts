/**
 * A small Home Depot loader for the text-augmenter tests and benchmark (the search readers live in
 * src/data/search; this keeps the augmenters' tests independent of them). Latin-1 CSV with columns
 * id, product_uid, product_title, search_term, relevance.
 */
import { readFileSync } from 'node:fs';
import { splitRecord } from '../../../src/data/csv.ts';
import type { Product, QueryGroup } from '../../../src/data/search/types.ts';

export const HOME_DEPOT = new URL('../../../../shared/data/homedepot-search/train.csv', import.meta.url).pathname;

export interface HomeDepotSlice {
  readonly groups: QueryGroup[];
  readonly products: Map<string, Product>;
}

/** The first `maxRows` data rows (all when omitted), grouped by lower-cased query in order of appearance. */
export function loadHomeDepot(maxRows = Number.POSITIVE_INFINITY, file = HOME_DEPOT): HomeDepotSlice {
  const lines = readFileSync(file, 'latin1').split('\n');
  const products = new Map<string, Product>();
  const by = new Map<string, { query: string; ids: string[]; labels: number[] }>();
  for (let i = 1; i < lines.length && i <= maxRows; i++) {
    if (lines[i] === '') continue;
    const [, pid, title, query, rel] = splitRecord(lines[i]!, ',', '"').fields as [string, string, string, string, string];
    products.set(pid, { id: pid, title });
    const key = query.toLowerCase().replace(/\s+/g, ' ').trim();
    const g = by.get(key) ?? by.set(key, { query, ids: [], labels: [] }).get(key)!;
    g.ids.push(pid);
    g.labels.push(Number(rel));
  }
  const groups = [...by].map(([key, g]) => ({ query: g.query, key, productIds: g.ids, labels: Float64Array.from(g.labels) }));
  return { groups, products };
}
