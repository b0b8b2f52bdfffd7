import { dirname, extname, join, resolve } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { ConfigError, silentProgress, tempPathFor, writeViaTempPath, type ProgressReporter } from '../core/index.ts';
import { jsonlToParquet, leaveOneOutSplit, loadDataset, withDuckDB, type DataFormat, type LoadOptions } from '../data/index.ts';
import { expandSequences, loadPipeline, writeExpansionJsonl } from '../augment/index.ts';
import { fitPipelineGenerators } from './generators.ts';
import { reportRejections } from './read-summary.ts';

export interface AugmentFileOptions {
  readonly data: string;
  readonly format: DataFormat;
  readonly load?: LoadOptions;
  /** Pipeline file (YAML/JSON). */
  readonly pipeline: string;
  readonly views: number;
  readonly seed: number;
  /** .jsonl or .parquet */
  readonly out: string;
  readonly progress?: ProgressReporter;
  /** Where generators a pipeline declares (resources.generators) are cached; default `<out folder>/generators`. */
  readonly generatorCacheDir?: string;
}

/**
 * Offline expansion: K augmented views of each user's *training* part under leave-one-out (the
 * validation and test items are never read by the pipeline), written with provenance per sample.
 */
export async function augmentFile(o: AugmentFileOptions): Promise<{ samples: number; users: number; path: string }> {
  const progress = o.progress ?? silentProgress;
  const ext = extname(o.out).toLowerCase();
  if (ext !== '.jsonl' && ext !== '.parquet') throw new ConfigError(`output must end in .jsonl or .parquet, got '${o.out}'`, { field: 'out' });
  if (!Number.isInteger(o.views) || o.views < 1) throw new ConfigError('must be an integer >= 1', { field: 'views' });
  // The pipeline file is read and its steps checked before the (possibly large) data file is read,
  // so a missing or malformed pipeline is reported at once; the resources it names must exist too.
  const spec = loadPipeline(o.pipeline).spec;
  const attributes = spec.resources?.attributes;
  if (attributes !== undefined && !existsSync(resolve(dirname(resolve(o.pipeline)), attributes))) {
    throw new ConfigError(`attributes file '${attributes}' not found (relative to the pipeline file)`, { file: o.pipeline, field: 'resources.attributes' });
  }
  const { dataset, report } = await loadDataset(o.data, o.format, o.load ?? {});
  reportRejections(report, progress);
  const split = leaveOneOutSplit(dataset);
  // Fitting declared resources (similarity) and validating every step happen here, before any output.
  const pipeline = loadPipeline(o.pipeline, { train: split.train, dataset });
  await fitPipelineGenerators(pipeline, split.train, { cacheDir: o.generatorCacheDir ?? join(dirname(o.out), 'generators'), progress });
  // Samples written so far as a step (a bar with ETA on a terminal); users × views bounds the total.
  const stream = stepped(expandSequences(split.train, pipeline, { views: o.views, seed: o.seed }), 'augment: samples written', split.train.users().length * o.views, progress);
  let samples: number;
  if (ext === '.jsonl') samples = (await writeExpansionJsonl(stream, o.out, { itemIds: dataset.itemIds, userIds: dataset.userIds })).samples;
  else {
    samples = await writeViaTempPath(o.out, async (tmp) => {
      // DuckDB converts a JSONL temp of our naming beside the output; a killed run's is removed by the next write of o.out.
      const jsonlPath = tempPathFor(o.out);
      try {
        const r = await writeExpansionJsonl(stream, jsonlPath, { itemIds: dataset.itemIds, userIds: dataset.userIds });
        await withDuckDB(o.out, (conn) => jsonlToParquet(conn, jsonlPath, tmp));
        return r.samples;
      } finally {
        rmSync(jsonlPath, { force: true });
      }
    });
  }
  progress.line(`wrote ${samples} augmented samples for ${split.train.users().length} users to ${o.out}`);
  return { samples, users: split.train.users().length, path: o.out };
}

/** `xs` as they are consumed, reported to `progress` as `step(label, done, total)` every 256 items and at the end. */
function* stepped<T>(xs: Iterable<T>, label: string, total: number, progress: ProgressReporter): Generator<T> {
  let done = 0;
  for (const x of xs) {
    yield x;
    if (++done % 256 === 0) progress.step?.(label, Math.min(done, total), total);
  }
  progress.step?.(label, total, total);
}
