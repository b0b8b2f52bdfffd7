/** The planted search problem (test/models/search/fixture.ts) written as a user's search log, for the search-experiment tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plantedSearch } from '../models/search/fixture.ts';

/** The planted search problem written as a user's search log (JSONL with declared columns). */
export function writePlantedLog(dir: string, queries: number): string {
  const p = plantedSearch(queries, 3);
  const lines: string[] = [];
  for (const g of [...p.train, ...p.valid, ...p.test])
    g.productIds.forEach((id, i) => lines.push(JSON.stringify({ query: g.query, product: id, title: p.products.get(id)!.title, label: g.labels[i] })));
  const path = join(dir, 'planted.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

