/** Small real run folders for the report tests: a lift experiment (Popularity, 2 seeds, one offline arm) on the shipped 2,000-user sample. */
import { resolve } from 'node:path';
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
