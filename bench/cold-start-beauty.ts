/**
 * Item cold-start on Amazon Beauty: SASRec-BCE without synthesis, with attribute-conditioned
 * synthetic interactions for the held-out items, the attribute-popularity heuristic and a blend.
 * Writes bench/results/cold-start-beauty.json (runs and resumable per-seed files under runs/cold-start-beauty/).
 *   COLD_FRACTION=0.05  COLD_SEEDS=3  COLD_EPOCHS=20  COLD_PATIENCE=6  COLD_EVAL_EVERY=2  COLD_STOP_CASES=5000  COLD_INTENSITIES=5,20
 *   COLD_SPLIT_SEED=0  COLD_PLACEMENT=substitute  COLD_NEIGHBORS=20  COLD_BUDGET=uniform|neighbor-popularity
 *   COLD_HYBRID_SHIFTS=-3,-2,-1,0,1,2  COLD_OUT=runs/cold-start-beauty  COLD_RESULT=cold-start-beauty (→ bench/results/<COLD_RESULT>.json)
 */
import { resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { loadDataset } from '../src/data/index.ts';
import { loadItemAttributes } from '../src/augment/index.ts';
import { runColdStartExperiment } from '../src/experiment/index.ts';

const data = resolve(process.cwd(), '../shared/data/beauty/Beauty.txt');
const attrFile = resolve(process.cwd(), '../shared/data/beauty/Beauty_item2attributes.json');
if (!existsSync(data) || !existsSync(attrFile)) {
  console.error(`bench/cold-start-beauty: ${data} or its attribute file not found (they live in ../shared/data beside the project)`);
  process.exit(2);
}
const env = (k: string, d: string): string => process.env[k] ?? d;
const seeds = Number(env('COLD_SEEDS', '3'));
const epochs = Number(env('COLD_EPOCHS', '20'));
const patience = Number(env('COLD_PATIENCE', '6'));
const evalEvery = Number(env('COLD_EVAL_EVERY', '2'));
const intensities = env('COLD_INTENSITIES', '5,20').split(',').map(Number);
const placement = env('COLD_PLACEMENT', 'substitute') as 'substitute' | 'insert';
const budget = env('COLD_BUDGET', 'uniform') as 'uniform' | 'neighbor-popularity';
const out = env('COLD_OUT', join('runs', 'cold-start-beauty'));
const resultFile = join('bench', 'results', `${env('COLD_RESULT', 'cold-start-beauty')}.json`);

const t0 = performance.now();
const { dataset } = await loadDataset(data, 'seqtxt');
const attributes = loadItemAttributes(attrFile, dataset.itemIds);
const result = await runColdStartExperiment({
  dataset,
  attributes,
  split: { itemFraction: Number(env('COLD_FRACTION', '0.05')), seed: Number(env('COLD_SPLIT_SEED', '0')), minInteractions: 5 },
  model: { model: 'sasrec', config: { loss: 'bce' }, trainer: { evalEvery } },
  seeds: Array.from({ length: seeds }, (_, i) => i),
  epochs,
  patience,
  intensities,
  hybridShifts: env('COLD_HYBRID_SHIFTS', '-3,-2,-1,0,1,2').split(',').map(Number),
  earlyStoppingCases: Number(env('COLD_STOP_CASES', '5000')),
  synth: { placement, neighbors: Number(env('COLD_NEIGHBORS', '20')), budget },
  out,
  progress: stderrProgress,
});
writeJsonAtomic(resultFile, {
  benchmark: 'cold-start-beauty',
  command: `COLD_FRACTION=${env('COLD_FRACTION', '0.05')} COLD_SEEDS=${seeds} COLD_EPOCHS=${epochs} COLD_PATIENCE=${patience} COLD_EVAL_EVERY=${evalEvery} COLD_STOP_CASES=${process.env.COLD_STOP_CASES ?? 5000} COLD_INTENSITIES=${intensities.join(',')} COLD_PLACEMENT=${placement} COLD_BUDGET=${budget} COLD_HYBRID_SHIFTS=${env('COLD_HYBRID_SHIFTS', '-3,-2,-1,0,1,2')} node --import tsx bench/cold-start-beauty.ts`,
  attributes: { file: 'Beauty_item2attributes.json', numAttributes: attributes.numAttributes, itemsWithout: attributes.missing },
  totalSeconds: Math.round((performance.now() - t0) / 1000),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  ...result,
});
process.stdout.write(result.table + '\n');
