import { dirname, extname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { ConfigError, silentProgress, type ProgressReporter } from '../core/index.ts';
import { jsonlToParquet, leaveOneOutSplit, loadDataset, withDuckDB, type DataFormat, type LoadOptions } from '../data/index.ts';
import { expandSequences, loadPipeline, writeExpansionJsonl } from '../augment/index.ts';
import { fitPipelineGenerators } from './generators.ts';

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
  const { dataset, report } = await loadDataset(o.data, o.format, o.load ?? {});
  progress.line(`read ${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`);
  const split = leaveOneOutSplit(dataset);
  // Fitting declared resources (similarity) and validating every step happen here, before any output.
  const pipeline = loadPipeline(o.pipeline, { train: split.train, dataset });
  await fitPipelineGenerators(pipeline, split.train, { cacheDir: o.generatorCacheDir ?? join(dirname(o.out), 'generators'), progress });
  const stream = expandSequences(split.train, pipeline, { views: o.views, seed: o.seed });
  const jsonlPath = ext === '.jsonl' ? o.out : `${o.out}.jsonl.tmp`;
  const r = await writeExpansionJsonl(stream, jsonlPath, { itemIds: dataset.itemIds, userIds: dataset.userIds });
  if (ext === '.parquet') {
    const tmp = `${o.out}.${process.pid}.tmp`;
    try {
      await withDuckDB(o.out, (conn) => jsonlToParquet(conn, jsonlPath, tmp));
      const { renameSync } = await import('node:fs');
      renameSync(tmp, o.out);
    } finally {
      rmSync(tmp, { force: true });
      rmSync(jsonlPath, { force: true });
    }
  }
  progress.line(`wrote ${r.samples} augmented samples for ${split.train.users().length} users to ${o.out}`);
  return { samples: r.samples, users: split.train.users().length, path: o.out };
}
