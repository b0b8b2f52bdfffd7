/** `samplify experiment <config> --queue …`: a lift or search experiment with its units run by queue workers. */
import { resolve } from 'node:path';
import type { CancelToken, ProgressReporter } from '../core/index.ts';
import { isObjectStoreLocation, runLiftExperiment, runSearchExperiment, type ArmSummary, type ExperimentConfig, type SearchExperimentConfig, type SearchExperimentResult, type UnitExecutor } from '../experiment/index.ts';
import { unitKindOf, writeStoredExperiment, type StoredExperiment } from './jobs.ts';
import { queueExecutor } from './queue.ts';
import { openSharedStore } from './stores.ts';

export interface SubmitOptions<C> {
  readonly config: C;
  readonly baseDir: string;
  /**
   * The shared store: a folder every worker sees at the same path (the experiment's output
   * folder), or object storage, s3://bucket/prefix (endpoint, region and credentials from the
   * environment: SAMPLIFY_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
   */
  readonly store: string;
  readonly url: string;
  readonly queueName?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  readonly pollMs?: number;
  /** Object storage: where this process keeps its mirror folder (default: the system's temp folder). */
  readonly mirrorRoot?: string;
}
export type SubmitLiftOptions = SubmitOptions<ExperimentConfig>;

/**
 * Runs `run` with the experiment written into the store and an executor that hands its units to
 * the queue. With object storage the run reads and writes a mirror folder here: the workers'
 * results are pulled into it once every job has finished, and what the aggregation wrote
 * (results.json, results.csv, …) is pushed back to the store.
 */
async function withQueue<C, R>(o: SubmitOptions<C>, experiment: StoredExperiment, run: (out: string, executor: UnitExecutor) => Promise<R>): Promise<R> {
  const location = isObjectStoreLocation(o.store) ? o.store : resolve(o.store);
  const opened = await openSharedStore(location, o.mirrorRoot !== undefined ? { mirrorRoot: o.mirrorRoot } : {});
  try {
    const id = await writeStoredExperiment(opened.store, experiment);
    const queue = queueExecutor({ url: o.url, experiment: id, store: location, unitKind: unitKindOf(experiment), ...(o.queueName ? { queueName: o.queueName } : {}), ...(o.progress ? { progress: o.progress } : {}), ...(o.pollMs ? { pollMs: o.pollMs } : {}) });
    const mirror = opened.mirror;
    if (!mirror) return await run(opened.folder, queue);
    const executor: UnitExecutor = {
      ...queue,
      execute: async (units, unitRun, fits) => {
        const outcomes = await queue.execute(units, unitRun, fits);
        const pulled = await mirror.pull();
        o.progress?.line(`store ${location}: ${pulled.copied.length} file(s) pulled (${(pulled.bytes / 1048576).toFixed(1)} MiB) to aggregate in ${opened.folder}`);
        return outcomes;
      },
    };
    const result = await run(opened.folder, executor);
    const pushed = await mirror.push();
    o.progress?.line(`store ${location}: ${pushed.copied.length} file(s) written (${pushed.copied.filter((k) => !k.includes('/')).join(', ')})`);
    return result;
  } finally {
    opened.release();
  }
}

/**
 * Writes the experiment into the store, prepares it here (data, split, pipelines; shared generator
 * fits become jobs of their own), enqueues one job per (arm, seed) and waits; then aggregates from
 * the store into the same results.json / results.csv / table as a local run.
 */
export async function submitLiftExperiment(o: SubmitLiftOptions): Promise<{ arms: ArmSummary[]; table: string; pending?: string[] }> {
  const baseDir = resolve(o.baseDir);
  return withQueue(o, { kind: 'lift', config: o.config, baseDir }, (out, executor) =>
    runLiftExperiment({ config: o.config, baseDir, out, executor, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) }),
  );
}

/** The search experiment the same way: one job per (arm, seed); shared text generators fitted once, as jobs of their own. */
export async function submitSearchExperiment(o: SubmitOptions<SearchExperimentConfig>): Promise<SearchExperimentResult & { readonly pending?: readonly string[] }> {
  const baseDir = resolve(o.baseDir);
  return withQueue(o, { kind: 'search', config: o.config, baseDir }, (out, executor) =>
    runSearchExperiment({ config: o.config, baseDir, out, executor, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) }),
  );
}
