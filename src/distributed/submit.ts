/** `samplify experiment <config> --queue …`: a lift or search experiment with its units run by queue workers. */
import { resolve } from 'node:path';
import type { CancelToken, ProgressReporter } from '../core/index.ts';
import { runLiftExperiment, runSearchExperiment, type ArmSummary, type ExperimentConfig, type SearchExperimentConfig, type SearchExperimentResult } from '../experiment/index.ts';
import { unitKindOf, writeStoredExperiment, type StoredExperiment } from './jobs.ts';
import { queueExecutor } from './queue.ts';

export interface SubmitOptions<C> {
  readonly config: C;
  readonly baseDir: string;
  /** The shared store: the experiment's output folder, on a path every worker sees the same way. */
  readonly store: string;
  readonly url: string;
  readonly queueName?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  readonly pollMs?: number;
}
export type SubmitLiftOptions = SubmitOptions<ExperimentConfig>;

/** The experiment written into the store and an executor that hands its units to the queue. */
function queueFor<C>(o: SubmitOptions<C>, experiment: StoredExperiment): { store: string; baseDir: string; executor: ReturnType<typeof queueExecutor> } {
  const store = resolve(o.store);
  const id = writeStoredExperiment(store, experiment);
  const executor = queueExecutor({ url: o.url, experiment: id, store, unitKind: unitKindOf(experiment), ...(o.queueName ? { queueName: o.queueName } : {}), ...(o.progress ? { progress: o.progress } : {}), ...(o.pollMs ? { pollMs: o.pollMs } : {}) });
  return { store, baseDir: experiment.baseDir, executor };
}

/**
 * Writes the experiment into the store, prepares it here (data, split, pipelines, shared generator
 * fits — cached in the store, so workers load them), enqueues one job per (arm, seed) and waits;
 * then aggregates from the store into the same results.json / results.csv / table as a local run.
 */
export async function submitLiftExperiment(o: SubmitLiftOptions): Promise<{ arms: ArmSummary[]; table: string; pending?: string[] }> {
  const { store, baseDir, executor } = queueFor(o, { kind: 'lift', config: o.config, baseDir: resolve(o.baseDir) });
  return runLiftExperiment({ config: o.config, baseDir, out: store, executor, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
}

/** The search experiment the same way: one job per (arm, seed); generators shared through the store's cache. */
export async function submitSearchExperiment(o: SubmitOptions<SearchExperimentConfig>): Promise<SearchExperimentResult & { readonly pending?: readonly string[] }> {
  const { store, baseDir, executor } = queueFor(o, { kind: 'search', config: o.config, baseDir: resolve(o.baseDir) });
  return runSearchExperiment({ config: o.config, baseDir, out: store, executor, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
}
