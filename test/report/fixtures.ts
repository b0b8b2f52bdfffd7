/** Small real run folders for the report tests: a lift experiment (Popularity, 2 seeds, one offline arm) on the shipped 2,000-user sample. */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { silentProgress } from '../../src/core/index.ts';
import { parseExperimentConfig, runLiftExperiment } from '../../src/experiment/index.ts';

export const SAMPLE = resolve(import.meta.dirname, '../../data/sample/beauty-sample.txt');
const PIPELINE = resolve(import.meta.dirname, '../../examples/pipelines/crop-reorder.yaml');

/** Runs a lift experiment into `out`; `armName` is written as given (tests use one with markup). */
export async function smallLiftRun(out: string, armName = 'crop-reorder'): Promise<void> {
  const config = parseExperimentConfig({
    name: 'report-test',
    data: { path: SAMPLE, format: 'seqtxt' },
    model: { model: 'pop' },
    seeds: 2,
    metric: 'NDCG@20',
    arms: [{ name: armName, pipeline: PIPELINE, views: 1 }],
  });
  await runLiftExperiment({ config, baseDir: resolve(import.meta.dirname), out, progress: silentProgress });
}

/**
 * A lift experiment with a small neural model (SASRec, 3 epochs, 2 seeds) on the first 400 users of
 * the sample, so the page has what Popularity never gives: per-epoch training curves from the
 * checkpoints, and per-user values that differ between arms (the per-user lift distribution).
 */
export async function smallNeuralLiftRun(out: string): Promise<void> {
  const data = join(out, '..', `${basename(out)}-data.txt`);
  writeFileSync(data, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 400).join('\n') + '\n');
  const config = parseExperimentConfig({
    name: 'report-neural',
    data: { path: data, format: 'seqtxt' },
    model: { model: 'sasrec', config: { loss: 'ce', hidden: 8, maxLen: 10 } },
    seeds: 2,
    epochs: 3,
    patience: 3,
    metric: 'NDCG@20',
    arms: [{ name: 'crop-reorder', pipeline: PIPELINE, views: 1 }],
  });
  await runLiftExperiment({ config, baseDir: resolve(import.meta.dirname), out, progress: silentProgress });
}
