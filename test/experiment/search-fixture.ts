/** The planted search problem (test/models/search/fixture.ts) written as a user's search log, for the search-experiment tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSearchExperimentConfig, type SearchExperimentConfig } from '../../src/experiment/index.ts';
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


/** A search experiment on the planted log: LambdaMART, 2 seeds, a typo arm; `extra` replaces top-level keys. */
export function plantedSearchConfig(data: string, extra: Record<string, unknown> = {}): SearchExperimentConfig {
  return parseSearchExperimentConfig({
    task: 'search',
    name: 'planted',
    data: { path: data, format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } },
    split: { kind: 'query', seed: 0, train: 0.6, valid: 0.2, test: 0.2 },
    ranker: { name: 'lambdamart', config: { numTrees: 40, minSamplesLeaf: 5, learningRate: 0.1, patience: 10 } },
    seeds: 2,
    bootstrap: { resamples: 200 },
    arms: [{ name: 'typo', pipeline: { family: 'text', steps: [{ op: 'typo', atLeastOne: true }] } }],
    ...extra,
  });
}
