/**
 * Few-label product-title classification on PriceRunner (10 categories): the title classifier
 * trained on k labelled titles per class, with and without text augmentation of those titles —
 * a thin caller of the few-label experiment (src/experiment/few-label.ts, `task: few-label`), which
 * owns the protocol: cluster-disjoint fixed test set (20 % of the product clusters), per seed k
 * labelled titles per class and 20 per class for validation from clusters no labelled title is in,
 * arms that augment the labelled titles only (brands mined from them, WordNet), paired t-test and
 * bootstrap CI per test title against no expansion, the arm validation selects.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/title-few-label.ts [--ks 5,10,20] [--seeds 3] [--views 4]
 *     [--run runs/title-few-label-pricerunner] [--out bench/results/title-few-label-pricerunner-experiment.json]
 *
 * --run is the experiment's run folder (its run store: a rerun resumes); --out gets its results.json
 * with the command, machine and wall time added. The same run as a config:
 * examples/experiments/pricerunner-few-label.yaml. Results written by the older version of this script
 * (bench/results/title-few-label-pricerunner.json, another draw of the labelled titles) stay as they are.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { parseFewLabelExperimentConfig, runFewLabelExperiment } from '../src/experiment/index.ts';
import { arg } from './args.ts';

const ks = arg('ks', '5,10,20').split(',').map(Number);
const seeds = Number(arg('seeds', '3'));
const views = Number(arg('views', '4'));
const run = resolve(arg('run', 'runs/title-few-label-pricerunner'));
const out = arg('out', 'bench/results/title-few-label-pricerunner-experiment.json');
const t0 = performance.now();

const config = parseFewLabelExperimentConfig({
  task: 'few-label',
  name: 'title-few-label-pricerunner',
  data: { kind: 'titles', path: resolve('../shared/data/pricerunner-products/pricerunner_aggregate.csv'), testClusters: 0.2 },
  ks,
  seeds,
  validPerClass: 20,
  arms: [
    { name: 'eda', views, pipeline: { steps: [{ op: 'one_of', steps: [{ op: 'random_swap' }, { op: 'random_insert' }, { op: 'random_delete', ratio: 0.2 }, { op: 'synonym_replace', ratio: 0.2 }] }] } },
    { name: 'synonyms', views, pipeline: { steps: [{ op: 'synonym_replace', ratio: 0.2, source: 'wordnet' }] } },
    { name: 'char-noise', views, pipeline: { steps: [{ op: 'one_of', steps: [{ op: 'keyboard_typo', rate: 0.15 }, { op: 'transpose_chars', rate: 0.15 }, { op: 'drop_char', rate: 0.15 }, { op: 'double_char', rate: 0.15 }] }] } },
    { name: 'units+reformulate', views, pipeline: { steps: [{ op: 'one_of', steps: [{ op: 'unit_variant' }, { op: 'abbreviate' }, { op: 'reformulate', mode: 'drop' }] }] } },
  ],
});
const r = await runFewLabelExperiment({ config, baseDir: process.cwd(), out: run, progress: stderrProgress });
console.log(r.table);
if (r.pending) process.exit(0);
const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as Record<string, unknown>;
writeJsonAtomic(out, {
  ...results,
  command: `SAMPLIFY_THREADS=1 node --import tsx bench/title-few-label.ts --ks ${ks.join(',')} --seeds ${seeds} --views ${views} --out ${out}`,
  machine: { cpus: cpus().length, node: process.version },
  seconds: Math.round((performance.now() - t0) / 1000),
  date: new Date().toISOString(),
});
console.log(`wrote ${out}`);
