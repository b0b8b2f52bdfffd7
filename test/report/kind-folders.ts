/**
 * A small run folder of every run kind, for the browser and compare tests: the committed examples
 * (the Beauty lift experiment, the ml-100k table synthesis), stored bench results (search, CTR,
 * cold-start, few-label images and titles) and small runs made on the shipped sample (evaluate,
 * recipe and a benchmark on its first 400 users, synthetic histories, an augment-images folder). `headline` names one number
 * of the kind's headline and where the run records it (file, JSON path), so a test can change it
 * and see the change.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { join, resolve } from 'node:path';
import { silentProgress } from '../../src/core/index.ts';
import { augmentImages, parseRecipeExperimentConfig, parseSequenceSynthesizeConfig, runBenchmark, runEvaluation, runRecipeExperiment, runSequenceSynthesis } from '../../src/experiment/index.ts';
import { SAMPLE } from './fixtures.ts';

const root = resolve(import.meta.dirname, '..', '..');

export interface KindCase {
  readonly kind: string;
  /** Fills the (empty) run folder. */
  make(dir: string): Promise<void> | void;
  /** Charts the page must have (by data-chart name prefix), beyond "at least one". */
  readonly charts?: readonly string[];
  /** One headline number: its name in the compare view, and the file and JSON path holding it. */
  readonly headline?: { readonly name: string; readonly file: string; readonly path: readonly (string | number)[] };
}

/** `samplify augment-images` of 2 × 3 small PNGs (labels cat, dog) with a flip and a rotation, 2 views, into `dir`. */
export async function augmentedImageFolder(dir: string): Promise<void> {
  const src = `${dir}-source`;
  for (const c of ['cat', 'dog']) {
    mkdirSync(join(src, c), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const px = Buffer.alloc(16 * 16 * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * (k + 3) + (c === 'cat' ? 0 : 90)) % 256;
      await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(src, c, `i${k}.png`));
    }
  }
  writeFileSync(`${dir}-pipeline.yaml`, 'family: image\nsteps: [{ op: hflip, p: 1 }, { op: rotate, degrees: 10 }]\n');
  rmSync(dir, { recursive: true, force: true }); // the output folder must not exist yet
  await augmentImages({ images: src, pipeline: `${dir}-pipeline.yaml`, views: 2, seed: 0, out: dir, workers: 0 });
}

/**
 * The first 400 users of the shipped sample, written beside the run folder: the evaluate, recipe and
 * benchmark runs train and rank in a fraction of the time the 2,000 users take, and their numbers
 * are still non-zero (the charts draw marks, a raised headline shows Δ).
 */
export function sampleSlice(dir: string): string {
  const file = `${dir}-data.txt`;
  writeFileSync(file, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 400).join('\n') + '\n');
  return file;
}

const stored = (file: string) => (dir: string) => copyFileSync(join(root, 'bench/results', file), join(dir, 'results.json'));
const example = (name: string) => (dir: string) => cpSync(join(root, 'docs/examples', name), dir, { recursive: true, filter: (src) => !src.endsWith('report.html') });

export const CASES: readonly KindCase[] = [
  { kind: 'lift', make: example('beauty-recipe'), charts: ['metric-at-k', 'relative-lift', 'segments-historyLength'], headline: { name: 'baseline · test NDCG@20', file: 'results.json', path: ['arms', 0, 'test', 'NDCG@20'] } },
  { kind: 'evaluate', make: async (dir) => void (await runEvaluation({ data: sampleSlice(dir), format: 'seqtxt', model: { model: 'pop' }, seeds: [0, 1], out: dir })), headline: { name: 'test NDCG@20', file: 'results.json', path: ['test', 'NDCG@20'] } },
  {
    kind: 'recipe',
    make: async (dir) => {
      const config = parseRecipeExperimentConfig({
        name: 'browser-recipe',
        data: { path: sampleSlice(dir), format: 'seqtxt' },
        model: { model: 'pop' },
        metric: 'NDCG@20',
        arms: [{ name: 'crop', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml'), views: 1 }],
        procedure: { screen: { seeds: 1 }, confirm: { seeds: 2 } },
      });
      await runRecipeExperiment({ config, baseDir: root, out: dir, progress: silentProgress });
    },
    charts: ['screen-validation', 'cost-per-phase'],
    headline: { name: 'screen · crop · valid lift NDCG@20', file: 'results.json', path: ['screen', 'candidates', 0, 'validLift'] },
  },
  { kind: 'search-lift', make: stored('search-lift-homedepot.json'), charts: ['relative-lift'], headline: { name: 'typo · test NDCG@10', file: 'results.json', path: ['arms', 1, 'test', 'NDCG@10'] } },
  { kind: 'synthesize-table', make: example('ml100k-synthesis'), charts: ['column-shapes', 'pair-trends', 'dcr', 'membership-inference', 'time-per-stage'], headline: { name: 'fidelity (overall)', file: 'ml100k-users.report.json', path: ['quality', 'overall', 'value'] } },
  {
    kind: 'synthesize-sequences',
    make: async (dir) => {
      const config = parseSequenceSynthesizeConfig({ name: 'users', data: { path: SAMPLE, format: 'seqtxt' }, synthesizer: { name: 'markov' }, histories: 80, seed: 0, out: join(dir, 'users.jsonl'), report: { holdout: 0.2 } });
      await runSequenceSynthesis({ config, baseDir: root });
    },
    charts: ['length-distribution', 'item-popularity', 'dcr'],
    headline: { name: 'fidelity (overall)', file: 'users.report.json', path: ['quality', 'overall', 'value'] },
  },
  { kind: 'ctr', make: stored('ctr-ml100k.json'), headline: { name: 'deepfm · real · test AUC', file: 'results.json', path: ['cells', 0, 'testAuc', 'mean'] } },
  { kind: 'cold-start', make: stored('cold-start-beauty.json'), headline: { name: 'attr-pop · cold test NDCG@20', file: 'results.json', path: ['arms', 0, 'metrics', 'coldTest', 'NDCG@20'] } },
  { kind: 'few-label-images', make: stored('few-label-fashion-mnist-experiment.json'), headline: { name: 'k=10 · none · test accuracy', file: 'results.json', path: ['summary', 0, 'testAccuracyMean'] } },
  {
    kind: 'benchmark',
    make: async (dir) => void (await runBenchmark({ data: sampleSlice(dir), models: 'pop,itemknn', seeds: 1, out: dir, json: true })),
    charts: ['metric-at-k', 'benchmark-models'],
    headline: { name: 'pop · test NDCG@20', file: 'summary.json', path: ['results', 'pop', 'test', 'NDCG@20'] },
  },
  { kind: 'augment-images', make: (dir) => augmentedImageFolder(dir), charts: ['images-per-label', 'operators'] },
  { kind: 'few-label-titles', make: stored('few-label-pricerunner-experiment.json'), headline: { name: 'k=5 · none · test accuracy', file: 'results.json', path: ['summary', 0, 'testAccuracyMean'] } },
];

